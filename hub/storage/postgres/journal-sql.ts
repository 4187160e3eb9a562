/**
 * The statements of the PostgreSQL journal (tables in the 0001 migration),
 * kept apart from the queueing and retry logic in journal-pg.ts.
 *
 * A batch is ONE statement: the lines and their device message keys inserted
 * through two data-modifying CTEs over unnest()ed arrays. A single statement
 * outside BEGIN is its own transaction, so the batch costs one round trip and
 * is committed — synchronously, synchronous_commit is on — when it returns.
 */
import type { QueryResult, QueryResultRow } from 'pg';
import { formatEntryText, type JournalEntry, parseEntry } from '../journal-format.js';
import type { DeviceMessageKey } from '../ports.js';

/** One line as the journal queues it. */
export interface PgLine {
  n: number;
  at: string;
  type: string;
  /** JSON text of `data`, exactly as it appears in the hashed line. */
  dataText: string;
  prev: string;
  hash: string;
  key: DeviceMessageKey | undefined;
}

/** A PgDatabase, a pool or one client: whatever runs a parameterised query. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

const INSERT_BATCH = `
WITH lines AS (
  INSERT INTO journal (n, at, type, data, prev, hash)
  SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::json[], $5::text[], $6::text[])
  RETURNING n
), keys AS (
  INSERT INTO device_messages (device_id, seq, ts, n)
  SELECT * FROM unnest($7::text[], $8::bigint[], $9::bigint[], $10::bigint[])
  ON CONFLICT ON CONSTRAINT device_messages_key DO NOTHING
  RETURNING n
)
SELECT (SELECT count(*) FROM lines)::int AS lines, ARRAY(SELECT n FROM keys) AS claimed`;

/** The channel a cluster leader's batch INSERT notifies: its standbys' journal tails wake on it (journal-tail.ts). */
export const JOURNAL_CHANNEL = 'hub_journal';
/**
 * The same batch, plus a wake-up for the standbys, sent at commit (a NOTIFY in
 * a transaction is delivered only if it commits). Only in a cluster: a hub
 * alone has nobody listening and pays nothing.
 */
const INSERT_BATCH_NOTIFY = `${INSERT_BATCH}, pg_notify('${JOURNAL_CHANNEL}', '') AS notified`;

const keyText = (k: DeviceMessageKey): string => `${k.deviceId}|${k.seq}|${k.ts ?? ''}`;

/**
 * Inserts a batch; returns the lines whose device message key was already
 * taken by an earlier, committed line (the line is stored all the same: it is
 * in the hash chain).
 */
export async function insertBatch(db: Queryable, lines: readonly PgLine[], notifyFollowers = false): Promise<PgLine[]> {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
  const firstOfKey = new Map<string, PgLine>();
  for (const l of lines) {
    cols[0]!.push(l.n);
    cols[1]!.push(l.at);
    cols[2]!.push(l.type);
    cols[3]!.push(l.dataText);
    cols[4]!.push(l.prev);
    cols[5]!.push(l.hash);
    // Several lines of one message (two rules on one event) claim its key once, with the first line.
    if (l.key && !firstOfKey.has(keyText(l.key))) {
      firstOfKey.set(keyText(l.key), l);
      cols[6]!.push(l.key.deviceId);
      cols[7]!.push(l.key.seq);
      cols[8]!.push(l.key.ts ?? null);
      cols[9]!.push(l.n);
    }
  }
  const { rows } = await db.query<{ lines: number; claimed: string[] }>(notifyFollowers ? INSERT_BATCH_NOTIFY : INSERT_BATCH, cols);
  const claimed = new Set((rows[0]?.claimed ?? []).map(Number));
  return [...firstOfKey.values()].filter((l) => !claimed.has(l.n));
}

/**
 * After an error whose outcome is unknown (the connection dropped during the
 * COMMIT), or a primary-key conflict on retry: are exactly these lines there?
 * 'all' means the earlier attempt committed; 'none' that it did not; 'other'
 * that rows with these n exist but differ — someone else wrote the journal.
 */
export async function batchPresence(db: Queryable, lines: readonly PgLine[]): Promise<'all' | 'none' | 'other'> {
  const first = lines[0]!.n;
  const last = lines.at(-1)!.n;
  const { rows } = await db.query<{ n: string; hash: string }>('SELECT n, hash FROM journal WHERE n BETWEEN $1 AND $2 ORDER BY n', [first, last]);
  if (rows.length === 0) return 'none';
  if (rows.length !== lines.length) return 'other';
  return rows.every((r, i) => Number(r.n) === lines[i]!.n && r.hash === lines[i]!.hash) ? 'all' : 'other';
}

export interface StoredLine {
  entry: JournalEntry;
  /** The line text rebuilt from the row (what was hashed). */
  text: string;
  /** The `hash` column as stored. */
  storedHash: string;
}

interface Row {
  n: string;
  at: Date;
  type: string;
  data: string;
  prev: string;
  hash: string;
}

/**
 * Reads the journal in n order after line `from` (0: all of it), `pageSize`
 * rows at a time (keyset pages, so a journal of millions of rows replays in
 * bounded memory). Return false to stop.
 */
export async function scanJournal(db: Queryable, onLine: (line: StoredLine) => boolean | void, pageSize = 5_000, from = 0): Promise<void> {
  for (let after = from; ; ) {
    const { rows } = await db.query<Row>('SELECT n, at, type, data::text AS data, prev, hash FROM journal WHERE n > $1 ORDER BY n LIMIT $2', [after, pageSize]);
    for (const row of rows) {
      const n = Number(row.n);
      const text = formatEntryText(n, row.at.toISOString(), row.type, row.data, row.prev);
      const parsed = parseEntry(text);
      if (!parsed.ok) throw new Error(`journal row n=${n} does not form a valid line: ${parsed.reason}`);
      if (onLine({ entry: parsed.entry, text, storedHash: row.hash }) === false) return;
      after = n;
    }
    if (rows.length < pageSize) return;
  }
}

/** Whether a device message already has a committed line. Uses the unique key's index. */
export async function messageJournaled(db: Queryable, key: DeviceMessageKey): Promise<boolean> {
  const { rows } =
    key.ts === undefined
      ? await db.query('SELECT 1 FROM device_messages WHERE device_id = $1 AND seq = $2 AND ts IS NULL', [key.deviceId, key.seq])
      : await db.query('SELECT 1 FROM device_messages WHERE device_id = $1 AND seq = $2 AND ts = $3', [key.deviceId, key.seq, key.ts]);
  return rows.length > 0;
}
