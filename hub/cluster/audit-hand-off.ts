/**
 * A standby's side of its broker's audit (issue 12, DESIGN.md §11;
 * docs/CLUSTER.md "A standby's broker refusals"). What the broker refuses is
 * audited into the journal, which only the leader holds; a standby stores
 * each record as an `inbound_alarm` row (forwarded-audit.ts) and the leader's
 * drain journals it, as it does the standby's alarms and heartbeats.
 *
 * What reaches `hand` has already passed the broker's audit throttle (one
 * record per kind and source per 10 s, hub/broker/mqtt-broker.ts) — the bound
 * a hub alone puts on what a stranger can make it journal. This adds what a
 * hand-off needs on top, so that a flood of refusals can neither fill this
 * node's memory nor slow its alarms:
 *
 * - `hand` never waits and never throws: the broker's refusal goes on at once.
 * - At most `maxPending` records wait here (default 1,000, each at most
 *   `maxRecordBytes`, 4 KiB: 4 MiB at worst). A record that finds the queue
 *   full is dropped, counted, and logged (one line per 10 s with the count).
 * - One round in flight at a time, of at most `batchSize` records (64), put
 *   together so they join one group-committed INSERT (inbound-alarms-pg.ts):
 *   an alarm never waits behind more than one audit round.
 * - A round the database refuses stays at the head of the queue and is tried
 *   again after a backoff (0.5 s doubling to 5 s) while newer records queue
 *   up to the bound. Rows waiting in PostgreSQL for a leader are not this
 *   node's concern: the next leader drains them.
 *
 * Each row has a message key (a per-process count, the record's time): a
 * round retried after a commit whose answer was lost makes no second row
 * while the first still waits.
 */
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import type { InboundAlarmStore, NewInboundAlarm } from '../storage/ports.js';
import { auditClientId, encodeForwardedAudit, type AuditRecord } from './forwarded-audit.js';

export interface AuditHandOffDeps {
  store: Pick<InboundAlarmStore, 'put'>;
  nodeId: string;
  log: Logger;
  maxPending?: number;
  batchSize?: number;
  maxRecordBytes?: number;
  retryDelayMs?: { min: number; max: number };
}

export const AUDIT_HAND_OFF_LIMITS = { maxPending: 1_000, batchSize: 64, maxRecordBytes: 4 * 1024, retryDelayMs: { min: 500, max: 5_000 } };

export class AuditHandOff {
  /** Records stored for the leader, and records dropped here (queue full, too large, or left at stop). */
  readonly stats = { stored: 0, dropped: 0 };
  private readonly queue: NewInboundAlarm[] = [];
  private readonly limits: typeof AUDIT_HAND_OFF_LIMITS;
  private readonly dropLog = new Throttle(10_000);
  private readonly failureLog = new Throttle(10_000);
  private seq = 0;
  private unloggedDrops = 0;
  private sending = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;

  constructor(private readonly deps: AuditHandOffDeps) {
    const defaults = AUDIT_HAND_OFF_LIMITS;
    this.limits = {
      maxPending: deps.maxPending ?? defaults.maxPending,
      batchSize: deps.batchSize ?? defaults.batchSize,
      maxRecordBytes: deps.maxRecordBytes ?? defaults.maxRecordBytes,
      retryDelayMs: deps.retryDelayMs ?? defaults.retryDelayMs,
    };
    this.retryDelay = this.limits.retryDelayMs.min;
  }

  /** Records waiting here for the database. */
  get pending(): number {
    return this.queue.length;
  }

  /** The broker refused something at `at` (this node's clock): queued for the leader, or dropped past the bound. */
  hand(record: AuditRecord, at: number): void {
    if (this.stopped) return this.drop(record.action, 'this node is stopping');
    if (this.queue.length >= this.limits.maxPending) return this.drop(record.action, `${this.limits.maxPending} records already wait for the database`);
    const payload = encodeForwardedAudit(record);
    if (payload.length > this.limits.maxRecordBytes) return this.drop(record.action, `record of ${payload.length} bytes over ${this.limits.maxRecordBytes}`);
    const { nodeId } = this.deps;
    this.queue.push({ deviceId: auditClientId(nodeId), key: { seq: ++this.seq, ts: at }, payload, receivedAt: at, receivedBy: nodeId });
    this.send();
  }

  /** Stops sending; what still waits is dropped and logged (the round in flight finishes in the store). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const left = this.queue.splice(0).length;
    this.stats.dropped += left;
    this.unloggedDrops += left;
    if (this.unloggedDrops > 0) this.logDrops('this node is stopping');
  }

  private send(): void {
    if (this.sending || this.retryTimer || this.stopped || this.queue.length === 0) return;
    this.sending = true;
    const round = this.queue.slice(0, this.limits.batchSize);
    // Put all at once: they wait in the store's group commit and go in one INSERT.
    void Promise.allSettled(round.map((alarm) => this.deps.store.put(alarm))).then((results) => {
      this.sending = false;
      const done = new Set(round.filter((_, i) => results[i]!.status === 'fulfilled'));
      this.stats.stored += done.size;
      if (done.size > 0) this.remove(done);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (refused) return this.retryLater(refused.reason);
      this.retryDelay = this.limits.retryDelayMs.min;
      // The drops held back by the log throttle, summed up once the queue has emptied.
      if (this.queue.length === 0 && this.unloggedDrops > 0) this.logDrops('dropped since the last line; the queue has emptied');
      this.send();
    });
  }

  private remove(done: ReadonlySet<NewInboundAlarm>): void {
    const kept = this.queue.filter((alarm) => !done.has(alarm));
    this.queue.splice(0, this.queue.length, ...kept);
  }

  private retryLater(err: unknown): void {
    if (this.stopped) return;
    const passed = this.failureLog.pass('store');
    if (passed) {
      const message = err instanceof Error ? err.message : String(err);
      this.deps.log.error({ err: message, pending: this.queue.length, retryInMs: this.retryDelay, suppressedSinceLast: passed.suppressed }, 'audit records not stored for the leader; kept here and tried again');
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.send();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, this.limits.retryDelayMs.max);
  }

  private drop(action: string, why: string): void {
    this.stats.dropped++;
    this.unloggedDrops++;
    if (this.dropLog.pass('drop')) this.logDrops(why, action);
  }

  private logDrops(why: string, lastAction?: string): void {
    this.deps.log.warn(
      { dropped: this.unloggedDrops, droppedTotal: this.stats.dropped, pending: this.queue.length, maxPending: this.limits.maxPending, lastAction, why },
      'audit records dropped on this standby: not handed to the leader',
    );
    this.unloggedDrops = 0;
  }
}
