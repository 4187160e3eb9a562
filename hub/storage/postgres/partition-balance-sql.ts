/**
 * The statements that spread the home partitions' leases over the live nodes
 * (docs/CLUSTER.md "Built (step 3, part): spreading the leases"; table
 * `partition_lease`, migration 0005). Each is one statement, so its own
 * transaction, and the database's clock decides every expiry: no node's
 * clock is compared with another's.
 *
 * Only the home partitions (0–255). Row -1, the lines of no home, stays with
 * the holder of the journal's lock (partition-leases.ts): every statement here
 * names `partition >= 0`, so none of them can take, renew or release it.
 *
 * Renewal is partition-leases.ts's `renewPartitions`: only leases still ours,
 * at our epoch, and still running; one that ran out must be taken again.
 */
import { HOMELESS_PARTITION } from '../../core/partitions.js';
import type { BatchFence, Queryable } from './journal-sql.js';
import { nodeAliveSql } from './node-alive-lock.js';
import { type PartitionLeaseRow, readPartitionLeases } from './partition-leases.js';

/** A partition taken, under the epoch its batches will be fenced by. */
export interface TakenPartition {
  partition: number;
  epoch: number;
}

/**
 * Up to $3 free home partitions: never owned, or their lease ran out
 * (expires_at <= now(), a release sets it to the moment of release). The
 * candidates ($2, in order) first; any other only once it has been free for
 * $4 ms, so that a partition another node is meant to take is left to it for
 * a round or two (partition-plan.ts).
 *
 * `FOR UPDATE SKIP LOCKED`: two nodes taking at once lock disjoint rows and
 * neither waits for the other. A row a journal batch holds `FOR SHARE` (a batch
 * of the old owner in flight, journal-sql.ts) is skipped too, and taken at a
 * later round: no epoch e+1 is handed out while a batch of epoch e can still
 * commit. A row another taker changed after this statement's snapshot is read
 * again at its newest version before it is locked (PostgreSQL's recheck in
 * READ COMMITTED), and dropped if it is no longer free. The LIMIT counts only
 * rows actually locked.
 */
/*
 * With $6 (owners hold alive locks, node-alive-lock.ts), a row whose owner's
 * session is gone is free at once, its lease running or not.
 */
const TAKE = `
WITH pick AS (
  SELECT l.partition
    FROM partition_lease l
    LEFT JOIN unnest($2::int[]) WITH ORDINALITY AS c(partition, rank) ON c.partition = l.partition
   WHERE l.partition >= 0
     AND (l.owner IS NULL
          OR coalesce(l.expires_at, '-infinity') <= now() - CASE WHEN c.rank IS NULL THEN $4 * interval '1 millisecond' ELSE interval '0' END
          OR ($6 AND l.owner <> $1 AND NOT ${nodeAliveSql('l.owner')}))
   ORDER BY c.rank NULLS LAST, l.partition
   LIMIT $3
     FOR UPDATE OF l SKIP LOCKED
)
UPDATE partition_lease l SET owner = $1, epoch = l.epoch + 1, since = now(), expires_at = now() + $5 * interval '1 millisecond'
  FROM pick
 WHERE l.partition = pick.partition
RETURNING l.partition, l.epoch`;

/**
 * Gives up leases still ours at our epoch: they run out now (expires_at =
 * now()), so any node may take them at once. Owner and epoch stay, so the row
 * still says who had it last; the next taker's epoch is one more. A lease that
 * already ran out is left as it is (its recorded expiry stays true). Waits for
 * a batch of ours in flight (its FOR SHARE lock): once this returns, no batch
 * fenced by these epochs can commit.
 */
const RELEASE = `
UPDATE partition_lease l SET expires_at = now()
  FROM unnest($1::int[], $2::bigint[]) AS f(partition, epoch)
 WHERE l.partition = f.partition AND l.partition >= 0 AND l.epoch = f.epoch AND l.owner = $3 AND l.expires_at > now()
RETURNING l.partition`;

export interface TakeRequest {
  owner: string;
  /** Take at most this many. */
  count: number;
  /** Taken first, in this order, as soon as they are free. */
  prefer: readonly number[];
  /** Any other free partition only once it has been free this long. */
  othersFreeForMs: number;
  leaseMs: number;
  /** Every owner holds an alive lock (HUB_PARTITIONS=spread): a row whose owner's session is gone is free at once. */
  deadOwnersFree?: boolean;
}

/** Takes up to `count` free home partitions under a new epoch each (TAKE above). */
export async function takeFreePartitions(db: Queryable, request: TakeRequest): Promise<TakenPartition[]> {
  if (request.count <= 0) return [];
  const prefer = request.prefer.filter((p) => p !== HOMELESS_PARTITION);
  const { rows } = await db.query<{ partition: number; epoch: string }>(TAKE, [request.owner, prefer, request.count, request.othersFreeForMs, request.leaseMs, request.deadOwnersFree === true]);
  return rows.map((r) => ({ partition: r.partition, epoch: Number(r.epoch) })).sort((a, b) => a.partition - b.partition);
}

/** Releases the fence's partitions (RELEASE above); returns those released (the others had run out or moved). */
export async function releasePartitions(db: Queryable, fence: BatchFence): Promise<number[]> {
  if (fence.partitions.length === 0) return [];
  const { rows } = await db.query<{ partition: number }>(RELEASE, [fence.partitions, fence.epochs, fence.owner]);
  return rows.map((r) => r.partition).sort((a, b) => a - b);
}

/** The home partitions' rows (not the home-less one's), each with whether its lease runs now by the database's clock. */
export async function readHomePartitionLeases(db: Queryable, options: { deadOwnersFree?: boolean } = {}): Promise<PartitionLeaseRow[]> {
  return (await readPartitionLeases(db, options)).filter((r) => r.partition !== HOMELESS_PARTITION);
}
