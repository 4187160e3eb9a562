/**
 * The cluster of the chaos run (tests/long/cluster-chaos.ts): hub nodes as
 * real processes on one fresh PostgreSQL database and one Redis prefix, each
 * restartable under its own name after a kill -9, as a supervisor
 * (systemd, Kubernetes) restarts a node. Knows which node leads from the
 * line a node prints when it takes over (hub/main.ts), and which ports each
 * live node has now (they change at every restart: port 0).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ApiClient } from '../../helpers/api-client.js';
import { LEADS_LINE } from '../../helpers/cluster-processes.js';
import { startHubProcess, type HubProcess } from '../../helpers/hub-process.js';
import { createPgDatabase } from '../../helpers/pg-server.js';
import { TEST_REDIS_URL } from '../../helpers/redis-namespace.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { killHard, LOAD_ENV, PASSWORD } from './hub-child.js';

export interface ChaosNode {
  name: string;
  proc: HubProcess;
  /** Resolves when this process prints that it leads; never rejects. */
  leading: Promise<void>;
  leads: boolean;
}

export class ChaosCluster {
  readonly nodes: ChaosNode[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];

  private constructor(
    readonly databaseUrl: string,
    private readonly redisPrefix: string,
    private readonly env: Record<string, string>,
  ) {}

  /** A fresh database and Redis prefix; `count` nodes started in turn, the first waited for until it leads. */
  static async start(count: number, env: Record<string, string>): Promise<ChaosCluster> {
    const db = await createPgDatabase('hub_chaos');
    const cluster = new ChaosCluster(db.url, `hubchaos:${randomBytes(4).toString('hex')}:`, env);
    cluster.cleanups.push(() => db.drop(), () => cluster.deleteRedisKeys());
    for (let i = 0; i < count; i++) {
      const node = await cluster.launch(`node-${String.fromCharCode(97 + i)}`);
      cluster.nodes.push(node);
      if (i === 0) await node.leading;
    }
    return cluster;
  }

  /** The node that leads now (its process printed the line and is alive). */
  get leader(): ChaosNode | undefined {
    return this.nodes.find((n) => n.leads && alive(n));
  }

  /** The MQTT port of a live node, chosen round-robin by `turn` (a TCP load balancer's job in production). */
  mqttPort(turn: number): number {
    const live = this.nodes.filter(alive);
    const node = live[turn % Math.max(1, live.length)] ?? this.nodes[0]!;
    return node.proc.mqttPort;
  }

  /** An admin session through any live node (a standby passes the requests to the leader). */
  async api(): Promise<ApiClient> {
    const node = this.leader ?? this.nodes.find(alive)!;
    const api = new ApiClient(`http://127.0.0.1:${node.proc.httpPort}`);
    await api.login('admin', PASSWORD);
    return api;
  }

  /** kill -9 of `node`; returns the moment of the kill. */
  async kill(node: ChaosNode): Promise<number> {
    const at = Date.now();
    await killHard(node.proc);
    node.leads = false;
    return at;
  }

  /**
   * SIGSTOP of `node` for `ms`, then SIGCONT: a process that stops being
   * scheduled (a paused VM, a stuck host) without its connections closing.
   * Returns the moment of the stop. A frozen leader is no longer counted as
   * leading: its lease runs out meanwhile, and another node takes over.
   */
  async freeze(node: ChaosNode, ms: number): Promise<number> {
    const at = Date.now();
    if (!alive(node)) return at;
    node.proc.child.kill('SIGSTOP');
    node.leads = false;
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (alive(node)) node.proc.child.kill('SIGCONT');
    return at;
  }

  /** Starts `node`'s name again on a new process, as its supervisor would. */
  async restart(node: ChaosNode): Promise<void> {
    const index = this.nodes.indexOf(node);
    this.nodes[index] = await this.launch(node.name);
  }

  /** Resolves with the first live node other than today's leader to print that it leads (call before the kill). */
  nextLeaderAfterKill(): Promise<ChaosNode> {
    const current = this.leader;
    return Promise.race(this.nodes.filter((n) => alive(n) && n !== current).map((n) => n.leading.then(() => n)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => killHard(n.proc)));
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined);
  }

  private async launch(name: string): Promise<ChaosNode> {
    const temp = await makeTempDir(`hub-chaos-${name}-`);
    this.cleanups.push(() => temp.remove());
    const proc = await startHubProcess(
      {
        HUB_DATA_DIR: temp.path,
        HUB_DATABASE_URL: this.databaseUrl,
        HUB_REDIS_URL: TEST_REDIS_URL,
        HUB_REDIS_PREFIX: this.redisPrefix,
        HUB_NODE_ID: name,
        HUB_ADMIN_PASSWORD: PASSWORD,
        ...LOAD_ENV,
        ...this.env,
      },
      90_000,
    );
    const node: ChaosNode = { name, proc, leads: false, leading: Promise.resolve() };
    node.leading = new Promise<void>((resolve) => {
      const check = () => {
        if (!LEADS_LINE.test(proc.stdout())) return;
        proc.child.stdout!.off('data', check);
        node.leads = true;
        resolve();
      };
      proc.child.stdout!.on('data', check);
      check();
    });
    return node;
  }

  private async deleteRedisKeys(): Promise<void> {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      for await (const keys of redis.scanStream({ match: `${this.redisPrefix}*`, count: 500 })) if ((keys as string[]).length) await redis.del(...(keys as string[]));
    } finally {
      redis.disconnect();
    }
  }
}

export function alive(node: ChaosNode): boolean {
  return node.proc.child.exitCode === null && node.proc.child.signalCode === null;
}
