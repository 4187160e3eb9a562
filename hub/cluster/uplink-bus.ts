/**
 * Device uplink that may be lost — telemetry, status, connect/disconnect —
 * carried from the node that received it to the leader over Redis pub/sub on
 * `${HUB_REDIS_PREFIX}uplink` (docs/CLUSTER.md "Forwarding to the leader").
 * Alarms never go this way: they go through PostgreSQL (inbound_alarm).
 *
 * Pub/sub delivers to whoever listens now, at most once: a message published
 * while the leader is away or Redis is down is gone, which the plan allows
 * (the next reading replaces it; the watchdog covers a device that goes
 * quiet). The publisher never queues while Redis is down (ioredis'
 * offline queue is off), so a Redis outage costs dropped telemetry, not memory.
 *
 * The channel sits under the prefix beside Aedes' mqemitter-redis channels
 * (`${prefix}<MQTT topic>`); no MQTT subscription can match it, because a
 * device may subscribe only to its own command topic, without wildcards
 * (hub/broker/device-acl.ts).
 */
import type { Redis, RedisOptions } from 'ioredis';
import { z } from 'zod';
import { DEVICE_ID_PATTERN } from '../../devices/topics.js';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import { describeRedisUrl } from './redis-broker-parts.js';
import type { RedisLinks } from './redis-links.js';

export const uplinkChannelName = (prefix: string): string => `${prefix}uplink`;

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
    private readonly channel: string,
    private readonly settings: UplinkBusSettings,
  ) {}

  static async open(settings: UplinkBusSettings): Promise<UplinkPublisher> {
    // No offline queue, no retry of a publish in flight when the connection drops (ioredis would
    // hold it through 20 reconnect attempts, ~10 s): telemetry is sent now or dropped and counted.
    const conn = await connectRedis(settings, 'uplink pub', { enableOfflineQueue: false, maxRetriesPerRequest: 0, enableAutoPipelining: true });
    return new UplinkPublisher(conn, uplinkChannelName(settings.redisPrefix), settings);
  }

  publish(message: ForwardedMessage): void {
    this.conn.publish(this.channel, encodeForwarded(message)).catch(() => this.dropped++);
  }

  async close(): Promise<void> {
    disconnectRedis(this.settings, this.conn);
  }
}

/** The leader's side: every message on the channel, decoded; refused ones counted and logged. */
export class UplinkSubscriber {
  refused = 0;
  private readonly throttle = new Throttle(10_000);

  private constructor(
    private readonly conn: Redis,
    private readonly settings: UplinkBusSettings,
  ) {}

  static async open(settings: UplinkBusSettings, onMessage: (message: ForwardedMessage) => void): Promise<UplinkSubscriber> {
    const conn = await connectRedis(settings, 'uplink sub', {});
    const subscriber = new UplinkSubscriber(conn, settings);
    const channel = uplinkChannelName(settings.redisPrefix);
    conn.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      const decoded = decodeForwarded(text);
      if ('refused' in decoded) return subscriber.noteRefused(decoded.refused, settings.log);
      try {
        onMessage(decoded);
      } catch (err) {
        // Thrown inside ioredis' event emitter it would end the process; one message is not worth that.
        subscriber.noteRefused(`handler failed: ${(err as Error).message}`, settings.log);
      }
    });
    try {
      await conn.subscribe(channel); // ioredis subscribes again by itself after a reconnect
    } catch (err) {
      disconnectRedis(settings, conn);
      throw err;
    }
    return subscriber;
  }

  async close(): Promise<void> {
    disconnectRedis(this.settings, this.conn);
  }

  private noteRefused(reason: string, log: Logger): void {
    this.refused++;
    const passed = this.throttle.pass('refused');
    if (passed) log.warn({ reason, suppressedSinceLast: passed.suppressed }, 'forwarded uplink message refused');
  }
}
