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
 * One entry per event-loop turn (since 2026-12-06): the messages a standby
 * forwards within a turn are packed into one entry (uplink-packer.ts, the
 * format in uplink-wire.ts), one XADD per turn on the standby and one entry
 * to parse per turn's worth on the leader. The read's COUNT and the
 * leader's size limit count entries; the stream's bound is still meant in
 * messages (below).
 *
 * Still at most once, as the plan allows (the next reading replaces a lost
 * one; the watchdog covers a device that goes quiet): NOACK, so a leader
 * that dies holding a batch loses it, and the publisher never queues while
 * Redis is down (ioredis' offline queue is off, and a message published
 * while the connection is not ready is dropped at once, not packed), so a
 * Redis outage costs dropped telemetry, not memory.
 *
 * **Owners** (issue 12 step 3): besides the leader's stream, each node has
 * one of its own for the homes it owns; the keys, and why one stream per node
 * rather than per partition, are in uplink-streams.ts.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import { describeRedisUrl } from './redis-broker-parts.js';
import type { RedisLinks } from './redis-links.js';
import { EntryWindow } from './stream-bound.js';
import { entryFields, type EntryField } from './uplink-entry-fields.js';
import { EntryPacker, type PackerLimits } from './uplink-packer.js';
import { uplinkNodeStreamKey, uplinkStreamKey, type UplinkReadStreams } from './uplink-streams.js';
import { BATCH_FIELD, decodeEntry, encodeItem, packEntry, type ForwardedMessage } from './uplink-wire.js';

export { entryFields, type EntryField } from './uplink-entry-fields.js';
export { uplinkNodeStreamKey, uplinkStreamKey, type UplinkReadStreams } from './uplink-streams.js';
export type { ForwardedMessage } from './uplink-wire.js';

/**
 * The stream's length bound, in messages. Reading deletes nothing (NOACK):
 * the stream always holds its last entries up to the bound, so it is Redis'
 * memory for the stream and how far back a new leader can start. 100,000
 * messages: 20 s of the bench's 5,050 msg/s forwarded, ~14 MB measured
 * there (26 MB when an entry was one message in a JSON object).
 *
 * `MAXLEN ~` counts entries, and how many messages an entry holds depends
 * on the load and on how devices send: 1 to 6 in the bench (its
 * generator sends in 1 ms ticks, so a standby writes ~800–1,000 entries a
 * second), about one per message for devices that send out of step at
 * moderate rates, up to 512. No fixed number of entries means the same telemetry in all those
 * cases, so each publisher turns this bound into entries from the sizes of
 * its own newest entries (stream-bound.ts). The most the stream can hold
 * stays as before: 100,000 messages of at most the broker's packet limit
 * (16 KiB, 22 KiB in base64: 2.2 GB); docs/CLUSTER.md.
 */
export const UPLINK_STREAM_MAX_MESSAGES = 100_000;
/** An entry's caps (uplink-packer.ts): 512 messages are ~10 ms of the leader's ingest; 128 KiB keeps one entry's parse short. */
export const UPLINK_ENTRY_LIMITS: PackerLimits = { maxMessages: 512, maxChars: 128 * 1024, maxWaitMs: 10 };
/**
 * The consumer group every leader reads `uplink` as (one leader at a time: the group's position is
 * the handover). A node reads its own stream under the same name: one XREADGROUP names one group
 * for all its keys, and nobody else reads that stream.
 */
const LEADER_GROUP = 'leader';
/**
 * Entries per read. An entry holds 1–512 messages; at the bench's 5,050
 * msg/s forwarded, 5–6 (docs/PERFORMANCE.md), so 16 entries are ~90
 * messages, well under 10 ms of ingest. Entries packed full (a standby
 * under heavy load) are taken with a turn of the event loop between them
 * (YIELD_AFTER_MESSAGES), so one read never holds the leader's loop much
 * longer than 10 ms either.
 */
const READ_ENTRIES = 16;
/** Messages taken from one read before the leader's loop gets a turn (~10 ms at ~20 µs of ingest each). */
const YIELD_AFTER_MESSAGES = 512;
/** How long one read waits for an entry; close() ends a wait at once (it disconnects). */
const READ_BLOCK_MS = 2_000;
/** A forwarded message older than this on arrival is dropped (a takeover's or an outage's backlog). */
export const STALE_AFTER_MS = 30_000;

export interface UplinkBusSettings {
  redisUrl: string;
  redisPrefix: string;
  nodeId: string;
  log: Logger;
  /** The node's Redis state (redis-links.ts), told of each connection once it is ready. */
  links?: RedisLinks | undefined;
  /** The stream's length bound in messages; default UPLINK_STREAM_MAX_MESSAGES. */
  streamMaxMessages?: number | undefined;
  /** How long an entry's first message waits for more (uplink-packer.ts); default UPLINK_ENTRY_LIMITS.maxWaitMs, 0: one event-loop turn. */
  entryWaitMs?: number | undefined;
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

/** The follower's side: publishes, never waits, never queues; one entry per 10 ms of messages per stream (uplink-packer.ts). */
export class UplinkPublisher {
  /** Messages not sent because Redis was unreachable (messages, not entries). */
  dropped = 0;
  /** Entries Redis took, and the messages in them: their ratio is how well a turn's messages are packed. */
  readonly written = { entries: 0, messages: 0 };
  /** Per stream (the leader's, each owner's): its packer and its newest entries' sizes (stream-bound.ts). */
  private readonly streams = new Map<string, { packer: EntryPacker; window: EntryWindow }>();

  private constructor(
    private readonly conn: Redis,
    private readonly settings: UplinkBusSettings,
  ) {}

  static async open(settings: UplinkBusSettings): Promise<UplinkPublisher> {
    // No offline queue, no retry of a publish in flight when the connection drops (ioredis would
    // hold it through 20 reconnect attempts, ~10 s): telemetry is sent now or dropped and counted.
    // No auto-pipelining: the packer already makes one command per turn, which ioredis would hold for one more
    // turn (it sends its pipelines from setImmediate).
    const conn = await connectRedis(settings, 'uplink pub', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    return new UplinkPublisher(conn, settings);
  }

  /** To the leader's stream, or with `toNode` to that node's own (the owner of the device's home). */
  publish(message: ForwardedMessage, toNode?: string): void {
    // Redis is away (reconnecting): dropped now rather than packed, so not even a turn's worth waits for it.
    if (this.conn.status !== 'ready') {
      this.dropped++;
      return;
    }
    const { redisPrefix } = this.settings;
    this.stream(toNode === undefined ? uplinkStreamKey(redisPrefix) : uplinkNodeStreamKey(redisPrefix, toNode)).packer.add(encodeItem(message));
  }

  async close(): Promise<void> {
    for (const { packer } of this.streams.values()) packer.flush();
    disconnectRedis(this.settings, this.conn);
  }

  private stream(key: string): { packer: EntryPacker; window: EntryWindow } {
    let stream = this.streams.get(key);
    if (!stream) {
      const { settings } = this;
      const window = new EntryWindow(settings.streamMaxMessages ?? UPLINK_STREAM_MAX_MESSAGES);
      const limits = { ...UPLINK_ENTRY_LIMITS, maxWaitMs: settings.entryWaitMs ?? UPLINK_ENTRY_LIMITS.maxWaitMs };
      stream = { window, packer: new EntryPacker(limits, (items) => this.send(key, window, items)) };
      this.streams.set(key, stream);
    }
    return stream;
  }

  private send(key: string, window: EntryWindow, items: string[]): void {
    const count = items.length;
    const maxEntries = window.add(count);
    this.conn.xadd(key, 'MAXLEN', '~', maxEntries, '*', BATCH_FIELD, packEntry(this.settings.nodeId, items)).then(
      () => {
        this.written.entries++;
        this.written.messages += count;
      },
      () => (this.dropped += count),
    );
  }
}

/**
 * The reading side: the leader reads the leader's stream; with owners, each node reads its own
 * stream too (UplinkReadStreams). In batches of entries, each decoded into its messages; refused and
 * stale ones counted and logged. Whether the node still owns a message's home is the drain's check.
 */
export class UplinkSubscriber {
  /** Messages refused (a bad one among good ones), or whole entries that could not be split into messages. */
  refused = 0;
  /** Messages dropped as older than STALE_AFTER_MS on arrival. */
  stale = 0;
  private readonly throttle = new Throttle(10_000);
  private closed = false;
  private reading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly conn: Redis,
    private readonly settings: UplinkBusSettings,
    private readonly onMessage: (message: ForwardedMessage) => void,
    private readonly now: () => number,
    private readonly streams: UplinkReadStreams | undefined,
  ) {}

  static async open(
    settings: UplinkBusSettings,
    onMessage: (message: ForwardedMessage) => void,
    now: () => number = Date.now,
    streams?: UplinkReadStreams,
  ): Promise<UplinkSubscriber> {
    // Its own connection: a blocking read holds it.
    const conn = await connectRedis(settings, 'uplink read', {});
    const subscriber = new UplinkSubscriber(conn, settings, onMessage, now, streams);
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

  private get leaderKey(): string {
    return uplinkStreamKey(this.settings.redisPrefix);
  }

  private get ownKey(): string | undefined {
    return this.streams ? uplinkNodeStreamKey(this.settings.redisPrefix, this.settings.nodeId) : undefined;
  }

  /** The streams of the next read: the node's own (with owners), the leader's while it leads (always, without owners). */
  private keysNow(): string[] {
    const own = this.ownKey;
    if (own === undefined) return [this.leaderKey];
    return this.streams?.leader() ? [this.leaderKey, own] : [own];
  }

  /**
   * The group on each stream this reader may read, made once per stream (from now on: for the very
   * first leader, for a node's first start); kept across leaders and restarts.
   */
  private async ensureGroup(): Promise<void> {
    for (const key of [this.leaderKey, this.ownKey]) {
      if (key === undefined) continue;
      try {
        await this.conn.xgroup('CREATE', key, LEADER_GROUP, '$', 'MKSTREAM');
      } catch (err) {
        if (!/BUSYGROUP/.test((err as Error).message)) throw err;
      }
    }
  }

  private async readLoop(): Promise<void> {
    const { nodeId, log } = this.settings;
    let backoffMs = 100;
    while (!this.closed) {
      let reply: unknown;
      try {
        // COUNT is per stream: a leader reading its own stream and the leader's takes up to twice READ_ENTRIES.
        const keys = this.keysNow();
        const ids = keys.map(() => '>');
        reply = await this.conn.call('XREADGROUP', 'GROUP', LEADER_GROUP, nodeId, 'COUNT', READ_ENTRIES, 'BLOCK', READ_BLOCK_MS, 'NOACK', 'STREAMS', ...keys, ...ids);
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
      await this.takeAll(entryFields(reply));
    }
  }

  /** One read's entries, in order, with a turn of the event loop after every YIELD_AFTER_MESSAGES messages. */
  private async takeAll(entries: readonly (EntryField | undefined)[]): Promise<void> {
    let sinceTurn = 0;
    for (const entry of entries) {
      if (this.closed) return; // what is left of the read is lost, as when a leader dies holding it (NOACK)
      sinceTurn += this.takeEntry(entry);
      if (sinceTurn >= YIELD_AFTER_MESSAGES) {
        sinceTurn = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /** Feeds an entry's valid messages and counts the rest; returns how many it fed. */
  private takeEntry(entry: EntryField | undefined): number {
    if (!entry) {
      this.noteRefused('entry without a message field');
      return 0;
    }
    const { messages, refused } = decodeEntry(entry.field, entry.text);
    for (const reason of refused) this.noteRefused(reason);
    for (const message of messages) this.take(message);
    return messages.length;
  }

  private take(message: ForwardedMessage): void {
    const sentAt = message.kind === 'uplink' ? message.receivedAt : message.at;
    if (this.now() - sentAt > STALE_AFTER_MS) {
      this.stale++;
      return;
    }
    try {
      this.onMessage(message);
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
