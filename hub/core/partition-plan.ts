/**
 * One node's decision in a balancing round (partition-owner.ts): what to give
 * up and how many to take, from what it holds, the live nodes' bounded
 * rendezvous assignment (partition-rendezvous.ts) and the lease table as read
 * this round. Pure: the statements that carry it out check every lease again
 * by the database's clock, so a plan made on a stale read can only do less,
 * never take a lease that is not free.
 *
 * - share = ceil(256 / live nodes): never hold more.
 * - Surplus: above the share, give up the excess, the partitions meant for
 *   other nodes first, keeping the ones meant for this node.
 * - Hand-over: a partition meant for another node is given up even within the
 *   share once that node is taking partitions (it holds a running lease):
 *   without it the leftovers of earlier sets of nodes would stay where they
 *   fell, and a node that left and came back would not get its own back. A
 *   node that holds nothing (just started, or stuck) gets nothing handed over,
 *   so nothing is released to a node that does not take: a starting node gets
 *   its first partitions from the others' surplus.
 * - Take: below the share, the free partitions meant for this node first, in
 *   its order of preference; then any free one that nobody took for a while
 *   (partition-balance-sql.ts).
 */
import { PARTITION_COUNT } from './partitions.js';
import type { PartitionAssignment } from './partition-rendezvous.js';

/** What the plan needs of a lease row. */
export interface LeaseView {
  partition: number;
  owner: string | null;
  /** The lease runs now, by the database's clock. */
  running: boolean;
}

export interface PlanInput {
  self: string;
  /** Home partitions this node holds. */
  held: readonly number[];
  /** The assignment over the live nodes, this node among them. */
  assignment: PartitionAssignment;
  rows: readonly LeaseView[];
}

export interface RoundPlan {
  share: number;
  /** To give up this round (hand-overs, then surplus), ascending. */
  release: number[];
  /** How many to take at most, after the release. */
  take: number;
  /** The partitions meant for this node that it does not hold, most preferred first. */
  prefer: number[];
  /** Whether any row was free when read (else a take statement would find nothing). */
  anyFree: boolean;
}

export function planRound({ self, held, assignment, rows }: PlanInput): RoundPlan {
  const share = Math.ceil(PARTITION_COUNT / Math.max(1, assignment.size));
  const mine = assignment.get(self) ?? [];
  const rank = new Map(mine.map((p, i) => [p, i]));
  const meantFor = new Map<number, string>();
  for (const [node, partitions] of assignment) for (const p of partitions) meantFor.set(p, node);
  const taking = new Set(rows.filter((r) => r.running && r.owner !== null).map((r) => r.owner!));

  const handOver = held.filter((p) => !rank.has(p) && taking.has(meantFor.get(p) ?? self));
  const kept = held.filter((p) => !handOver.includes(p));
  // Keep this node's own partitions (in its order of preference), then the others by number.
  kept.sort((a, b) => (rank.get(a) ?? PARTITION_COUNT + a) - (rank.get(b) ?? PARTITION_COUNT + b));
  const surplus = kept.slice(share);
  const release = [...handOver, ...surplus].sort((a, b) => a - b);

  const heldSet = new Set(held);
  return {
    share,
    release,
    take: Math.max(0, share - (held.length - release.length)),
    prefer: mine.filter((p) => !heldSet.has(p)),
    anyFree: rows.some((r) => !r.running),
  };
}
