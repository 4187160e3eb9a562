/**
 * Device uplink that may be lost — telemetry, status, connect/disconnect —
 * carried from the node that received it to the leader over a Redis Stream,
 * `${HUB_REDIS_PREFIX}uplink` (docs/CLUSTER.md "Forwarding to the leader").
 * Alarms never go this way: they go through PostgreSQL (inbound_alarm).
 *
 * Why a stream and not pub/sub (which this was until 2026-12-05):
 * - **The leader reads at its own pace.** Pub/sub pushes every message into
 *   the leader's event loop as fast as the standbys receive them, ahead of
 *   the alarms it drains from PostgreSQL; and a leader that falls behind has
 *   its subscriber connection cut by Redis (`client-output-buffer-limit
 *   pubsub`), a lost Redis to the hub. The leader pulls batches instead
 *   (XREADGROUP COUNT), one at a time; what it cannot read waits in Redis,
 *   where the stream's length bound (XADD MAXLEN ~) drops the oldest first:
 *   under overload telemetry is shed, alarms are not (issue 14).
 * - **A takeover loses less.** The stream's consumer group remembers what
 *   was delivered, so a new leader starts where the old one stopped, and
 *   what the standbys sent in between is not lost. Entries older than
 *   `STALE_AFTER_MS` on arrival are dropped and counted: a reading from long
 *   ago would otherwise be taken in as new (ingest stamps its own time).
 *
 * Still at most once, as the plan allows (the next reading replaces a lost
 * one; the watchdog covers a device that goes quiet): NOACK, so a leader
 * that dies holding a batch loses it, and the publisher never queues while
 * Redis is down (ioredis' offline queue is off), so a Redis outage costs
 * dropped telemetry, not memory.
 *
 * The key sits under the prefix beside Aedes' keys and mqemitter-redis
 * channels; no MQTT subscription can reach it (a device may subscribe only
 * to its own command topic, without wildcards: hub/broker/device-acl.ts).
 */
import type { Redis, RedisOptions } from 'ioredis';
import { z } from 'zod';
import { DEVICE_ID_PATTERN } from '../../devices/topics.js';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import { describeRedisUrl } from './redis-broker-parts.js';
import type { RedisLinks } from './redis-links.js';

export const uplinkStreamKey = (prefix: string): string => `${prefix}uplink`;

/** The stream's length bound (approximate, `MAXLEN ~`): about 10 s of 10,000 msg/s forwarded, ~30 MB in Redis. */
export const UPLINK_STREAM_MAX_ENTRIES = 100_000;
/** The consumer group every leader reads as (one leader at a time: the group's position is the handover). */
const LEADER_GROUP = 'leader';
/** Entries per read: ~10 ms of ingest, so a batch never holds the event loop long. */
const READ_BATCH = 256;
/** How long one read waits for an entry; close() ends a wait at once (it disconnects). */
const READ_BLOCK_MS = 2_000;
/** A forwarded message older than this on arrival is dropped (a takeover's or an outage's backlog). */
export const STALE_AFTER_MS = 30_000;

/** Longest message accepted off the channel (a payload is bounded by the broker's packet limit, far below). */
const MAX_MESSAGE_CHARS = 4 * 1024 * 1024;

const node = z.string().min(1).max(128);
const deviceId = z.string().regex(DEVICE_ID_PATTERN);
const wireMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uplink'), node, deviceId, channel: z.enum(['telemetry', 'status']), payload: z.base64(), receivedAt: z.number() }),
  z.object({ kind: z.literal('connection'), node, deviceId, connected: z.boolean(), at: z.number() }),
]);

export type ForwardedMessage =
  | { kind: 'uplink'; node: string; deviceId: string; channel: 'telemetry' | 'status'; payload: Buffer; receivedAt: number }
  | { kind: 'connection'; node: string; deviceId: string; connected: boolean; at: number };

/** JSON, the payload in base64: any bytes survive, whatever the device sent. */
export function encodeForwarded(message: ForwardedMessage): string {
  return JSON.stringify(message.kind === 'uplink' ? { ...message, payload: message.payload.toString('base64') } : message);
}

/** The message, or a reason it is refused (too long, not JSON, not the shape above). */
export function decodeForwarded(text: string): ForwardedMessage | { refused: string } {
  if (text.length > MAX_MESSAGE_CHARS) return { refused: `${text.length} characters, over ${MAX_MESSAGE_CHARS}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { refused: 'not JSON' };
  }
  const parsed = wireMessage.safeParse(body);
  if (!parsed.success) return { refused: parsed.error.issues[0]?.message ?? 'invalid' };
  const m = parsed.data;
  return m.kind === 'uplink' ? { ...m, payload: Buffer.from(m.payload, 'base64') } : m;
}

export interface UplinkBusSettings {
  redisUrl: string;
  redisPrefix: string;
  nodeId: string;
  log: Logger;
  /** The node's Redis state (redis-links.ts), told of each connection once it is ready. */
  links?: RedisLinks | undefined;
  /** The stream's length bound; default UPLINK_STREAM_MAX_ENTRIES. */
  streamMaxEntries?: number | undefined;
}

/** One Redis connection, ready and watched, its errors logged (throttled, never with the URL's password). */
async function connectRedis(settings: UplinkBusSettings, role: string, options: RedisOptions): Promise<Redis> {
  const { Redis } = await import('ioredis'); // loaded only in a cluster
  const conn = new Redis(settings.redisUrl, { lazyConnect: true, connectionName: `hub ${settings.nodeId} ${role}`, ...options });
  const throttle = new Throttle(10_000);
  conn.on('error', (err: Error) => {
    const passed = throttle.pass(role);
    if (passed) settings.log.error({ role, err: err.message, redis: describeRedisUrl(settings.redisUrl), suppressedSinceLast: passed.suppressed }, 'redis connection error');
  });
  try {
    await conn.connect();
  } catch (err) {
    conn.disconnect();
    throw new Error(`cannot connect to HUB_REDIS_URL (${describeRedisUrl(settings.redisUrl)}): ${(err as Error).message}`);
  }
  settings.links?.watch(conn);
  return conn;
}

/** Closed on purpose: forgotten by the node's Redis state first, so its end is not a lost Redis. */
function disconnectRedis(settings: UplinkBusSettings, conn: Redis): void {
  settings.links?.forget(conn);
  conn.disconnect();
}

/** The follower's side: publishes, never waits, never queues. */
export class UplinkPublisher {
  /** Messages not sent because Redis was unreachable. */
  dropped = 0;

  private constructor(
    private readonly conn: Redis,
    private readonly key: string,
    private readonly settings: UplinkBusSettings,
  ) {}

  static async open(settings: UplinkBusSettings): Promise<UplinkPublisher> {
    // No offline queue, no retry of a publish in flight when the connection drops (ioredis would
    // hold it through 20 reconnect attempts, ~10 s): telemetry is sent now or dropped and counted.
    const conn = await connectRedis(settings, 'uplink pub', { enableOfflineQueue: false, maxRetriesPerRequest: 0, enableAutoPipelining: true });
    return new UplinkPublisher(conn, uplinkStreamKey(settings.redisPrefix), settings);
  }

  publish(message: ForwardedMessage): void {
    const max = this.settings.streamMaxEntries ?? UPLINK_STREAM_MAX_ENTRIES;
    this.conn.xadd(this.key, 'MAXLEN', '~', max, '*', 'm', encodeForwarded(message)).catch(() => this.dropped++);
  }

  async close(): Promise<void> {
    disconnectRedis(this.settings, this.conn);
  }
}

/** The leader's side: reads the stream in batches, decodes; refused and stale entries counted and logged. */
export class UplinkSubscriber {
  refused = 0;
  /** Entries dropped as older than STALE_AFTER_MS on arrival. */
  stale = 0;
  private readonly throttle = new Throttle(10_000);
  private closed = false;
  private reading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly conn: Redis,
    private readonly settings: UplinkBusSettings,
    private readonly onMessage: (message: ForwardedMessage) => void,
    private readonly now: () => number,
  ) {}

  static async open(settings: UplinkBusSettings, onMessage: (message: ForwardedMessage) => void, now: () => number = Date.now): Promise<UplinkSubscriber> {
    // Its own connection: a blocking read holds it.
    const conn = await connectRedis(settings, 'uplink read', {});
    const subscriber = new UplinkSubscriber(conn, settings, onMessage, now);
    try {
      await subscriber.ensureGroup();
    } catch (err) {
      disconnectRedis(settings, conn);
      throw err;
    }
    subscriber.reading = subscriber.readLoop();
    return subscriber;
  }

  async close(): Promise<void> {
    this.closed = true;
    disconnectRedis(this.settings, this.conn);
    await this.reading;
  }

  private get key(): string {
    return uplinkStreamKey(this.settings.redisPrefix);
  }

  /** The leaders' group, made once per stream (from now on, for the very first leader); kept across leaders. */
  private async ensureGroup(): Promise<void> {
    try {
      await this.conn.xgroup('CREATE', this.key, LEADER_GROUP, '$', 'MKSTREAM');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
  }

  private async readLoop(): Promise<void> {
    const { nodeId, log } = this.settings;
    let backoffMs = 100;
    while (!this.closed) {
      let reply: unknown;
      try {
        reply = await this.conn.call('XREADGROUP', 'GROUP', LEADER_GROUP, nodeId, 'COUNT', READ_BATCH, 'BLOCK', READ_BLOCK_MS, 'NOACK', 'STREAMS', this.key, '>');
        backoffMs = 100;
      } catch (err) {
        if (this.closed) return;
        const message = (err as Error).message;
        // Redis restarted without its data (this machine's keeps none): the stream and group are gone.
        if (/NOGROUP/.test(message)) await this.ensureGroup().catch(() => undefined);
        const passed = this.throttle.pass('read');
        if (passed) log.warn({ err: message, suppressedSinceLast: passed.suppressed }, 'reading the uplink stream failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 2_000);
        continue;
      }
      for (const text of entryTexts(reply)) this.take(text);
    }
  }

  private take(text: string | undefined): void {
    if (text === undefined) return this.noteRefused('entry without a message field');
    const decoded = decodeForwarded(text);
    if ('refused' in decoded) return this.noteRefused(decoded.refused);
    const sentAt = decoded.kind === 'uplink' ? decoded.receivedAt : decoded.at;
    if (this.now() - sentAt > STALE_AFTER_MS) {
      this.stale++;
      return;
    }
    try {
      this.onMessage(decoded);
    } catch (err) {
      // One message is not worth the read loop.
      this.noteRefused(`handler failed: ${(err as Error).message}`);
    }
  }

  private noteRefused(reason: string): void {
    this.refused++;
    const passed = this.throttle.pass('refused');
    if (passed) this.settings.log.warn({ reason, suppressedSinceLast: passed.suppressed }, 'forwarded uplink message refused');
  }
}

/**
 * The `m` field of each entry of an XREADGROUP reply
 * (`[[key, [[id, [field, value, ...]], ...]]]`, or null when the wait timed
 * out); undefined for an entry without one (written by something else).
 */
export function entryTexts(reply: unknown): (string | undefined)[] {
  if (!Array.isArray(reply)) return [];
  const texts: (string | undefined)[] = [];
  for (const stream of reply) {
    const entries: unknown = Array.isArray(stream) ? stream[1] : undefined;
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      const fields: unknown = Array.isArray(entry) ? entry[1] : undefined;
      const at = Array.isArray(fields) ? fields.indexOf('m') : -1;
      const value: unknown = at >= 0 && at % 2 === 0 ? (fields as unknown[])[at + 1] : undefined;
      texts.push(typeof value === 'string' ? value : undefined);
    }
  }
  return texts;
}
