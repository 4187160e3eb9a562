/**
 * What the delivery queue holds in memory (issue 5): its pending and finished
 * deliveries, the dedupe keys, and the per-severity drop order. No timers, no
 * sending, no I/O — those stay in delivery-queue.ts. Kept apart so the queue
 * file is about scheduling and sending, and so this bookkeeping (every map
 * must change together, or a key outlives its delivery) sits in one place.
 *
 * - `finished` is bounded (`maxFinished`): the API shows recent history, the
 *   delivery log keeps all of it. A finished delivery pushed out takes its key
 *   with it, so the same (alert × event × target) could be queued again only
 *   long after it was sent.
 * - A key is removed only while it still names the delivery going away:
 *   `addPending` may have given it to another delivery since.
 */
import { SEVERITY_RANK, type Severity } from '../alerts/alert.js';
import type { AttemptRecord, DeliveryRecord, DeliveryStatus } from './types.js';

export interface Delivery {
  record: DeliveryRecord;
  /** The partition of the alert's home (HOMELESS_PARTITION for none). */
  partition: number;
  status: DeliveryStatus;
  attempts: AttemptRecord[];
  /** When the next attempt is due (pending only). */
  nextAt: number;
  droppedReason?: string | undefined;
}

export interface DeliveryFilter {
  alertId?: string | undefined;
  status?: DeliveryStatus | undefined;
  limit?: number | undefined;
}

/** Severities, most urgent first: the sending order; reversed, the drop order. */
export const RANKED: Severity[] = (Object.keys(SEVERITY_RANK) as Severity[]).sort((a, b) => SEVERITY_RANK[a] - SEVERITY_RANK[b]);

export class DeliveryBook {
  private readonly pending = new Map<string, Delivery>();
  /** Pending ids per severity, oldest first (Map/Set keep insertion order): the drop order. */
  private readonly pendingBySeverity = new Map<Severity, Set<string>>(RANKED.map((s) => [s, new Set()]));
  private readonly finished = new Map<string, Delivery>();
  private readonly keys = new Map<string, string>();

  constructor(private readonly maxFinished: number) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  pendingDeliveries(): IterableIterator<Delivery> {
    return this.pending.values();
  }

  /** Pending ids of one severity, oldest first (do not change the book while iterating). */
  pendingIdsOf(severity: Severity): ReadonlySet<string> {
    return this.pendingBySeverity.get(severity)!;
  }

  get(id: string): Delivery | undefined {
    return this.pending.get(id) ?? this.finished.get(id);
  }

  getPending(id: string): Delivery | undefined {
    return this.pending.get(id);
  }

  /** Whether this delivery id is held at all, pending or finished. */
  has(id: string): boolean {
    return this.pending.has(id) || this.finished.has(id);
  }

  hasKey(key: string): boolean {
    return this.keys.has(key);
  }

  addPending(delivery: Delivery): void {
    this.pending.set(delivery.record.id, delivery);
    this.pendingBySeverity.get(delivery.record.severity)!.add(delivery.record.id);
    this.keys.set(delivery.record.key, delivery.record.id);
  }

  finish(delivery: Delivery): void {
    const id = delivery.record.id;
    this.pending.delete(id);
    this.pendingBySeverity.get(delivery.record.severity)!.delete(id);
    this.finished.set(id, delivery);
    while (this.finished.size > this.maxFinished) {
      const oldest = this.finished.keys().next().value as string;
      const gone = this.finished.get(oldest)!;
      this.finished.delete(oldest);
      if (this.keys.get(gone.record.key) === oldest) this.keys.delete(gone.record.key);
    }
  }

  applyAttempt(delivery: Delivery, attempt: AttemptRecord): void {
    delivery.attempts.push(attempt);
    if (attempt.outcome === 'failed') {
      delivery.nextAt = attempt.nextAttemptAt ?? attempt.at;
      return;
    }
    delivery.status = attempt.outcome;
    if (this.pending.has(delivery.record.id)) this.finish(delivery);
  }

  /** The deliveries of these partitions, pending ones first. */
  inPartitions(partitions: ReadonlySet<number>): Delivery[] {
    return [...this.pending.values(), ...this.finished.values()].filter((d) => partitions.has(d.partition));
  }

  /** Forgets a delivery entirely (its partition was lost): nothing is written, the log keeps it. */
  forget(delivery: Delivery): void {
    const id = delivery.record.id;
    if (this.pending.get(id) === delivery) {
      this.pendingBySeverity.get(delivery.record.severity)!.delete(id);
      this.pending.delete(id);
    } else {
      this.finished.delete(id);
    }
    if (this.keys.get(delivery.record.key) === id) this.keys.delete(delivery.record.key);
  }

  /** Newest first. */
  list(filter: DeliveryFilter = {}): Delivery[] {
    const out: Delivery[] = [];
    for (const source of [this.pending, this.finished]) {
      for (const d of source.values()) {
        if (filter.alertId && d.record.alertId !== filter.alertId) continue;
        if (filter.status && d.status !== filter.status) continue;
        out.push(d);
      }
    }
    out.sort((a, b) => b.record.createdAt - a.record.createdAt || a.record.id.localeCompare(b.record.id));
    return filter.limit === undefined ? out : out.slice(0, filter.limit);
  }
}
