/**
 * Which node each home partition is meant for, given the live nodes
 * (docs/CLUSTER.md "Built (step 3, part): spreading the leases"):
 * rendezvous (highest-random-weight) hashing with bounded loads.
 *
 * Every node computes the same answer from the same set of live nodes, with
 * nothing exchanged, and the answer depends on that set alone, not on who held
 * what before: a node that leaves and comes back is meant for the same
 * partitions again, and a node joining or leaving moves only about 1/N of them.
 *
 * Plain rendezvous gives each node its partitions of highest weight, but the
 * counts vary (85 ± 8 of 256 over three nodes). The owners take at most
 * ceil(256 / N) each (partition-plan.ts), so plain counts would leave a few
 * partitions to whichever node grabs them first, and the assignment would
 * depend on timing. Bounded: each node has a capacity, floor(256 / N) or one
 * more (the extra ones go to the nodes plain rendezvous favours most, ties by
 * id), and (partition, node) pairs are granted in descending weight until the
 * node is full. The capacities add up to 256, so every partition is granted.
 */
import { fnv1a32, PARTITION_COUNT } from './partitions.js';

/**
 * The weight of a (partition, node) pair: the node id's FNV-1a mixed with the
 * partition through murmur3's finaliser, so that nearby partitions and similar
 * ids give unrelated weights. Stable across releases (a change would move
 * partitions between nodes on upgrade).
 */
export function rendezvousWeight(partition: number, nodeId: string): number {
  let h = (fnv1a32(nodeId) ^ Math.imul(partition + 1, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Each live node's partitions, each list in the node's order of preference (highest weight first). */
export type PartitionAssignment = ReadonlyMap<string, readonly number[]>;

interface Pair {
  partition: number;
  node: string;
  weight: number;
}

/** Heavier first; equal weights by node id, then partition, so the order is total. */
const byWeight = (a: Pair, b: Pair) => b.weight - a.weight || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) || a.partition - b.partition;

/** The bounded rendezvous assignment of the home partitions to `nodes` (duplicates ignored). */
export function assignPartitions(nodes: Iterable<string>): PartitionAssignment {
  const live = [...new Set(nodes)].sort();
  if (live.length === 0) return new Map();
  const pairs: Pair[] = [];
  const favoured = new Map<string, number>(live.map((n) => [n, 0]));
  for (let partition = 0; partition < PARTITION_COUNT; partition++) {
    let best: Pair | undefined;
    for (const node of live) {
      const pair = { partition, node, weight: rendezvousWeight(partition, node) };
      pairs.push(pair);
      if (!best || byWeight(pair, best) < 0) best = pair;
    }
    favoured.set(best!.node, favoured.get(best!.node)! + 1);
  }
  const base = Math.floor(PARTITION_COUNT / live.length);
  const extra = PARTITION_COUNT % live.length;
  const byFavour = [...live].sort((a, b) => favoured.get(b)! - favoured.get(a)! || (a < b ? -1 : 1));
  const room = new Map(byFavour.map((n, i) => [n, base + (i < extra ? 1 : 0)]));
  const granted = new Map<string, number[]>(live.map((n) => [n, []]));
  const taken = new Set<number>();
  for (const pair of pairs.sort(byWeight)) {
    if (taken.has(pair.partition) || room.get(pair.node) === 0) continue;
    taken.add(pair.partition);
    room.set(pair.node, room.get(pair.node)! - 1);
    granted.get(pair.node)!.push(pair.partition);
  }
  return granted;
}

/** The same assignment for the same set of live nodes, computed once (every round asks). */
export class AssignmentCache {
  private key: string | undefined;
  private value: PartitionAssignment = new Map();

  of(nodes: readonly string[]): PartitionAssignment {
    const key = [...new Set(nodes)].sort().join('\n');
    if (key !== this.key) {
      this.value = assignPartitions(nodes);
      this.key = key;
    }
    return this.value;
  }
}
