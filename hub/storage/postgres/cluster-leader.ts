/**
 * The cluster's leader as PostgreSQL knows it (issue 12; table in migration
 * 0003). Leadership is the journal writer's session advisory lock
 * (journal-writer-connection.ts): whoever holds JOURNAL_LOCK writes the
 * journal and runs the pipeline. The `cluster_leader` row adds what the lock
 * cannot carry: an epoch that grows at every change of leader, the leader's
 * node id and HTTP URL, and since when. Front ends and /health read it with
 * readLeader(); only the lock holder writes it.
 */
import type { LeaderRecord } from '../ports.js';
import type { Queryable } from './journal-sql.js';

/** pg_advisory_lock(int, int) key: 'HUB!' and the journal's number (the cluster's partitions take others). */
export const JOURNAL_LOCK: readonly [number, number] = [0x48554221, 1];

/** Who this process is, written into the row when it becomes leader. */
export interface LeaderIdentity {
  nodeId: string;
  /** Where front ends proxy to; unknown (null) for a hub that runs alone. */
  httpUrl?: string | undefined;
}

export type { LeaderRecord };

interface Row {
  epoch: string;
  node_id: string | null;
  http_url: string | null;
  since: Date | null;
  held: boolean;
}

/**
 * The pg_locks row (alias l) of the granted journal lock, with $1, $2 =
 * JOURNAL_LOCK. Advisory locks are per database, but pg_locks lists every
 * database's: the `database` filter keeps another database's hub (a test
 * running next to this one) from passing for ours.
 */
export const JOURNAL_LOCK_HELD = `l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 AND l.granted
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

const READ_LEADER = `
SELECT epoch, node_id, http_url, since, EXISTS (SELECT 1 FROM pg_locks l WHERE ${JOURNAL_LOCK_HELD}) AS held
  FROM cluster_leader`;

/** The lock attempt and the row in one round trip (the row only to tell a waiting standby who leads). */
const TRY_LOCK = `
SELECT pg_try_advisory_lock($1, $2) AS locked, epoch, node_id, http_url, since, true AS held
  FROM cluster_leader`;

const CLAIM = `
UPDATE cluster_leader SET epoch = epoch + 1, node_id = $1, http_url = $2, since = now()
RETURNING epoch, node_id, http_url, since, true AS held`;

function toRecord(row: Row | undefined): LeaderRecord {
  // The migration inserts the one row; a database without it was edited by hand.
  if (!row) throw new Error('cluster_leader has no row (migration 0003 inserts it): the schema was changed by hand');
  return { epoch: Number(row.epoch), nodeId: row.node_id, httpUrl: row.http_url, since: row.since, held: row.held };
}

/** The current leader record, for front ends (where to proxy) and /health. */
export async function readLeader(db: Queryable): Promise<LeaderRecord> {
  const { rows } = await db.query<Row>(READ_LEADER, [...JOURNAL_LOCK]);
  return toRecord(rows[0]);
}

/**
 * One attempt at the lock. The row comes from the statement's snapshot, taken
 * before the attempt: good for "who leads" while waiting, not for deciding
 * anything once the lock is ours (read it again then).
 */
export async function tryJournalLock(session: Queryable): Promise<{ locked: boolean; leader: LeaderRecord }> {
  const { rows } = await session.query<Row & { locked: boolean }>(TRY_LOCK, [...JOURNAL_LOCK]);
  const row = rows[0];
  // Either way the lock is held: by us now, or by whoever made the attempt fail.
  return { locked: row?.locked === true, leader: toRecord(row) };
}

/**
 * Starts a new epoch under `identity`. Must run on the session that has just
 * taken JOURNAL_LOCK: the lock is what makes this the only writer of the row.
 */
export async function claimLeadership(lockSession: Queryable, identity: LeaderIdentity): Promise<LeaderRecord> {
  const { rows } = await lockSession.query<Row>(CLAIM, [identity.nodeId, identity.httpUrl ?? null]);
  return toRecord(rows[0]);
}
