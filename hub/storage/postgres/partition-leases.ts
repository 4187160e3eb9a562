/**
 * The home partitions' leases (issue 12; table `partition_lease`, migration
 * 0005; docs/CLUSTER.md "Lease with a fencing token").
 *
 * A row per partition says who owns it, under which epoch, and until when;
 * the epoch and the expiry are what every journal batch is fenced by
 * (journal-sql.ts). Today the journal's writer — the cluster's leader, or a
 * hub alone — takes every row right after it takes the journal's lock, in
 * the lock's own session, and renews them every fifth of the lease
 * (journal-writer-connection.ts). The lock makes it the only writer of the
 * rows. A node that led before and was frozen keeps epochs that are no longer
 * in the table, and leases that have run out, so none of its batches can
 * commit even if its session outlived the lock.
 */
import { HOMELESS_PARTITION, PARTITION_COUNT } from '../../core/partitions.js';
import { nodeAliveSql } from './node-alive-lock.js';
import type { BatchFence, Queryable } from './journal-sql.js';

/** What restores lease rows deleted by hand (migration 0005 inserts them). */
const RESTORE_ROWS = "INSERT INTO partition_lease (partition) SELECT generate_series(-1, 255) ON CONFLICT DO NOTHING";

/** A line of a partition this writer took no lease of (its row was deleted by hand): retrying cannot help. */
export class PartitionNotHeldError extends Error {
  override name = 'PartitionNotHeldError';
}

/** The partitions a writer holds, with the epoch of each: what its batches are fenced by. */
export class HeldPartitions {
  /** Home partitions held (not the home-less one), ascending: what /health and /metrics show. */
  readonly homePartitions: readonly number[];

  constructor(
    readonly owner: string,
    private readonly epochs: ReadonlyMap<number, number>,
  ) {
    this.homePartitions = [...epochs.keys()].filter((p) => p !== HOMELESS_PARTITION).sort((a, b) => a - b);
  }

  get size(): number {
    return this.epochs.size;
  }

  epochOf(partition: number): number | undefined {
    return this.epochs.get(partition);
  }

  /** These leases and `other`'s, one owner's (an owner that also leads: its balancer's home partitions and the lock's -1). */
  with(other: HeldPartitions | undefined): HeldPartitions {
    if (!other || other.size === 0) return this;
    if (other.owner !== this.owner) throw new Error(`leases of two owners cannot fence one batch (${this.owner}, ${other.owner})`);
    return new HeldPartitions(this.owner, new Map([...this.epochs, ...other.epochs]));
  }

  /** Every partition held, as a fence (parallel arrays for unnest()). */
  all(): BatchFence {
    return this.fenceFor(this.epochs.keys());
  }

  /** The fence of a batch writing these partitions; throws for one not held. */
  fenceFor(partitions: Iterable<number>): BatchFence {
    const fence: BatchFence = { owner: this.owner, partitions: [], epochs: [] };
    for (const p of partitions) {
      const epoch = this.epochs.get(p);
      if (epoch === undefined) {
        throw new PartitionNotHeldError(`this node (${this.owner}) holds no lease of partition ${p} (its row in partition_lease is missing): restore the rows with \`${RESTORE_ROWS}\` and restart the hub`);
      }
      fence.partitions.push(p);
      fence.epochs.push(epoch);
    }
    return fence;
  }
}

const TAKE_ALL = `
UPDATE partition_lease SET owner = $1, epoch = epoch + 1, since = now(), expires_at = now() + $2 * interval '1 millisecond'
RETURNING partition, epoch`;

const TAKE_HOMELESS = `
UPDATE partition_lease SET owner = $1, epoch = epoch + 1, since = now(), expires_at = now() + $2 * interval '1 millisecond'
 WHERE partition = -1
RETURNING partition, epoch`;

/** Only leases still ours and still running: one that ran out must be taken again, under a new epoch. */
const RENEW = `
UPDATE partition_lease l SET expires_at = now() + $4 * interval '1 millisecond'
  FROM unnest($1::int[], $2::bigint[]) AS f(partition, epoch)
 WHERE l.partition = f.partition AND l.epoch = f.epoch AND l.owner = $3 AND l.expires_at > now()
RETURNING l.partition`;

/**
 * Takes every partition under a new epoch each, for a lease of `leaseMs`.
 * Must run in the session that holds the journal's lock
 * (journal-writer-connection.ts), which is what makes this the only writer
 * of the rows.
 */
export async function takeAllPartitions(lockSession: Queryable, owner: string, leaseMs: number): Promise<HeldPartitions> {
  const { rows } = await lockSession.query<{ partition: number; epoch: string }>(TAKE_ALL, [owner, leaseMs]);
  // The migration inserts every row; fewer means the table was edited by hand, and those homes' lines could not be written.
  if (rows.length !== PARTITION_COUNT + 1) {
    throw new Error(`partition_lease has ${rows.length} of its ${PARTITION_COUNT + 1} rows (migration 0005 inserts them; the table was edited by hand): restore them with \`${RESTORE_ROWS}\` and start the hub again`);
  }
  return new HeldPartitions(owner, new Map(rows.map((r) => [r.partition, Number(r.epoch)])));
}

/**
 * Takes only the home-less partition (-1) under a new epoch: the leader of
 * a cluster whose home partitions are spread by the balancer
 * (partition-owner.ts). Must run in the session holding the journal's lock.
 */
export async function takeHomelessPartition(lockSession: Queryable, owner: string, leaseMs: number): Promise<HeldPartitions> {
  const { rows } = await lockSession.query<{ partition: number; epoch: string }>(TAKE_HOMELESS, [owner, leaseMs]);
  if (rows.length !== 1) throw new Error(`partition_lease has no row for the home-less partition (-1; migration 0005 inserts it): restore it with \`${RESTORE_ROWS}\` and start the hub again`);
  return new HeldPartitions(owner, new Map([[HOMELESS_PARTITION, Number(rows[0]!.epoch)]]));
}

/** Renews every lease held for another `leaseMs`; returns the partitions that could not be (expired, or taken). */
export async function renewPartitions(session: Queryable, held: HeldPartitions, leaseMs: number): Promise<number[]> {
  const fence = held.all();
  const { rows } = await session.query<{ partition: number }>(RENEW, [fence.partitions, fence.epochs, fence.owner, leaseMs]);
  const renewed = new Set(rows.map((r) => r.partition));
  return fence.partitions.filter((p) => !renewed.has(p));
}

/** A partition's row as /health and the tests read it. */
export interface PartitionLeaseRow {
  partition: number;
  owner: string | null;
  epoch: number;
  since: Date | null;
  expiresAt: Date | null;
  /** Whether its lease runs now, by the database's clock (the one that decides). */
  running: boolean;
}

/**
 * Every lease row. With `deadOwnersFree` (every owner holds an alive lock,
 * node-alive-lock.ts), a lease whose owner's session is gone counts as not
 * running, as the take statement counts it.
 */
export async function readPartitionLeases(db: Queryable, { deadOwnersFree = false }: { deadOwnersFree?: boolean } = {}): Promise<PartitionLeaseRow[]> {
  const alive = deadOwnersFree ? ` AND ${nodeAliveSql('owner')}` : '';
  const { rows } = await db.query<{ partition: number; owner: string | null; epoch: string; since: Date | null; expires_at: Date | null; running: boolean }>(
    `SELECT partition, owner, epoch, since, expires_at, coalesce(owner IS NOT NULL AND expires_at > now()${alive}, false) AS running FROM partition_lease ORDER BY partition`,
  );
  return rows.map((r) => ({ partition: r.partition, owner: r.owner, epoch: Number(r.epoch), since: r.since, expiresAt: r.expires_at, running: r.running }));
}

/**
 * Moves the line counter to the journal's tail as the writer replayed it.
 * The writer holds the lock and has read every committed row, so its tail is
 * the journal's; a counter behind it was left by a release before migration
 * 0005 writing on after another node had migrated, or by a copy.
 */
export async function alignJournalCounter(lockSession: Queryable, lastN: number, tip: string): Promise<void> {
  // Only ever forward: with writers that do not hold the lock (step 3), one may have committed past this tail since.
  await lockSession.query('UPDATE journal_seq SET n = $1, tip = $2 WHERE n < $1', [lastN, tip]);
}

/**
 * Why a batch's fence refused it, in words: which partition moved to whom at
 * which epoch, or whose lease ran out when (by the database's clock, as the
 * fence decided). Read after the refusal, from the rows as they are.
 */
export function whyFenced(rows: readonly PartitionLeaseRow[], held: HeldPartitions, partitions: ReadonlySet<number>): string {
  const what = rows
    .filter((r) => partitions.has(r.partition))
    .map((r) => {
      if (r.owner !== held.owner || r.epoch !== held.epochOf(r.partition)) return `partition ${r.partition} is held by ${r.owner ?? 'nobody'} at epoch ${r.epoch} (this node took epoch ${held.epochOf(r.partition)})`;
      if (!r.running && r.expiresAt) return `the lease of partition ${r.partition} ran out at ${r.expiresAt.toISOString()} without being renewed`;
      return undefined;
    })
    .filter((x) => x !== undefined);
  return what.length > 0 ? what.join('; ') : 'a partition of the batch changed hands';
}
