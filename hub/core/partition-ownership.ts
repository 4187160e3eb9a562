/**
 * Which homes this node acts for (issue 12 step 3, docs/CLUSTER.md "Step 3,
 * the wiring still to do"). Every node applies every journal line, so every
 * node's stores know every home; only the owner of a home's partition acts
 * for it: arms its timers, watches its devices, sends its commands and
 * webhooks. Services ask this port instead of "am I the leader".
 *
 * - A hub alone, and the cluster's leader while it holds every lease, own
 *   everything (`OWNS_EVERYTHING`).
 * - A node whose share of the leases moves uses `OwnedPartitions`, fed by
 *   the lease balancer (hub/storage/postgres/partition-owner.ts): `gain` once
 *   a lease is held and the journal has been read up to the moment it was
 *   taken, `lose` when it is released, moves or runs out.
 *
 * The answer is a belief, never a licence to write: the journal's fence
 * refuses a line of a partition whose lease this node no longer holds.
 */
import { PARTITION_COUNT, partitionOfHome } from './partitions.js';
import { DomainError } from './errors.js';

/**
 * A write refused because this node does not hold the home's partition now
 * (its lease ran out or moved, perhaps a moment before the services heard):
 * another node acts for the home. An API answers 503 (retry); a timer's work
 * is its new owner's, who re-arms it from the journal.
 */
export class NotOwnedHereError extends DomainError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'NotOwnedHereError';
  }
}

/**
 * A timer's work for a home: ends quietly when the write it makes is refused
 * because this node no longer holds the home's partition (the lease ran out a
 * moment before this node heard: refused before anything changed, and the
 * new owner re-arms the work from the journal). Any other error still throws.
 */
export function unlessNotOwnedHere(work: () => void): () => void {
  return () => {
    try {
      work();
    } catch (err) {
      if (!(err instanceof NotOwnedHereError)) throw err;
    }
  };
}

export type PartitionListener = (partitions: readonly number[]) => void;

export interface PartitionOwnership {
  /** This node acts for the home now. */
  owns(homeId: string): boolean;
  ownsPartition(partition: number): boolean;
  /** Called with the partitions just gained: services arm their work for those homes. Returns the unsubscribe. */
  onGained(listener: PartitionListener): () => void;
  /** Called with the partitions just lost: services drop their work for those homes (another node takes it over). */
  onLost(listener: PartitionListener): () => void;
}

const NEVER = (): (() => void) => () => undefined;

/** A hub alone, or the leader holding every lease: it acts for every home, and that never changes. */
export const OWNS_EVERYTHING: PartitionOwnership = Object.freeze({
  owns: () => true,
  ownsPartition: () => true,
  onGained: NEVER,
  onLost: NEVER,
});

/** A node's changing share of the partitions, told by whoever holds the leases. */
export class OwnedPartitions implements PartitionOwnership {
  private readonly owned = new Set<number>();
  private readonly gainedListeners = new Set<PartitionListener>();
  private readonly lostListeners = new Set<PartitionListener>();

  constructor(initially: Iterable<number> = []) {
    for (const p of initially) this.owned.add(checkPartition(p));
  }

  owns(homeId: string): boolean {
    return this.owned.has(partitionOfHome(homeId));
  }

  ownsPartition(partition: number): boolean {
    return this.owned.has(partition);
  }

  /** The partitions owned now, ascending. */
  get partitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  onGained(listener: PartitionListener): () => void {
    this.gainedListeners.add(listener);
    return () => this.gainedListeners.delete(listener);
  }

  onLost(listener: PartitionListener): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** These partitions are now this node's; listeners hear only those that were not already. */
  gain(partitions: Iterable<number>): void {
    const added = [...new Set(partitions)].map(checkPartition).filter((p) => !this.owned.has(p));
    if (added.length === 0) return;
    for (const p of added) this.owned.add(p);
    tell(this.gainedListeners, added);
  }

  /**
   * These partitions are no longer this node's. The set changes before the
   * listeners run, so anything they (or a timer firing meanwhile) ask is
   * already answered "not ours".
   */
  lose(partitions: Iterable<number>): void {
    const removed = [...new Set(partitions)].filter((p) => this.owned.has(p));
    if (removed.length === 0) return;
    for (const p of removed) this.owned.delete(p);
    tell(this.lostListeners, removed);
  }
}

function checkPartition(partition: number): number {
  if (!Number.isInteger(partition) || partition < 0 || partition >= PARTITION_COUNT) {
    throw new RangeError(`not a home partition: ${partition} (0 to ${PARTITION_COUNT - 1})`);
  }
  return partition;
}

/** Each listener in turn; one that throws does not keep the others from hearing. */
function tell(listeners: ReadonlySet<PartitionListener>, partitions: number[]): void {
  const sorted = partitions.sort((a, b) => a - b);
  const errors: unknown[] = [];
  for (const listener of [...listeners]) {
    try {
      listener(sorted);
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'partition listeners failed');
}
