/**
 * Telemetry PUBACKs written late under overload (issue 14 item 1, fourth
 * pass; docs/PERFORMANCE.md). At twice what the hub can process, reading a
 * message and writing its PUBACK cost about half of processing it: one read
 * and one write system call per message, since a device's messages arrive
 * one per read. Once the scheduler says the overload lasts (uplink-scheduler.ts,
 * `lateAcksAfterMs`), a connection's telemetry PUBACKs wait here up to
 * `delayMs` and leave in one write with the others that came meanwhile, so
 * the writes per second drop by the messages each device sends in that time
 * (at 60,000 msg/s from 4,000 devices: 0.29 writes per message instead of 1;
 * a device that sends less often than `delayMs` gains nothing).
 *
 * Never delayed: an event's PUBACK, and anything while the hub keeps up. A
 * device that keeps only one message in flight waits for a held PUBACK before
 * it can send its next, alarm included (docs/PROTOCOL.md says to keep a slot
 * free).
 * When a connection writes any PUBACK (an alarm's, or those of a turn in
 * which it was not overloaded), its waiting ones go first in the same write,
 * so a connection's PUBACKs stay in the order they were decided.
 *
 * Bounded: a connection writes its waiting PUBACKs once `maxPerConnection`
 * wait (below a device's in-flight window, or it would stop sending), and
 * once `maxPending` wait over all connections the oldest batches are written.
 * A connection that closes writes what waits if its socket still can.
 */

/** A connection as seen from here (guarded-connection.ts). */
export interface LateAckHolder {
  /** Writes every PUBACK the connection holds, late ones first. */
  flushAcks(): void;
  /** The batch its waiting PUBACKs belong to; a new one starts after each write. */
  readonly lateBatch: number;
}

export interface AckDelayOptions {
  /** How long a telemetry PUBACK may wait for others of its connection, in ms. */
  delayMs: number;
  /**
   * Waiting PUBACKs that make a connection write at once. 4 leaves 12 of the
   * 16 in-flight slots PROTOCOL.md allows for messages the hub has not read
   * yet: with 8, a loaded machine's long poll phases filled devices' windows
   * and SOS could not be sent (docs/PERFORMANCE.md, issue 14 fourth pass).
   */
  maxPerConnection: number;
  /** Waiting PUBACKs over all connections at which the oldest batches are written. */
  maxPending: number;
}

export const DEFAULT_ACK_DELAY: AckDelayOptions = { delayMs: 200, maxPerConnection: 4, maxPending: 16_384 };

/** The due batches are written a few ms at once, so one timer serves many connections. */
const TIMER_SLACK_MS = 5;

/**
 * The batches waiting, oldest first, in a ring allocated once: a batch lives
 * for the delay, so entries made per batch would be promoted to the old
 * generation and collected there, under overload, by a major collection.
 * A batch its connection wrote early stays in the ring until its turn and is
 * then skipped; a full ring writes its oldest batch.
 */
export class DelayedAcks {
  readonly stats = { delayed: 0, maxPending: 0 };
  private pending = 0;
  private holders: (LateAckHolder | undefined)[] = [];
  private batches = new Uint32Array(0);
  private dueAt = new Float64Array(0);
  private head = 0;
  private size = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly options: AckDelayOptions, private readonly now: () => number = () => performance.now()) {}

  /** PUBACKs waiting now, over all connections. */
  get waiting(): number {
    return this.pending;
  }

  /**
   * One more PUBACK waits in `holder`, which now holds `held`; the first of a
   * batch starts its delay. Returns true when the connection must write now.
   */
  held(holder: LateAckHolder, held: number): boolean {
    this.stats.delayed++;
    this.pending++;
    if (this.pending > this.stats.maxPending) this.stats.maxPending = this.pending;
    if (held === 1) this.startBatch(holder);
    if (held >= this.options.maxPerConnection) return true;
    // Under overload a poll phase can read for seconds before the timer runs: due batches leave from here too.
    if (this.dueAt[this.head]! <= this.now()) this.writeDue();
    // The oldest batches leave until fewer than the bound wait (this connection's too, if it is the oldest).
    while (this.pending >= this.options.maxPending && this.size > 0) this.writeHead();
    return false;
  }

  /** A connection wrote (or, closing, dropped) `count` waiting PUBACKs. */
  released(count: number): void {
    this.pending -= count;
  }

  /** Every waiting PUBACK written now (the broker stops). */
  flushAll(): void {
    while (this.size > 0) this.writeHead();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private startBatch(holder: LateAckHolder): void {
    const capacity = this.options.maxPending;
    if (this.holders.length === 0) this.allocate(capacity);
    if (this.size === capacity) this.writeHead();
    const at = (this.head + this.size++) % capacity;
    this.holders[at] = holder;
    this.batches[at] = holder.lateBatch;
    this.dueAt[at] = this.now() + this.options.delayMs;
    if (!this.timer) this.arm();
  }

  private allocate(capacity: number): void {
    this.holders = new Array<LateAckHolder | undefined>(capacity).fill(undefined);
    this.batches = new Uint32Array(capacity);
    this.dueAt = new Float64Array(capacity);
  }

  private writeHead(): void {
    const at = this.head;
    const holder = this.holders[at];
    this.holders[at] = undefined;
    this.head = (at + 1) % this.options.maxPending;
    this.size--;
    // A batch the connection wrote already (an alarm, its bound, its close) is skipped.
    if (holder && holder.lateBatch === this.batches[at]) holder.flushAcks();
  }

  private arm(): void {
    const wait = Math.max(0, this.dueAt[this.head]! - this.now());
    this.timer = setTimeout(() => this.writeDue(), wait + TIMER_SLACK_MS);
    this.timer.unref();
  }

  /** From the timer, or from `held` when the timer is late. */
  private writeDue(): void {
    const until = this.now() + TIMER_SLACK_MS;
    while (this.size > 0 && this.dueAt[this.head]! <= until) this.writeHead();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.size > 0) this.arm();
  }
}
