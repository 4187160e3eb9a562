/**
 * The demo's hub processes: one hub alone (`npm run demo`), or N cluster
 * nodes on one PostgreSQL database and one Redis prefix (`--nodes N`,
 * docs/CLUSTER.md). Each node has its own temporary data dir and node id
 * node-1..N. It follows who leads — the line a node prints when it takes
 * over — and which node exits, so the demo can say so and move its alert
 * feed; for a hub alone, node-1 leads from the start.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnReady, type Child } from '../child.js';
import type { BrokerAddress } from '../../simulators/simulated-device.js';

/** What hub/main.ts prints when a cluster node takes the lead. */
const LEADS_LINE = /Cluster node \S+ leads the cluster/;
const MQTT_LINE = /MQTT broker listening on mqtt:\/\/([^:\s]+):(\d+)/;
const HTTP_LINE = /listening on (http:\/\/[^\s]+)/;
/** A tsx start on a loaded 2-core machine took well over 10 s; three at once take longer. */
const START_MS = 120_000;

export interface DemoNode {
  id: string;
  child: Child;
  dataDir: string;
  broker: BrokerAddress;
  httpUrl: string;
  alive: boolean;
}

export interface DemoNodeOptions {
  count: number;
  adminPassword: string;
  /** 0: free ports; otherwise node i (from 0) listens on port + i. */
  httpPort: number;
  mqttPort: number;
  /** The shared stores; absent for a hub alone, which keeps its data in its data dir. */
  cluster?: { databaseUrl: string; redisUrl: string; redisPrefix: string };
}

interface DemoNodeEvents {
  leader: [DemoNode];
  /** A node ended while the demo was running (kill -9, a crash, leadership lost): how it ended, whether it led. */
  exit: [DemoNode, string, boolean];
}

export class DemoNodes extends EventEmitter<DemoNodeEvents> {
  readonly nodes: DemoNode[] = [];
  leader: DemoNode | undefined;
  private stopping = false;

  private constructor(private readonly options: DemoNodeOptions) {
    super();
  }

  /** Node-1 first, until it leads (it creates the schema); then the others at once, as standbys. */
  static async start(options: DemoNodeOptions): Promise<DemoNodes> {
    const nodes = new DemoNodes(options);
    try {
      await nodes.startNode(0);
      const rest = await Promise.allSettled(Array.from({ length: options.count - 1 }, (_, i) => nodes.startNode(i + 1)));
      const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (err) {
      await nodes.stop();
      throw err;
    }
    return nodes;
  }

  get clustered(): boolean {
    return this.options.cluster !== undefined;
  }

  /** Resolves with the next node to lead after this call (never rejects: maybe no node ever leads again). */
  nextLeader(): Promise<DemoNode> {
    return new Promise((resolve) => this.once('leader', resolve));
  }

  private async startNode(index: number): Promise<void> {
    const o = this.options;
    const id = `node-${index + 1}`;
    const dataDir = await mkdtemp(join(tmpdir(), `hub-demo-${o.cluster ? `${id}-` : ''}`));
    const port = (base: number) => String(base === 0 ? 0 : base + index);
    const env: Record<string, string> = { HUB_MQTT_PORT: port(o.mqttPort), HUB_HTTP_PORT: port(o.httpPort), HUB_DATA_DIR: dataDir, HUB_ADMIN_PASSWORD: o.adminPassword, HUB_LOG_LEVEL: 'warn' };
    if (o.cluster) {
      Object.assign(env, { HUB_DATABASE_URL: o.cluster.databaseUrl, HUB_REDIS_URL: o.cluster.redisUrl, HUB_REDIS_PREFIX: o.cluster.redisPrefix, HUB_NODE_ID: id, HUB_HOST: '127.0.0.1' });
    }
    // The first cluster node is ready when it leads: the others then find the schema in place.
    const ready = o.cluster && index === 0 ? [MQTT_LINE, HTTP_LINE, LEADS_LINE] : [MQTT_LINE, HTTP_LINE];
    const child = await spawnReady({ script: 'hub/main.ts', env, ready, timeoutMs: START_MS }).catch(async (err: Error) => {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    });
    const [mqtt, http] = child.matches;
    const node: DemoNode = { id, child, dataDir, broker: { host: mqtt![1]!, port: Number(mqtt![2]) }, httpUrl: http![1]!, alive: true };
    this.nodes[index] = node;
    this.follow(node);
  }

  /** Watches a node's stdout for the lead line (it leads at most once: a node that loses it exits) and its exit. */
  private follow(node: DemoNode): void {
    let led = false;
    const check = () => {
      if (led || !(this.clustered ? LEADS_LINE.test(node.child.stdout()) : true)) return;
      led = true;
      this.leader = node;
      this.emit('leader', node);
    };
    node.child.process.stdout!.on('data', check);
    node.child.process.once('exit', (code, signal) => {
      node.alive = false;
      const wasLeader = this.leader === node;
      if (wasLeader) this.leader = undefined;
      if (this.stopping) return;
      // A node that exits on its own (leadership lost: code 70) says why in its last stderr line.
      const last = signal || code === 0 ? undefined : node.child.stderrTail().trim().split('\n').pop();
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.emit('exit', node, last ? `${how}: ${last}` : how, wasLeader);
    });
    check();
  }

  /** From now on a node's exit is expected, not news: a terminal's Ctrl-C reaches the nodes as well as the demo. */
  expectExits(): void {
    this.stopping = true;
  }

  /** Stops every node still running (SIGTERM, SIGKILL after 10 s) and removes their data dirs. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.nodes.filter(Boolean).map((n) => n.child.stop()));
    await Promise.all(this.nodes.filter(Boolean).map((n) => rm(n.dataDir, { recursive: true, force: true })));
  }
}
