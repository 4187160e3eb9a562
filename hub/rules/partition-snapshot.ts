/**
 * The pipeline snapshot cut into one slice per home partition, and slices
 * put back together (issue 12 step 3, docs/CLUSTER.md "Step 3, service by
 * service": rule checkpoints and watchdog silences are one snapshot row per
 * partition, saved by its owner). Each owner saves only its own partitions'
 * slices; a node that gains partition p reads p's slice, whoever saved it.
 *
 * Pure: partitions are not checked here (the store refuses one out of
 * range before it writes anything). Rule keys name their home (`ruleId|homeId[|residentId]`,
 * engine.ts); a watchdog's device is placed by `homeOfDevice` (the
 * registry's answer). A device the registry no longer knows has no
 * partition and is left out: the next owner arms it afresh if it comes back,
 * which is what a device missing from a snapshot gets anyway.
 */
import { partitionOfHome } from '../core/partitions.js';
import type { WatchdogCheckpoint } from '../ingest/watchdog-checkpoint.js';
import { homeOfRuleKey, type RulesSnapshot } from './engine.js';

/** The same shape as storage's PipelineSnapshot: rule state and watchdog silences. */
export type SplittableSnapshot = RulesSnapshot & WatchdogCheckpoint;

/**
 * One slice per partition, each with the snapshot's `savedAt`. With
 * `partitions`, exactly those (an owner's own): a partition with nothing in
 * it gets an empty slice, so that saving it replaces what an earlier owner
 * saved for it (a door closed since must not come back open), and whatever
 * belongs to other partitions is left out. Without, the partitions that
 * hold something.
 */
export function splitSnapshotByPartition(
  snapshot: SplittableSnapshot,
  homeOfDevice: (deviceId: string) => string | undefined,
  partitions?: Iterable<number>,
): Map<number, SplittableSnapshot> {
  const wanted = partitions === undefined ? undefined : new Set(partitions);
  const slices = new Map<number, SplittableSnapshot>();
  const sliceOf = (partition: number): SplittableSnapshot | undefined => {
    if (wanted && !wanted.has(partition)) return undefined;
    let slice = slices.get(partition);
    if (!slice) {
      slice = emptySlice(snapshot.savedAt);
      slices.set(partition, slice);
    }
    return slice;
  };
  for (const p of wanted ?? []) sliceOf(p);
  for (const [k, state] of Object.entries(snapshot.states)) {
    const homeId = homeOfRuleKey(k);
    const slice = homeId === undefined ? undefined : sliceOf(partitionOfHome(homeId));
    if (slice) slice.states[k] = state;
  }
  for (const [k, at] of Object.entries(snapshot.wakeAts)) {
    const homeId = homeOfRuleKey(k);
    const slice = homeId === undefined ? undefined : sliceOf(partitionOfHome(homeId));
    if (slice) slice.wakeAts[k] = at;
  }
  for (const [deviceId, silence] of Object.entries(snapshot.silentSec ?? {})) {
    const homeId = homeOfDevice(deviceId);
    const slice = homeId === undefined ? undefined : sliceOf(partitionOfHome(homeId));
    if (slice) slice.silentSec![deviceId] = silence;
  }
  return new Map([...slices].sort(([a], [b]) => a - b));
}

/**
 * Slices (of distinct partitions) as one snapshot, for `RulesEngine.restore`
 * and `DevicePresence.resumePartitions`; undefined when there are none. Its
 * `savedAt` is the oldest slice's: neither reader times anything from it
 * (wake-ups are absolute, a resumed watch counts from the hand-over), and
 * the oldest is the honest age of the whole.
 */
export function mergeSnapshotSlices(slices: Iterable<SplittableSnapshot>): SplittableSnapshot | undefined {
  let merged: SplittableSnapshot | undefined;
  for (const slice of slices) {
    merged ??= emptySlice(slice.savedAt);
    merged.savedAt = Math.min(merged.savedAt, slice.savedAt);
    Object.assign(merged.states, slice.states);
    Object.assign(merged.wakeAts, slice.wakeAts);
    Object.assign(merged.silentSec!, slice.silentSec);
  }
  return merged;
}

function emptySlice(savedAt: number): SplittableSnapshot {
  return { savedAt, states: {}, wakeAts: {}, silentSec: {} };
}
