/**
 * The delivery queue (issue 5): schedules attempts on the injected Clock,
 * sends them a few at a time, records every attempt, retries with backoff
 * and stays bounded.
 *
 * - Nothing here runs inside a bus listener: `enqueue` only records and
 *   schedules; sending starts on a later turn of the event loop, so a slow or
 *   dead gateway never holds up ingest, rules or the journal.
 * - Bounded: at most `maxPending` deliveries wait. Beyond that the oldest of
 *   the least urgent severity is dropped (low first), logged and counted — a
 *   dead gateway cannot grow memory without limit, and never at the cost of a
 *   critical notice while a low one is waiting.
 * - Fair: at most `maxInFlight` requests at once and `perTargetInFlight` per
 *   gateway (origin), most urgent first, so one hanging gateway cannot starve
 *   the others.
 * - Owned (issue 12 step 3): a delivery belongs to its alert's home's
 *   partition, and only the partition's owner (`ownership`) queues, sends and
 *   retries it; memory holds the owned partitions' deliveries only.
 *   `restorePartitions` takes a gained partition's deliveries from the log
 *   and resumes them; `dropPartitions` forgets a lost one's (they stay
 *   pending in the log for the next owner) and cuts its requests in flight
 *   short without recording them, so the log holds each attempt once: the
 *   next owner's. A request the receiver got just before the cut is made
 *   again by the next owner under the same delivery id (`X-Hub-Delivery`,
 *   `deliveryId` in the signed body), which receivers deduplicate on: at
 *   least once, never recorded twice. A delivery of no home (an admin's
 *   `webhook.test`) is sent by the node that queued it, whatever it owns.
 *
 * The deliveries held in memory (pending, finished, keys, drop order) are
 * kept by delivery-book.ts, and rebuilt from log lines by delivery-restore.ts;
 * this file decides what it holds and schedules and sends it.
 */
import { randomBytes } from 'node:crypto';
import { SEVERITY_RANK, type Severity } from '../alerts/alert.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import { HOMELESS_PARTITION } from '../core/partitions.js';
import { nextStep, RETRY_POLICY } from './retry-policy.js';
import { DeliveryBook, RANKED, type Delivery, type DeliveryFilter } from './delivery-book.js';
import { partitionOfDelivery, restoreLine, restorePartitionLines, type RestoreInto } from './delivery-restore.js';
import type { AttemptRecord, DeliveryLine, DeliveryRecord, SendResult } from './types.js';

export type { Delivery, DeliveryFilter } from './delivery-book.js';
export { partitionOfDelivery } from './delivery-restore.js';

export interface DeliveryQueueDeps {
  clock: Clock;
  log: Logger;
  /** Persists each line (the DeliveryLogStore, hub/storage/ports.ts); must not throw or block. */
  persist(line: DeliveryLine): void;
  /** Makes one attempt. Must settle promptly once `signal` aborts (the hub is stopping). */
  send(delivery: DeliveryRecord, attempt: number, signal: AbortSignal): Promise<SendResult>;
  /** Which gateway a delivery goes to, for per-gateway fairness. */
  gatewayOf(delivery: DeliveryRecord): string;
  maxPending?: number | undefined;
  maxInFlight?: number | undefined;
  perTargetInFlight?: number | undefined;
  /** Finished deliveries kept in memory for the API (all stay in the delivery log). */
  maxFinished?: number | undefined;
  /** Whose homes' deliveries this node sends; default: every home's (a hub alone, the leader). */
  ownership?: PartitionOwnership | undefined;
}

export interface DeliveryStats {
  pending: number;
  inFlight: number;
  queued: number;
  sent: number;
  failedAttempts: number;
  gaveUp: number;
  dropped: number;
}

export class DeliveryQueue {
  private readonly book: DeliveryBook;
  /** The book and drop that log lines are replayed into (delivery-restore.ts). */
  private readonly replayInto: RestoreInto;
  private readonly timers = new Map<string, TimerHandle>();
  /** Due deliveries waiting for a free slot, per severity, in due order. */
  private readonly ready = new Map<Severity, Delivery[]>(RANKED.map((s) => [s, []]));
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Each request in flight's own abort (a lost partition cuts its requests short), tied to the queue's (stop). */
  private readonly inFlightAborts = new Map<string, AbortController>();
  /** Partitions whose deliveries are being read from the log: not queued to meanwhile (the catch-up after the read offers what was missed). */
  private readonly restoring = new Set<number>();
  private readonly inFlightPerGateway = new Map<string, number>();
  private abort = new AbortController();
  private running = false;
  private pumpScheduled = false;
  private readonly counters = { queued: 0, sent: 0, failedAttempts: 0, gaveUp: 0, dropped: 0 };
  private readonly maxPending: number;
  private readonly maxInFlight: number;
  private readonly perTargetInFlight: number;
  private readonly ownership: PartitionOwnership;

  constructor(private readonly deps: DeliveryQueueDeps) {
    this.ownership = deps.ownership ?? OWNS_EVERYTHING;
    this.maxPending = deps.maxPending ?? 10_000;
    this.maxInFlight = deps.maxInFlight ?? 8;
    this.perTargetInFlight = deps.perTargetInFlight ?? 2;
    this.book = new DeliveryBook(deps.maxFinished ?? 20_000);
    this.replayInto = { book: this.book, markDropped: (delivery, reason) => this.markDropped(delivery, reason) };
  }

  /**
   * Rebuilds state from the delivery log at start, before `start()`: the
   * deliveries of the partitions this node owns, and those of no home when it
   * owns the home-less partition too (a hub alone, the leader) — a node with
   * only a share leaves a dead node's pending test sends alone.
   */
  restore(line: DeliveryLine): void {
    restoreLine(this.replayInto, line, (p) => this.ownership.ownsPartition(p));
  }

  /** Whether this node queues and sends deliveries of this partition now (home-less ones: always, where they are queued). */
  actsFor(partition: number): boolean {
    return partition === HOMELESS_PARTITION || (this.ownership.ownsPartition(partition) && !this.restoring.has(partition));
  }

  /** These partitions' deliveries are being read from the log: none is queued for them until `restorePartitions` or `endRestoring`. */
  beginRestoring(partitions: readonly number[]): void {
    for (const p of partitions) this.restoring.add(p);
  }

  endRestoring(partitions: readonly number[]): void {
    for (const p of partitions) this.restoring.delete(p);
  }

  /**
   * Gained partitions (issue 12 step 3): their deliveries from the log lines
   * given (`DeliveryLogStore.loadPartitions`), with every attempt the old
   * owner recorded, pending ones scheduled as at a start — a retry due at
   * t+20 s is made then, or at once if already due. Lines of other
   * partitions, and of partitions lost again meanwhile, are skipped.
   * Returns how many deliveries were resumed pending.
   */
  restorePartitions(partitions: readonly number[], lines: readonly DeliveryLine[]): number {
    const wanted = new Set(partitions.filter((p) => this.ownership.ownsPartition(p)));
    this.endRestoring(partitions);
    const resumed = restorePartitionLines(this.replayInto, lines, wanted);
    if (this.running) for (const delivery of resumed) this.schedule(delivery);
    return resumed.length;
  }

  /**
   * Lost partitions: their deliveries leave memory (timers, waiting list,
   * keys) and their requests in flight are aborted; nothing is written, so
   * the log keeps them as they were for the next owner. An attempt that ends
   * after this is not recorded here (attemptEnded). Returns how many were
   * pending.
   */
  dropPartitions(partitions: readonly number[]): number {
    const lost = new Set(partitions);
    this.endRestoring(partitions);
    let pending = 0;
    for (const delivery of this.book.inPartitions(lost)) {
      const id = delivery.record.id;
      if (this.book.getPending(id) === delivery) {
        pending++;
        this.unschedule(delivery);
        this.inFlightAborts.get(id)?.abort();
      }
      this.book.forget(delivery);
    }
    return pending;
  }

  start(): void {
    this.running = true;
    this.abort = new AbortController();
    for (const delivery of this.book.pendingDeliveries()) this.schedule(delivery);
  }

  /** Stops scheduling, aborts requests in flight (they are not counted as attempts) and waits for them. */
  async stop(): Promise<void> {
    this.running = false;
    for (const handle of this.timers.values()) this.deps.clock.clearTimeout(handle);
    this.timers.clear();
    for (const list of this.ready.values()) list.length = 0;
    this.abort.abort();
    // Real sends settle at once on abort; the bound only guards shutdown against one that does not.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2_000);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), bound]);
    clearTimeout(timer);
  }

  /** Queues a delivery unless the same one (alert × event × target) was queued before. */
  enqueue(input: Omit<DeliveryRecord, 'id' | 'createdAt'>): Delivery | undefined {
    if (this.book.hasKey(input.key)) return undefined;
    // Another node's home (or one being taken over): its owner queues it.
    const partition = partitionOfDelivery(input);
    if (!this.actsFor(partition)) return undefined;
    const record: DeliveryRecord = { ...input, id: `dlv-${randomBytes(6).toString('hex')}`, createdAt: this.deps.clock.now() };
    if (this.book.pendingCount >= this.maxPending && !this.makeRoomFor(record.severity)) {
      this.counters.dropped++;
      this.deps.log.warn({ event: record.event, alertId: record.alertId, severity: record.severity }, 'notification queue full of more urgent deliveries: this one is dropped');
      return undefined;
    }
    const delivery: Delivery = { record, partition, status: 'pending', attempts: [], nextAt: record.notBefore };
    this.book.addPending(delivery);
    this.counters.queued++;
    this.deps.persist({ type: 'queued', delivery: record, partition });
    if (this.running) this.schedule(delivery);
    return delivery;
  }

  get(id: string): Delivery | undefined {
    return this.book.get(id);
  }

  /** Newest first. */
  list(filter: DeliveryFilter = {}): Delivery[] {
    return this.book.list(filter);
  }

  get stats(): DeliveryStats {
    return { pending: this.book.pendingCount, inFlight: this.inFlight.size, ...this.counters };
  }

  // ── dropping ────────────────────────────────────────────────────────────

  private markDropped(delivery: Delivery, reason: string): void {
    delivery.status = 'dropped';
    delivery.droppedReason = reason;
    this.unschedule(delivery);
    this.book.finish(delivery);
  }

  /** Drops the oldest waiting delivery of the least urgent severity, if it is no more urgent than the newcomer. */
  private makeRoomFor(severity: Severity): boolean {
    for (const candidate of [...RANKED].reverse()) {
      if (SEVERITY_RANK[candidate] < SEVERITY_RANK[severity]) return false;
      for (const id of this.book.pendingIdsOf(candidate)) {
        if (this.inFlight.has(id)) continue;
        const victim = this.book.getPending(id)!;
        const reason = `queue full (${this.maxPending} pending): dropped for a ${severity} delivery`;
        this.markDropped(victim, reason);
        this.counters.dropped++;
        this.deps.persist({ type: 'dropped', deliveryId: id, at: this.deps.clock.now(), reason, partition: victim.partition });
        this.deps.log.warn({ deliveryId: id, alertId: victim.record.alertId, severity: candidate, event: victim.record.event }, 'notification queue full: oldest less urgent delivery dropped');
        return true;
      }
    }
    return false;
  }

  // ── sending ─────────────────────────────────────────────────────────────

  private schedule(delivery: Delivery): void {
    const id = delivery.record.id;
    const wait = delivery.nextAt - this.deps.clock.now();
    if (wait <= 0) {
      this.makeReady(delivery);
      return;
    }
    this.timers.set(
      id,
      this.deps.clock.setTimeout(() => {
        this.timers.delete(id);
        this.makeReady(delivery);
      }, wait),
    );
  }

  /** Takes a delivery off its timer and the waiting list (dropped, or its partition lost). */
  private unschedule(delivery: Delivery): void {
    const timer = this.timers.get(delivery.record.id);
    if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    this.timers.delete(delivery.record.id);
    const list = this.ready.get(delivery.record.severity)!;
    const at = list.indexOf(delivery);
    if (at >= 0) list.splice(at, 1);
  }

  private makeReady(delivery: Delivery): void {
    if (!this.running || delivery.status !== 'pending') return;
    this.ready.get(delivery.record.severity)!.push(delivery);
    this.schedulePump();
  }

  /** Sending starts on a later turn, never inside the caller (a bus listener, a timer). */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running && this.inFlight.size < this.maxInFlight) {
      const next = this.takeNext();
      if (!next) return;
      this.startAttempt(next.delivery, next.gateway);
    }
  }

  private takeNext(): { delivery: Delivery; gateway: string } | undefined {
    for (const severity of RANKED) {
      const list = this.ready.get(severity)!;
      for (let i = 0; i < list.length; i++) {
        const delivery = list[i]!;
        const gateway = this.deps.gatewayOf(delivery.record);
        if ((this.inFlightPerGateway.get(gateway) ?? 0) >= this.perTargetInFlight) continue;
        list.splice(i, 1);
        return { delivery, gateway };
      }
    }
    return undefined;
  }

  private startAttempt(delivery: Delivery, gateway: string): void {
    const id = delivery.record.id;
    const attempt = delivery.attempts.length + 1;
    const firstAttemptAt = delivery.attempts[0]?.at ?? delivery.nextAt;
    this.inFlightPerGateway.set(gateway, (this.inFlightPerGateway.get(gateway) ?? 0) + 1);
    const expired = this.deps.clock.now() > firstAttemptAt + RETRY_POLICY.windowMs;
    // Its own abort, so that losing the partition cuts this request short; stop() aborts them all.
    const abort = new AbortController();
    const stopping = this.abort.signal;
    const onStop = () => abort.abort();
    stopping.addEventListener('abort', onStop, { once: true });
    this.inFlightAborts.set(id, abort);
    const sending: Promise<SendResult> = expired
      ? // Due long ago (the hub was down): an hour-old "SOS" text helps nobody.
        Promise.resolve({ kind: 'unsendable', error: 'not sent: the 1 h retry window passed while the hub was not running' })
      : this.deps.send(delivery.record, attempt, abort.signal).catch((err: unknown) => ({ kind: 'error', error: String((err as Error)?.message ?? err) }) as const);
    const done = sending
      .then((result) => this.attemptEnded(delivery, attempt, firstAttemptAt, result))
      .catch((err: unknown) => this.deps.log.error({ err, deliveryId: id }, 'notification attempt bookkeeping failed'))
      .finally(() => {
        stopping.removeEventListener('abort', onStop);
        // The same id may be in flight again by now: its partition lost and gained back meanwhile.
        if (this.inFlightAborts.get(id) === abort) this.inFlightAborts.delete(id);
        if (this.inFlight.get(id) === done) this.inFlight.delete(id);
        const left = (this.inFlightPerGateway.get(gateway) ?? 1) - 1;
        if (left > 0) this.inFlightPerGateway.set(gateway, left);
        else this.inFlightPerGateway.delete(gateway);
        if (this.running) this.schedulePump();
      });
    this.inFlight.set(id, done);
  }

  private attemptEnded(delivery: Delivery, attempt: number, firstAttemptAt: number, result: SendResult): void {
    // Cut short by stop(): not an attempt; the delivery stays pending in the log and is retried after a restart.
    if (result.kind === 'cancelled' || !this.running || delivery.status !== 'pending') return;
    // Its partition was lost meanwhile (dropPartitions): the next owner makes and records this attempt, not this node.
    if (this.book.getPending(delivery.record.id) !== delivery) return;
    const now = this.deps.clock.now();
    const step = nextStep(result, attempt, firstAttemptAt, now);
    const record: AttemptRecord = {
      deliveryId: delivery.record.id,
      attempt,
      at: now,
      outcome: step.outcome,
      ...(result.kind === 'response' ? { statusCode: result.status } : { error: result.error }),
      ...(step.nextAttemptAt !== undefined ? { nextAttemptAt: step.nextAttemptAt } : {}),
    };
    this.book.applyAttempt(delivery, record);
    this.deps.persist({ type: 'attempt', attempt: record, partition: delivery.partition });
    const ctx = { deliveryId: record.deliveryId, alertId: delivery.record.alertId, event: delivery.record.event, attempt, statusCode: record.statusCode, error: record.error };
    if (step.outcome === 'sent') {
      this.counters.sent++;
      this.deps.log.debug(ctx, 'notification sent');
    } else if (step.outcome === 'failed') {
      this.counters.failedAttempts++;
      this.deps.log.info({ ...ctx, nextAttemptAt: new Date(delivery.nextAt).toISOString() }, 'notification attempt failed; will retry');
      this.schedule(delivery);
    } else {
      this.counters.gaveUp++;
      this.deps.log.warn(ctx, 'notification given up');
    }
  }
}
