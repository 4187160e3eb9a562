/**
 * What Aedes needs to be one broker over several nodes (issue 12, DESIGN.md
 * §8), built from HUB_REDIS_URL with Aedes' own cluster parts — no home-made
 * routing:
 *
 * - `mq`: mqemitter-redis (channels under HUB_REDIS_PREFIX) behind the
 *   SplitEmitter, which keeps device uplink in-process. Through it Aedes
 *   routes a command published on one node to the device's connection on
 *   another, and closes a client's old connection on any node when it
 *   connects again (`$SYS/<node>/new/clients`).
 * - `persistence`: aedes-persistence-redis (keys under HUB_REDIS_PREFIX), so a
 *   clean-session-0 client finds its subscriptions and queued QoS 1 messages
 *   on whichever node it reconnects to, and the wills of a dead node are
 *   published by the others.
 *
 * The Redis libraries are loaded here, on demand: a hub without
 * HUB_REDIS_URL never loads them.
 */
import type { MQEmitter } from 'mqemitter';
import type { Redis, RedisOptions } from 'ioredis';
import type { BrokerClusterOptions } from '../broker/mqtt-broker.js';
import { parseTopic } from '../../devices/topics.js';
import { StartupError } from '../core/data-dir.js';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import type { RedisLinks } from './redis-links.js';
import { SplitEmitter } from './split-emitter.js';
import { waitAtMost } from '../core/wait-at-most.js';

export interface RedisBrokerSettings {
  redisUrl: string;
  redisPrefix: string;
  nodeId: string;
  log: Logger;
  /** Told of every connection once it is ready: whether this node reaches Redis (redis-links.ts). */
  links: RedisLinks;
  /** How long start waits for Redis before it gives up with one line. */
  connectTimeoutMs?: number;
}

/** Aedes' options for a clustered broker (its `id`, `mq`, `persistence`, `heartbeatInterval`). */
export type BrokerClusterParts = BrokerClusterOptions & { mq: SplitEmitter };

/**
 * Aedes publishes `$SYS/<node>/heartbeat` this often; a node silent for three
 * of them is dead to the others (its wills are published, the command relay
 * forgets its devices). Aedes' default, 60 s, would keep a dead node's
 * devices "reachable" for three minutes.
 */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** The password, if the URL has one, never reaches a log line or an error message. */
export function describeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'redis://(unparsable URL)';
  }
}

export class RedisBrokerParts {
  private shared: MQEmitter | undefined;
  private persistence: { destroy(): Promise<void> } | undefined;
  private emitter: SplitEmitter | undefined;
  private readonly conns: Redis[] = [];
  private readonly errorThrottle = new Throttle(10_000);

  constructor(private readonly settings: RedisBrokerSettings) {}

  get description(): string {
    return describeRedisUrl(this.settings.redisUrl);
  }

  /** Connects (three connections: pub, sub, sessions), waits until each answers, and builds the parts. */
  async open(): Promise<BrokerClusterParts> {
    const { redisUrl, redisPrefix, nodeId } = this.settings;
    const [{ Redis }, mqemitterRedis, { default: mqemitter }, { default: redisPersistence }] = await Promise.all([
      import('ioredis'),
      import('mqemitter-redis'),
      import('mqemitter'),
      import('aedes-persistence-redis'),
    ]);
    const connect = (role: string, extra: RedisOptions = {}): Redis => {
      const conn = new Redis(redisUrl, { connectionName: `hub ${nodeId} ${role}`, ...extra });
      // Without a listener ioredis prints every failed reconnect to the console.
      conn.on('error', (err: Error) => this.onError(role, err));
      this.conns.push(conn);
      return conn;
    };
    const pubConn = connect('pub', { enableAutoPipelining: true });
    const subConn = connect('sub');
    const sessionsConn = connect('sessions', { keyPrefix: redisPrefix });
    await this.waitReady();
    for (const conn of this.conns) this.settings.links.watch(conn);
    // mqemitter-redis.d.ts does not declare the prefix variant it exports.
    const { MQEmitterRedisPrefix } = mqemitterRedis.default as unknown as {
      MQEmitterRedisPrefix: new (prefix: string, options: object) => MQEmitter & { state: NodeJS.EventEmitter };
    };
    const shared = new MQEmitterRedisPrefix(redisPrefix, { pubConn, subConn, matchEmptyLevels: true });
    // mqemitter-redis re-emits connection errors here; an 'error' with no listener would end the process.
    shared.state.on('error', (err: Error) => this.onError('mq', err));
    this.shared = shared;
    const local = mqemitter({ concurrency: 100, matchEmptyLevels: true }); // Aedes' own defaults
    const emitter = new SplitEmitter(local, shared, (topic) => isDeviceUplink(topic));
    this.emitter = emitter;
    const persistence = redisPersistence({ conn: sessionsConn });
    this.persistence = persistence;
    return { id: nodeId, mq: emitter, persistence, heartbeatInterval: HEARTBEAT_INTERVAL_MS };
  }

  /** The bus the command relay shares with Aedes (open() first). */
  get mq(): SplitEmitter {
    if (!this.emitter) throw new Error('redis broker parts: mq before open()');
    return this.emitter;
  }

  /**
   * Closes what Aedes did not (it closes `mq` when the broker stops, never the
   * persistence), each step bounded: a QUIT to a Redis that is gone never
   * answers, and stopping must not hang on it. Then every connection is cut.
   */
  async close(): Promise<void> {
    // Closed on purpose: not a lost Redis, whatever the connections report on their way out.
    for (const conn of this.conns) this.settings.links.forget(conn);
    const shared = this.shared;
    const persistence = this.persistence;
    this.shared = undefined;
    this.persistence = undefined;
    this.emitter = undefined;
    if (persistence) await waitAtMost(persistence.destroy(), 2_000);
    if (shared) await waitAtMost(new Promise<void>((resolve) => shared.close(resolve)), 2_000);
    for (const conn of this.conns.splice(0)) conn.disconnect();
  }

  /** Every connection answers a PING (ready), or start stops with one line. */
  private async waitReady(): Promise<void> {
    const timeoutMs = this.settings.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(this.conns.map((conn) => conn.ping())),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } catch (err) {
      for (const c of this.conns.splice(0)) c.disconnect();
      throw new StartupError(`cannot connect to HUB_REDIS_URL (${this.description}): ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private onError(role: string, err: Error): void {
    const passed = this.errorThrottle.pass(role);
    if (passed) this.settings.log.error({ role, err: err.message, redis: this.description, suppressedSinceLast: passed.suppressed }, 'redis connection error');
  }
}

function isDeviceUplink(topic: string): boolean {
  const parsed = parseTopic(topic);
  return parsed !== null && parsed.channel !== 'cmd';
}
