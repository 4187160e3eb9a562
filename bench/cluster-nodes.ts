/**
 * `npm run bench -- --nodes N`: N hub processes (the `npm start` bundle) as
 * one cluster on a fresh PostgreSQL database and a fresh Redis prefix, both
 * removed afterwards. The first node is started alone and waited for until
 * it leads, so which node leads at the start is known; the others stand by
 * and forward (docs/CLUSTER.md). Each node has its own data dir and ports.
 *
 * On a machine several people share, two settings keep a run to its own
 * names and ports: HUB_BENCH_NAMESPACE=<ns> names the database
 * `<ns>_bench_cluster_…` and the Redis keys `<ns>:bench:…`;
 * HUB_BENCH_PORT_BASE=<p> gives node i MQTT port p + 2i and HTTP p + 2i + 1
 * (default: free ports).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createPgDatabase, PG_ADMIN_URL } from '../tests/helpers/pg-server.js';
import { spawnReady, type Child } from './child.js';
import { benchHubEnv, buildHub, HUB_READY } from './targets/hub-target.js';

export const BENCH_REDIS_URL = process.env.HUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const NAMESPACE = process.env.HUB_BENCH_NAMESPACE;
const PORT_BASE = Number(process.env.HUB_BENCH_PORT_BASE ?? 0);

/** Node i's fixed ports under HUB_BENCH_PORT_BASE, or none (free ports). */
function portsOf(index: number): Record<string, string> {
  return PORT_BASE > 0 ? { HUB_MQTT_PORT: String(PORT_BASE + 2 * index), HUB_HTTP_PORT: String(PORT_BASE + 2 * index + 1) } : {};
}

/** The line a node prints once it leads (hub/main.ts). */
const LEADS_LINE = /leads the cluster/;

export interface ClusterNode {
  name: string;
  child: Child;
  mqttPort: number;
  httpUrl: string;
  /** performance.now() when this node printed that it leads; resolves never if it does not. */
  leading: Promise<number>;
  /** Set when the process has exited: its code or signal and the end of its stderr. */
  exit?: string;
}

export interface Cluster {
  nodes: ClusterNode[];
  databaseName: string;
  /** Where the bench reads what the nodes wrote (the partitions' leases after a failover). */
  databaseUrl: string;
  redisPrefix: string;
  /** Every node still running: their CPU counts as the cluster's. */
  pids(): number[];
  stop(): Promise<void>;
}

/** A Redis client that has answered PING, or a one-line error saying what to start. */
async function reachRedis(): Promise<Redis> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  // ioredis reports the cause (ECONNREFUSED…) as an 'error' event and rejects with "Connection is closed".
  let cause: Error | undefined;
  redis.on('error', (err: Error) => (cause ??= err));
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    // The host only: the URL may carry a password.
    throw new Error(`--nodes needs Redis at ${new URL(BENCH_REDIS_URL).host} (HUB_TEST_REDIS_URL; .ci/run starts one): ${(cause ?? (err as Error)).message}`);
  }
}

/** Fails with the one-line error before anything is started when Redis does not answer. */
export async function checkRedis(): Promise<void> {
  (await reachRedis()).disconnect();
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
    if ((batch as string[]).length > 0) await redis.del(...(batch as string[]));
  }
}

function watchLeading(child: Child): Promise<number> {
  return new Promise((resolve) => {
    const onData = (d: Buffer) => {
      if (!LEADS_LINE.test(d.toString())) return;
      child.process.stdout!.off('data', onData);
      resolve(performance.now());
    };
    child.process.stdout!.on('data', onData);
  });
}

async function startNode(index: number, name: string, databaseUrl: string, redisPrefix: string, dataDir: string, nodeArgs: string[], partitions: string): Promise<ClusterNode> {
  const first = index === 0;
  const child = await spawnReady({
    script: 'dist/bench-hub.mjs',
    nodeArgs,
    // The first node: ready once it leads too (its line may come in the same chunk as the listeners').
    ready: first ? [...HUB_READY, LEADS_LINE] : HUB_READY,
    timeoutMs: 60_000,
    env: { ...benchHubEnv(dataDir), HUB_DATABASE_URL: databaseUrl, HUB_REDIS_URL: BENCH_REDIS_URL, HUB_REDIS_PREFIX: redisPrefix, HUB_NODE_ID: name, HUB_PARTITIONS: partitions, ...portsOf(index) },
  });
  const port = (i: number) => Number(child.matches[i]![1]);
  const node: ClusterNode = { name, child, mqttPort: port(0), httpUrl: `http://127.0.0.1:${port(1)}`, leading: first ? Promise.resolve(performance.now()) : watchLeading(child) };
  child.process.once('exit', (code, signal) => (node.exit = `exited ${code ?? signal}: ${child.stderrTail().trim().split('\n').slice(-3).join(' | ')}`));
  return node;
}

/**
 * prom-client's longest event-loop delay since the previous scrape (each scrape resets it):
 * what a timer — a cluster leader's lease keep-alive among them — waited at worst.
 */
export const LAG_MAX = 'nodejs_eventloop_lag_max_seconds';

/** A gauge's value on a node's /metrics (a standby answers it itself), or null when the node does not answer. */
export async function metricValue(node: ClusterNode, name: string): Promise<number | null> {
  const value = (await metricValues(node, [name]))?.[name];
  return value === undefined || Number.isNaN(value) ? null : value;
}

/** Several gauges from one scrape of a hub (each NaN when absent), or null when it does not answer. */
export async function metricValues(node: Pick<ClusterNode, 'httpUrl'>, names: readonly string[]): Promise<Record<string, number> | null> {
  try {
    const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.eE+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
    return Object.fromEntries(names.map((name) => [name, value(name)]));
  } catch {
    return null;
  }
}

/** Starts `count` nodes (each with `nodeArgs(name)`, e.g. --cpu-prof); on any failure whatever was made is removed before the error is thrown. */
export async function startCluster(count: number, say: (line: string) => void, nodeArgs: (name: string) => string[] = () => [], partitions: 'leader' | 'spread' = 'leader'): Promise<Cluster> {
  const redis = await reachRedis();
  const database = await createPgDatabase(NAMESPACE ? `${NAMESPACE}_bench_cluster` : 'hub_bench_cluster').catch((err: Error) => {
    redis.disconnect();
    throw new Error(`--nodes needs a PostgreSQL server that lets the bench create a database (HUB_TEST_PG_ADMIN_URL, now ${new URL(PG_ADMIN_URL).host}): ${err.message}`);
  });
  const redisPrefix = `${NAMESPACE ? `${NAMESPACE}:bench` : 'hubbench'}:${process.pid}:${randomBytes(4).toString('hex')}:`;
  const dirs: string[] = [];
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.child.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    await database.drop();
    await deleteKeys(redis, redisPrefix).finally(() => redis.disconnect());
  };
  try {
    await buildHub();
    for (let i = 0; i < count; i++) {
      const name = `bench-node-${String.fromCharCode(97 + i)}`;
      say(`cluster: starting ${name} (${i === 0 ? 'to lead' : 'standby'})`);
      const dir = await mkdtemp(join(tmpdir(), 'hub-bench-node-'));
      dirs.push(dir);
      nodes.push(await startNode(i, name, database.url, redisPrefix, dir, nodeArgs(name), partitions));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodes,
    databaseName: database.name,
    databaseUrl: database.url,
    redisPrefix,
    pids: () => nodes.filter((n) => n.child.process.exitCode === null && n.child.process.signalCode === null).map((n) => n.child.pid),
    stop,
  };
}
