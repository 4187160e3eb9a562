/** Lease balancers (PartitionOwner) brought to rest, for tests of several nodes' partitions. */
import type { PartitionOwner } from '../../hub/storage/postgres/partition-owner.js';

/** Runs every node's round, one node after another, until a pass in which none gains or gives up anything. */
export async function settle(nodes: readonly { owner: PartitionOwner }[]): Promise<void> {
  for (let pass = 0; pass < 10; pass++) {
    let moved = 0;
    for (const n of nodes) {
      const report = await n.owner.round();
      moved += report.gained.length + report.released.length + report.lost.length;
    }
    if (moved === 0) return;
  }
  throw new Error('the nodes did not settle in 10 passes');
}
