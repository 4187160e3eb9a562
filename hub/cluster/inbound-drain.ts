/**
 * The leader's side of forwarding (issue 12 item 2; docs/CLUSTER.md
 * "Forwarding to the leader"): what followers received is fed into the
 * leader's own device-message entry, as if its broker had received it.
 *
 * Alarms (`inbound_alarm` rows): a round reads the oldest rows by id, feeds
 * them to the handler in that order (per device, the order they came), waits
 * for each one's promise — the same promise a local PUBACK waits for, so
 * "resolved" means what it caused is durable in the journal — and only then
 * deletes the delivered rows. A row whose promise rejects stays, and so do
 * the later rows of its device (they must not overtake it); the round is
 * tried again after `retryDelayMs`. A drainer that dies between its journal
 * commit and the DELETE leaves rows that the next leader feeds again: the
 * handler must therefore drop a message already journaled — the hub's entry
 * does, with the journal's unique message keys in front of ingest
 * (hub/ingest/journal-dedupe.ts).
 *
 * Rounds are woken by the NOTIFY of a new row, by a slow safety poll (a
 * notification is lost while the listening connection is down), and at start,
 * which therefore begins with the leftovers of a previous leader.
 *
 * Telemetry, status and connect/disconnect arrive over Redis (uplink-bus.ts)
 * and are fed at once; losing them is allowed, and they are not ordered
 * against the alarms.
 *
 * **Owners** (issue 12 step 3, checklist item 4), optional, absent meaning
 * today's one leader draining everything. With `drains` (owner-routing.ts
 * `drainsFor`) a node's drain reads only the rows of the partitions it
 * drains — its owned ones, and -1 and NULL while it leads — so two drains
 * never read the same row (they never drain the same partition; the rows
 * are read without a lock, as before, and deleted by the one that fed
 * them). `onGained` wakes a round at once when a partition is gained: a
 * dead owner's rows are taken without waiting for the poll. Each forwarded
 * telemetry, status or connection is checked against `drains` too, by its
 * device's home now (`homeOfDevice`): one for a home this node does not own
 * (sent while the directory still named it, or read from its stream after
 * a loss) is dropped and counted (`dropped.notOwned`), never applied.
 */
import type { UplinkChannel } from '../../devices/topics.js';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import { ALL_HOME_PARTITIONS, HOMELESS_PARTITION } from '../core/partitions.js';
import type { PartitionListener } from '../core/partition-ownership.js';
import type { InboundAlarm, InboundAlarmFilter, InboundAlarmStore } from '../storage/ports.js';
import { isNodeRow } from './forwarded-audit.js';
import { devicePartition, type DrainsPartition, type HomeOfDevice } from './owner-routing.js';
import type { ForwardedMessage } from './uplink-bus.js';

/** Where a forwarded message came from; a plain UplinkHandler may ignore it. */
export interface ForwardOrigin {
  receivedAt: number;
  receivedBy: string;
}

export type ForwardedUplinkHandler = (deviceId: string, channel: UplinkChannel, payload: Buffer, origin: ForwardOrigin) => Promise<unknown> | undefined;

interface Closable {
  close(): Promise<void>;
}

export interface InboundDrainDeps {
  store: InboundAlarmStore;
  /** The leader's device-message entry, with the journal dedupe in front (see above). */
  handle: ForwardedUplinkHandler;
  /** Subscribes to the followers' telemetry, status and connections (UplinkSubscriber.open); absent: alarms only. */
  subscribe?: (onMessage: (message: ForwardedMessage) => void) => Promise<Closable>;
  /** A device connected to or disconnected from a follower. */
  onConnection?: (deviceId: string, connected: boolean, at: number) => void;
  log: Logger;
  /** Safety poll, for notifications lost while the listening connection was down. */
  pollEveryMs?: number;
  batchSize?: number;
  /** Wait before a round that failed is tried again. */
  retryDelayMs?: number;
  /** How long stop() waits for the handler's promises of a round in flight. */
  stopTimeoutMs?: number;
  /** Which partitions' rows and messages this node takes (owner-routing.ts drainsFor); absent: all (one leader). */
  drains?: DrainsPartition | undefined;
  /** The registry: a forwarded message's partition is its device's home's now. Absent: every device is home-less (-1). */
  homeOfDevice?: HomeOfDevice | undefined;
  /** PartitionOwnership.onGained: a gained partition's rows are drained at once. */
  onGained?: ((listener: PartitionListener) => () => void) | undefined;
}

const NO_HOME: HomeOfDevice = () => undefined;

export class InboundDrain {
  readonly stats = { alarmsDelivered: 0, alarmsFailed: 0 };
  /** Taken off Redis from the followers, by kind. */
  readonly received = { telemetry: 0, status: 0, connection: 0 };
  /** Taken off Redis but not applied: the device's home is not this node's (any more). */
  readonly dropped = { notOwned: 0 };
  private running = false;
  /** stop() stopped waiting for a round: that round must not touch the store again. */
  private abandoned = false;
  private round: Promise<void> | undefined;
  private again = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly closables: Closable[] = [];
  private readonly failureLog = new Throttle(10_000);

  constructor(private readonly deps: InboundDrainDeps) {}

  /** Listens, subscribes, and resolves after a first pass over the rows already waiting. */
  async start(): Promise<void> {
    this.running = true;
    this.abandoned = false;
    try {
      // The listener wakes once it listens: that first round is the drain of the leftovers.
      this.closables.push(await this.deps.store.listen(() => this.wake()));
      const { onGained } = this.deps;
      if (onGained) {
        const unsubscribe = onGained(() => this.wake());
        this.closables.push({ close: async () => void unsubscribe() });
      }
      if (this.deps.subscribe) this.closables.push(await this.deps.subscribe((m) => this.onForwarded(m)));
    } catch (err) {
      await this.stop(); // nothing half-started is left listening
      throw err;
    }
    this.pollTimer = setInterval(() => this.wake(), this.deps.pollEveryMs ?? 5_000);
    this.pollTimer.unref();
    await this.round;
  }

  /** Stops listening and polling; waits (bounded) for the round in flight, which deletes what it delivered. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.pollTimer);
    clearTimeout(this.retryTimer);
    await Promise.all(this.closables.splice(0).map((c) => c.close().catch(() => undefined)));
    const round = this.round;
    if (!round) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.deps.stopTimeoutMs ?? 5_000)));
    const outcome = await Promise.race([round.then(() => 'done' as const), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.abandoned = true;
  }

  /** Runs a round now, or one more after the round in flight. */
  private wake(): void {
    if (!this.running) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = this.drain().finally(() => {
      this.round = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async drain(): Promise<void> {
    const batchSize = this.deps.batchSize ?? 256;
    try {
      while (this.running) {
        const filter = this.filter();
        if (filter && filter.partitions.length === 0 && !filter.withNull) return; // owns nothing, leads not
        const rows = await (filter ? this.deps.store.oldest(batchSize, filter) : this.deps.store.oldest(batchSize));
        if (rows.length === 0 || !this.running) return;
        const { delivered, failed } = await this.deliver(rows);
        if (this.abandoned) return;
        await this.deps.store.remove(delivered.map((row) => row.id));
        // Nodes' pipeline heartbeats and standbys' audit records come this way too (forwarded-audit.ts); they are not alarms.
        this.stats.alarmsDelivered += delivered.filter((row) => !isNodeRow(row.deviceId)).length;
        if (failed) return this.retryLater();
        if (rows.length < batchSize) return;
      }
    } catch (err) {
      this.noteFailure('inbound alarms not read or deleted; trying again', err);
      this.retryLater();
    }
  }

  /** The rows this node drains now (asked each round: ownership moves); undefined: all of them. */
  private filter(): InboundAlarmFilter | undefined {
    const { drains } = this.deps;
    if (!drains) return undefined;
    const partitions = [HOMELESS_PARTITION, ...ALL_HOME_PARTITIONS].filter((p) => drains(p));
    const withNull = drains(null);
    // Every partition (a leader that owns everything): the plain read, as with one leader.
    if (withNull && partitions.length === ALL_HOME_PARTITIONS.length + 1) return undefined;
    return { partitions, withNull };
  }

  /** Whether a forwarded message's device is this node's to apply now. */
  private takes(deviceId: string): boolean {
    const { drains, homeOfDevice } = this.deps;
    return !drains || drains(devicePartition(homeOfDevice ?? NO_HOME, deviceId));
  }

  /** Feeds the rows in id order, then waits for all: which rows may be deleted. */
  private async deliver(rows: InboundAlarm[]): Promise<{ delivered: InboundAlarm[]; failed: boolean }> {
    const pending = rows.map((row) => this.feed(row.deviceId, 'event', row.payload, { receivedAt: row.receivedAt, receivedBy: row.receivedBy }));
    const settled = await Promise.allSettled(pending);
    const blocked = new Set<string>();
    const delivered: InboundAlarm[] = [];
    rows.forEach((row, i) => {
      const result = settled[i]!;
      if (blocked.has(row.deviceId)) return;
      if (result.status === 'fulfilled') {
        delivered.push(row);
        return;
      }
      blocked.add(row.deviceId);
      this.stats.alarmsFailed++;
      this.noteFailure('forwarded alarm not taken by the pipeline; it stays queued', result.reason, row.deviceId);
    });
    return { delivered, failed: blocked.size > 0 };
  }

  private feed(deviceId: string, channel: UplinkChannel, payload: Buffer, origin: ForwardOrigin): Promise<unknown> {
    try {
      return Promise.resolve(this.deps.handle(deviceId, channel, payload, origin));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private onForwarded(message: ForwardedMessage): void {
    if (!this.running) return;
    if (!this.takes(message.deviceId)) {
      this.dropped.notOwned++;
      return;
    }
    if (message.kind === 'connection') {
      this.received.connection++;
      this.deps.onConnection?.(message.deviceId, message.connected, message.at);
      return;
    }
    this.received[message.channel]++;
    const origin = { receivedAt: message.receivedAt, receivedBy: message.node };
    this.feed(message.deviceId, message.channel, message.payload, origin).catch((err: unknown) =>
      this.noteFailure('forwarded telemetry not taken by the pipeline', err, message.deviceId),
    );
  }

  private retryLater(): void {
    if (!this.running) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.wake(), this.deps.retryDelayMs ?? 1_000);
    this.retryTimer.unref();
  }

  private noteFailure(what: string, err: unknown, deviceId?: string): void {
    const passed = this.failureLog.pass(what);
    if (passed) this.deps.log.error({ deviceId, err: (err as Error | undefined)?.message, suppressedSinceLast: passed.suppressed }, what);
  }
}
