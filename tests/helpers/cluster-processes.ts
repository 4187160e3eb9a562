/**
 * Hub nodes of one cluster as real child processes (the hub bundle, as
 * `npm start` runs it: hub-process.ts), sharing one fresh PostgreSQL
 * database and one Redis prefix (issue 12): kill -9 and SIGSTOP need
 * processes. Each node has its own data dir (TLS material, backups) and
 * ports 0; the first node started leads, the others stand by and forward.
 * Whatever a test started is killed (SIGKILL) and removed after it.
 */
import type { Keep } from './cleanup.js';
import { ApiClient } from './api-client.js';
import { startHubProcess, type HubProcess } from './hub-process.js';
import type { RedisNamespace } from './redis-namespace.js';
import { makeTempDir } from './temp-dir.js';

export const CLUSTER_ADMIN_PASSWORD = 'cluster-admin-pass';

/** The line a node prints once it leads (hub/main.ts). */
export const LEADS_LINE = /leads the cluster/;

export interface ClusterProcess {
  name: string;
  proc: HubProcess;
  mqttUrl: string;
  httpUrl: string;
  /** Logged in as admin through this node (its requests may be served by the leader). */
  api(): Promise<ApiClient>;
  /** Resolves when this node prints that it leads; never rejects (a node may never lead). */
  leading: Promise<void>;
}

export interface ClusterOptions {
  keep: Keep;
  databaseUrl: string;
  redis: RedisNamespace;
  /** Extra environment for every node (e.g. a shorter HUB_LEADER_LEASE_MS). */
  env?: Record<string, string>;
}

export async function startClusterProcess(name: string, { keep, databaseUrl, redis, env = {} }: ClusterOptions): Promise<ClusterProcess> {
  const temp = keep(await makeTempDir(), (t) => t.remove());
  const proc = await startHubProcess({
    HUB_DATA_DIR: temp.path,
    HUB_DATABASE_URL: databaseUrl,
    HUB_REDIS_URL: redis.url,
    HUB_REDIS_PREFIX: redis.prefix,
    HUB_NODE_ID: name,
    HUB_ADMIN_PASSWORD: CLUSTER_ADMIN_PASSWORD,
    ...env,
  });
  keep(proc, async (p) => {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  });
  const httpUrl = `http://127.0.0.1:${proc.httpPort}`;
  const leading = new Promise<void>((resolve) => {
    const check = () => {
      if (!LEADS_LINE.test(proc.stdout())) return;
      proc.child.stdout!.off('data', check);
      resolve();
    };
    proc.child.stdout!.on('data', check);
    check();
  });
  return {
    name,
    proc,
    mqttUrl: `mqtt://127.0.0.1:${proc.mqttPort}`,
    httpUrl,
    leading,
    async api() {
      const api = new ApiClient(httpUrl);
      await api.login('admin', CLUSTER_ADMIN_PASSWORD);
      return api;
    },
  };
}

/** Starts the nodes one after another; the first is waited for until it leads. */
export async function startCluster(names: string[], options: ClusterOptions): Promise<ClusterProcess[]> {
  const nodes: ClusterProcess[] = [];
  for (const name of names) {
    const node = await startClusterProcess(name, options);
    if (nodes.length === 0) await node.leading;
    nodes.push(node);
  }
  return nodes;
}

/** Which of `nodes` leads now: the first to print the line after `since` (a node's stdout length before). */
export function firstToLead(nodes: ClusterProcess[]): Promise<ClusterProcess> {
  return Promise.race(nodes.map((node) => node.leading.then(() => node)));
}

/**
 * Runs `check`; when it fails, its error also carries the last lines each
 * node printed, so a cluster test that fails once in many runs says why
 * (which node did what, and what it logged) instead of only what it saw.
 */
export async function explainedBy<T>(nodes: readonly ClusterProcess[], check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    const tails = nodes.map((node) => `--- ${node.name}, its last output:\n${(node.proc.stdout() + node.proc.stderr()).slice(-6_000)}`).join('\n');
    if (err instanceof Error) err.message += `\n${tails}`;
    throw err;
  }
}
