/**
 * Rule state and watchdog silences handed from one owner of a partition to
 * the next (issue 12 step 3, HUB_PARTITIONS=spread; docs/CLUSTER.md
 * "Owners"): what the leader's whole pipeline snapshot does for one leader,
 * per partition.
 *
 * - Every few seconds, and before a partition is given up, the owner saves
 *   the slices of the partitions it owns (`partition_snapshot`, migration
 *   0007), fenced by their leases: a node that lost one writes nothing over
 *   the next owner's.
 * - Before the services hear of gained partitions, their slices are read;
 *   the rules engine and the watchdogs take them from `handOver` while they
 *   hear of the gain (synchronously), so no message is handled before the
 *   restore.
 */
import type { PartitionOwnership } from '../core/partition-ownership.js';
import type { Logger } from '../core/logger.js';
import { mergeSnapshotSlices, splitSnapshotByPartition } from '../rules/partition-snapshot.js';
import type { PartitionSnapshotFence, PipelineSnapshot, RulesSnapshotStore } from '../storage/ports.js';

export interface PartitionHandOverDeps {
  store: Pick<RulesSnapshotStore, 'savePartitions' | 'readPartitions'>;
  ownership: PartitionOwnership & { readonly partitions: readonly number[] };
  /** The pipeline's state now, limited to these partitions (rules and watchdogs). */
  snapshotOf(partitions: readonly number[], savedAt: number): PipelineSnapshot;
  homeOfDevice(deviceId: string): string | undefined;
  /** The leases the slices are fenced by (owner-leases.ts `held()`). */
  fence(): PartitionSnapshotFence;
  now(): number;
  log: Logger;
}

export class PartitionHandOver {
  private stash: PipelineSnapshot | undefined;

  constructor(private readonly deps: PartitionHandOverDeps) {
    if (!deps.store.savePartitions || !deps.store.readPartitions) throw new Error('partitions spread over nodes need the PostgreSQL rules snapshot store (HUB_DATABASE_URL)');
  }

  /** Before a gain: reads the partitions' last slices, for `handOver` while the services hear of it. */
  async beforeGain(partitions: readonly number[]): Promise<void> {
    this.stash = undefined;
    const slices = await this.deps.store.readPartitions!(partitions, this.deps.now());
    this.stash = mergeSnapshotSlices(slices.values()) as PipelineSnapshot | undefined;
    this.deps.log.info({ partitions: partitions.length, withSnapshot: slices.size }, 'partitions gained: rule state and watchdog silences restored from their last owner');
  }

  /**
   * What the rules engine and the watchdogs restore for the partitions they
   * just heard of: the slices read for this gain (every gain is read first,
   * owner-leases.ts; they hold only the gained partitions' state).
   */
  readonly handOver = (): PipelineSnapshot | undefined => this.stash;

  /** Saves the slices of the partitions owned now (every few seconds), or of `partitions` (before they are given up). */
  async save(partitions: readonly number[] = this.deps.ownership.partitions): Promise<void> {
    if (partitions.length === 0) return;
    const savedAt = this.deps.now();
    const slices = splitSnapshotByPartition(this.deps.snapshotOf(partitions, savedAt), (id) => this.deps.homeOfDevice(id), partitions);
    const { refused } = await this.deps.store.savePartitions!(slices as Map<number, PipelineSnapshot>, this.deps.fence());
    if (refused.length > 0) this.deps.log.warn({ refused }, 'snapshot slices not saved: this node no longer holds those partitions');
  }
}
