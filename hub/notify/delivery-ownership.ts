/**
 * The notification service's side of partition ownership (issue 12 step 3,
 * docs/CLUSTER.md "Step 3, service by service"): when this node gains
 * partitions, their deliveries are read back from the shared delivery log and
 * the old owner's pending ones resumed, then the last hour's alert events of
 * their homes are offered again (`catchUp`), so an event the old owner died
 * before queueing is sent too; when it loses some, their deliveries leave
 * memory and stay pending in the log for the next owner. Apart from
 * notify-service.ts because it is the one part that reads the log while the
 * hub runs, retries when the database is away, and must be waited for at stop.
 * What the queue does with the lines and with requests in flight:
 * delivery-queue.ts.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { PartitionOwnership } from '../core/partition-ownership.js';
import type { DeliveryLogStore } from '../storage/ports.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { DeliveryLine } from './types.js';

/** A gained partition whose deliveries could not be read (the database away) is tried again after this. */
const RESUME_RETRY_MS = 5_000;

export interface DeliveryOwnershipDeps {
  queue: Pick<DeliveryQueue, 'beginRestoring' | 'restorePartitions' | 'dropPartitions'>;
  /** The shared delivery log (PostgreSQL on a cluster), read per partition where it can. */
  deliveryLog: DeliveryLogStore;
  ownership: PartitionOwnership;
  clock: Clock;
  log: Logger;
  /** Offers these partitions' homes' recent alert events to the queue again (NotifyService's catch-up). */
  catchUp(partitions: ReadonlySet<number>): void;
}

export class DeliveryOwnership {
  private readonly unsubscribers: (() => void)[] = [];
  /** Reads of gained partitions' deliveries under way (stop waits for them). */
  private readonly resuming = new Set<Promise<void>>();
  private readonly resumeRetries = new Set<TimerHandle>();
  private running = false;

  constructor(private readonly deps: DeliveryOwnershipDeps) {}

  start(): void {
    const { ownership } = this.deps;
    this.unsubscribers.push(
      ownership.onGained((partitions) => this.gain(partitions)),
      ownership.onLost((partitions) => this.lose(partitions)),
    );
    this.running = true;
  }

  /** Stops listening, cancels the retries and waits for the reads under way. */
  async stop(): Promise<void> {
    this.running = false;
    for (const off of this.unsubscribers.splice(0)) off();
    for (const timer of this.resumeRetries) this.deps.clock.clearTimeout(timer);
    this.resumeRetries.clear();
    await Promise.allSettled([...this.resuming]);
  }

  /**
   * The gained partitions' deliveries from the log, resumed where their old
   * owner left them; nothing is queued for their homes until that read is in
   * (the catch-up after it offers what came meanwhile, and the queue's keys
   * drop what the old owner had already queued or sent).
   */
  private gain(partitions: readonly number[]): void {
    this.deps.queue.beginRestoring(partitions);
    const task = this.resume(partitions);
    this.resuming.add(task);
    void task.finally(() => this.resuming.delete(task));
  }

  private async resume(partitions: readonly number[]): Promise<void> {
    const { deliveryLog, ownership, log } = this.deps;
    let lines: DeliveryLine[];
    try {
      lines = await (deliveryLog.loadPartitions?.(partitions) ?? deliveryLog.load());
    } catch (err) {
      const still = partitions.filter((p) => ownership.ownsPartition(p));
      if (!this.running || still.length === 0) return;
      log.error({ err, partitions: still }, `notifications: the delivery log could not be read for partitions taken over; their deliveries wait, tried again in ${RESUME_RETRY_MS / 1000} s`);
      const timer = this.deps.clock.setTimeout(() => {
        this.resumeRetries.delete(timer);
        const again = still.filter((p) => ownership.ownsPartition(p));
        if (this.running && again.length > 0) this.gain(again);
      }, RESUME_RETRY_MS);
      this.resumeRetries.add(timer);
      return;
    }
    if (!this.running) return;
    const resumed = this.deps.queue.restorePartitions(partitions, lines);
    const owned = new Set(partitions.filter((p) => ownership.ownsPartition(p)));
    if (owned.size === 0) return;
    this.deps.catchUp(owned);
    log.info({ partitions: [...owned], resumed }, 'notifications: partitions taken over, their pending deliveries resumed');
  }

  /** The lost partitions' deliveries leave memory; they stay pending in the log for the next owner. */
  private lose(partitions: readonly number[]): void {
    const dropped = this.deps.queue.dropPartitions(partitions);
    if (dropped > 0) this.deps.log.info({ partitions, pending: dropped }, 'notifications: partitions lost, their pending deliveries left to the next owner');
  }
}
