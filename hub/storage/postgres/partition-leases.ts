/**
 * The home partitions' leases (issue 12; table `partition_lease`, migration
 * 0005; docs/CLUSTER.md "Lease with a fencing token").
 *
 * A row per partition says who owns it and under which epoch; the epoch is
 * the fencing token every journal batch checks (journal-sql.ts). Today the
 * journal's writer — the cluster's leader, or a hub alone — takes every row
 * right after it takes the journal's lock, in the lock's own session: the
 * lock makes it the only writer of the rows, so taking them needs no
 * expiry. A node that led before and was frozen keeps epochs that are no
 * longer in the table, so none of its batches can commit even if its
 * session outlived the lock.
 */
import { HOMELESS_PARTITION } from '../../core/partitions.js';
import type { BatchFence, Queryable } from './journal-sql.js';

/** The partitions a writer holds, with the epoch of each: what its batches are fenced by. */
export class HeldPartitions {
  constructor(
    readonly owner: string,
    private readonly epochs: ReadonlyMap<number, number>,
  ) {}

  /** Home partitions held (not the home-less one), ascending. */
  get homePartitions(): number[] {
    return [...this.epochs.keys()].filter((p) => p !== HOMELESS_PARTITION).sort((a, b) => a - b);
  }

  epochOf(partition: number): number | undefined {
    return this.epochs.get(partition);
  }

  /** The fence of a batch writing these partitions: parallel arrays for unnest(); throws for one not held. */
  fenceFor(partitions: Iterable<number>): BatchFence {
    const fence: BatchFence = { owner: this.owner, partitions: [], epochs: [] };
    for (const p of partitions) {
      const epoch = this.epochs.get(p);
      if (epoch === undefined) throw new Error(`this node (${this.owner}) does not hold partition ${p}: its lines cannot be written here`);
      fence.partitions.push(p);
      fence.epochs.push(epoch);
    }
    return fence;
  }
}

const TAKE_ALL = `
UPDATE partition_lease SET owner = $1, epoch = epoch + 1, since = now()
RETURNING partition, epoch`;

/**
 * Takes every partition under a new epoch each. Must run in the session that
 * holds the journal's lock (journal-writer-connection.ts), which is what makes
 * this the only writer of the rows.
 */
export async function takeAllPartitions(lockSession: Queryable, owner: string): Promise<HeldPartitions> {
  const { rows } = await lockSession.query<{ partition: number; epoch: string }>(TAKE_ALL, [owner]);
  // The migration inserts the rows; a table without them was edited by hand.
  if (rows.length === 0) throw new Error('partition_lease has no rows (migration 0005 inserts them): the schema was changed by hand');
  return new HeldPartitions(owner, new Map(rows.map((r) => [r.partition, Number(r.epoch)])));
}

/** A partition's row as /health and the tests read it. */
export interface PartitionLeaseRow {
  partition: number;
  owner: string | null;
  epoch: number;
  since: Date | null;
}

export async function readPartitionLeases(db: Queryable): Promise<PartitionLeaseRow[]> {
  const { rows } = await db.query<{ partition: number; owner: string | null; epoch: string; since: Date | null }>(
    'SELECT partition, owner, epoch, since FROM partition_lease ORDER BY partition',
  );
  return rows.map((r) => ({ partition: r.partition, owner: r.owner, epoch: Number(r.epoch), since: r.since }));
}

/**
 * Moves the line counter to the journal's tail as the writer replayed it.
 * The writer holds the lock and has read every committed row, so its tail is
 * the journal's; a counter behind it was left by a release before migration
 * 0005 writing on after another node had migrated.
 */
export async function alignJournalCounter(lockSession: Queryable, lastN: number, tip: string): Promise<void> {
  await lockSession.query('UPDATE journal_seq SET n = $1, tip = $2', [lastN, tip]);
}
