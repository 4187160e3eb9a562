/**
 * The timers a service keeps for alerts, each filed under the home it acts
 * for (issue 12 step 3, docs/CLUSTER.md "Step 3, service by service"). Every
 * node holds every home's alerts, but only the owner of a home's partition
 * keeps time on them: the timers of a partition lost are dropped together
 * (its new owner rebuilds them from the journal times), and a timer that
 * fires for a home this node no longer owns writes nothing.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { type PartitionOwnership, unlessNotOwnedHere } from '../core/partition-ownership.js';
import { partitionOfHome } from '../core/partitions.js';

/** Which homes a catch-up covers: every owned one at start, a gained partition's at a takeover. */
export type HomeFilter = (homeId: string) => boolean;

/** The homes of these partitions. */
export function homesIn(partitions: readonly number[]): HomeFilter {
  const set = new Set(partitions);
  return (homeId) => set.has(partitionOfHome(homeId));
}

/**
 * Tells `catchUp` of the homes of each partition gained, and `lost` (if
 * any) of each partition lost. Returns the unsubscribe.
 */
export function followOwnership(ownership: PartitionOwnership, catchUp: (homes: HomeFilter) => void, lost?: (partitions: readonly number[]) => void): () => void {
  const offGained = ownership.onGained((partitions) => catchUp(homesIn(partitions)));
  const offLost = lost ? ownership.onLost(lost) : undefined;
  return () => {
    offGained();
    offLost?.();
  };
}

export class HomeTimers {
  private readonly timers = new Map<string, { handle: TimerHandle; partition: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ownership: PartitionOwnership,
  ) {}

  /** Arms `fire` at the absolute time `due` (at once if it has passed), in place of the key's timer. */
  arm(key: string, homeId: string, due: number, fire: () => void): void {
    this.clear(key);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(key);
      // Another node acts for the home now: its journal fence would refuse our line, and we must not even try.
      if (this.ownership.owns(homeId)) unlessNotOwnedHere(fire)();
    }, Math.max(0, due - this.clock.now()));
    this.timers.set(key, { handle, partition: partitionOfHome(homeId) });
  }

  clear(key: string): void {
    const timer = this.timers.get(key);
    if (timer !== undefined) this.clock.clearTimeout(timer.handle);
    this.timers.delete(key);
  }

  /** The alert's timer and its sub-timers (`alertId/…`, e.g. one per responder). */
  clearAlert(alertId: string): void {
    this.clear(alertId);
    for (const key of [...this.timers.keys()]) if (key.startsWith(`${alertId}/`)) this.clear(key);
  }

  /** Drops the timers of these partitions' homes, recording nothing: the next owner rebuilds them. */
  dropPartitions(partitions: readonly number[]): void {
    const lost = new Set(partitions);
    for (const [key, timer] of [...this.timers]) if (lost.has(timer.partition)) this.clear(key);
  }

  /**
   * Follows this node's share of the homes: `catchUp` re-arms the gained
   * homes' timers from the journal times, as a start does; a lost
   * partition's timers are dropped. Returns the unsubscribe.
   */
  follow(catchUp: (homes: HomeFilter) => void): () => void {
    return followOwnership(this.ownership, catchUp, (partitions) => this.dropPartitions(partitions));
  }

  clearAll(): void {
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer.handle);
    this.timers.clear();
  }
}
