/**
 * Rebuilding deliveries from the delivery log (issue 5, issue 12 step 3):
 * which partition a delivery or a log line belongs to, and how log lines are
 * replayed into the queue's book — at start for every owned partition, and
 * for partitions gained later (`DeliveryQueue.restorePartitions`). Apart from
 * delivery-queue.ts because it only reads lines into memory: it never
 * schedules or sends; the queue decides what to resume.
 */
import { partitionOf } from '../core/partitions.js';
import type { Delivery, DeliveryBook } from './delivery-book.js';
import type { DeliveryLine, DeliveryRecord } from './types.js';

/** The partition a delivery belongs to: its alert's home's, or the home-less one (a test send's alert has no home). */
export function partitionOfDelivery(record: Pick<DeliveryRecord, 'alert'>): number {
  return partitionOf(record.alert.homeId || undefined);
}

/** The partition a log line names: its own, or (older lines) its queued delivery's; undefined for an older attempt or drop. */
function partitionOfLine(line: DeliveryLine): number | undefined {
  return line.partition ?? (line.type === 'queued' ? partitionOfDelivery(line.delivery) : undefined);
}

/** What replaying needs from the queue: its book, and its drop (which also takes a delivery off any timer). */
export interface RestoreInto {
  book: DeliveryBook;
  markDropped(delivery: Delivery, reason: string): void;
}

/**
 * Applies one log line. A queued line of a wanted partition adds its delivery
 * (returned) unless it is already held; attempt and drop lines change only a
 * delivery held — lines of deliveries not held (not this node's partitions)
 * find nothing and change nothing.
 */
export function restoreLine(into: RestoreInto, line: DeliveryLine, wanted: (partition: number) => boolean): Delivery | undefined {
  const { book } = into;
  if (line.type === 'queued') {
    const d = line.delivery;
    if (book.has(d.id)) return undefined;
    const partition = partitionOfLine(line)!;
    if (!wanted(partition)) return undefined;
    const delivery: Delivery = { record: d, partition, status: 'pending', attempts: [], nextAt: d.notBefore };
    book.addPending(delivery);
    return delivery;
  }
  if (line.type === 'attempt') {
    const delivery = book.get(line.attempt.deliveryId);
    if (!delivery) return;
    book.applyAttempt(delivery, line.attempt);
    return;
  }
  const delivery = book.getPending(line.deliveryId);
  if (delivery) into.markDropped(delivery, line.reason);
  return undefined;
}

/**
 * Replays a gained partitions' lines and returns the deliveries they brought
 * that are still pending. Only the deliveries this read brings take its
 * attempt and drop lines: one already held (an earlier, overlapping read)
 * must not get its attempts twice.
 */
export function restorePartitionLines(into: RestoreInto, lines: readonly DeliveryLine[], wanted: ReadonlySet<number>): Delivery[] {
  const restored = new Map<string, Delivery>();
  for (const line of lines) {
    if (line.type !== 'queued' && !restored.has(line.type === 'attempt' ? line.attempt.deliveryId : line.deliveryId)) continue;
    const delivery = restoreLine(into, line, (p) => wanted.has(p));
    if (delivery) restored.set(delivery.record.id, delivery);
  }
  return [...restored.values()].filter((d) => d.status === 'pending');
}
