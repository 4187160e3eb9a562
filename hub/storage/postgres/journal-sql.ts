/**
 * The statements of the PostgreSQL journal (tables in the 0001 migration),
 * kept apart from the queueing and retry logic in journal-pg.ts.
 *
 * A batch is ONE statement, a call of `journal_append_batch` (migration
 * 0006): a single statement outside BEGIN is its own transaction, so the
 * batch costs one round trip and is committed — synchronously,
 * synchronous_commit is on — when it returns. The writer sends its lines
 * without n and prev; the database
 * - fences the batch: it inserts nothing unless every partition its lines
 *   belong to is still held by this writer at the epoch it took, and its
 *   lease has not expired (`partition_lease`, read FOR SHARE so a takeover
 *   waits for it; docs/CLUSTER.md "Per-partition writers");
 * - numbers the lines from the counter `journal_seq`, whose row lock orders
 *   the commits of several writers, and continues the one chain from its tip.
 *
 * A copy from the files (copy-from-files.ts) inserts lines already numbered.
 */
import type { QueryResult, QueryResultRow } from 'pg';
import { fieldsProblem, formatEntryText, type JournalEntry } from '../journal-format.js';
import type { DeviceMessageKey } from '../ports.js';

/** A numbered line, as a copy from the files inserts it. */
export interface PgLine {
  n: number;
  at: string;
  type: string;
  /** JSON text of `data`, exactly as it appears in the hashed line. */
  dataText: string;
  prev: string;
  hash: string;
  key: DeviceMessageKey | undefined;
  /** The line's home partition, or HOMELESS_PARTITION (hub/core/partitions.ts); null for lines copied from files. */
  partition: number | null;
}

/** What a batch's statement is fenced by (module comment). */
export interface BatchFence {
  owner: string;
  /** Each partition the batch writes, with the epoch this writer holds it under. */
  partitions: number[];
  epochs: number[];
}

/** The batch inserted nothing: a partition is no longer held at its epoch, or its lease ran out. */
export class BatchFencedError extends Error {
  override name = 'BatchFencedError';
  constructor() {
    super('a partition of the batch is no longer held by this writer at its epoch, or its lease ran out');
  }
}

/** A PgDatabase, a pool or one client: whatever runs a parameterised query. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * One session that keeps named statements prepared (the journal's writer
 * connection). The batch statement is parsed and planned once per session:
 * planned afresh, the step-2 statement (fence and counter in CTEs) cost about
 * 0.3 ms more per commit (docs/PERFORMANCE.md, "Partitions").
 */
export interface PreparingQueryable extends Queryable {
  queryPrepared<R extends QueryResultRow = QueryResultRow>(name: string, text: string, values: unknown[]): Promise<QueryResult<R>>;
}

/**
 * A copy into an empty database (copy-from-files.ts): the lines as numbered
 * ($1–$7), their message keys ($8–$11), and the counter moved to the copy's
 * end ($12, $13). No writer, no lease.
 */
const COPY_BATCH = `
WITH seq AS (
  UPDATE journal_seq SET n = $12, tip = $13
), lines AS (
  INSERT INTO journal (n, at, type, data, prev, hash, partition)
  SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::json[], $5::text[], $6::text[], $7::smallint[])
), keys AS (
  INSERT INTO device_messages (device_id, seq, ts, n)
  SELECT * FROM unnest($8::text[], $9::bigint[], $10::bigint[], $11::bigint[])
  ON CONFLICT ON CONSTRAINT device_messages_key DO NOTHING
  RETURNING n
)
SELECT ARRAY(SELECT n FROM keys) AS claimed`;

const keyText = (k: DeviceMessageKey): string => `${k.deviceId}|${k.seq}|${k.ts ?? ''}`;

/**
 * Each device message key of the lines once, with the line that records it
 * first: several lines of one message (two rules on one event) claim its key
 * once, with the first line. `lineRef` says how that line is named in the
 * statement (its n, or its index in the batch).
 */
function firstKeys<L extends { key: DeviceMessageKey | undefined }>(lines: readonly L[], lineRef: (line: L, index: number) => number): { columns: unknown[][]; first: Map<string, L> } {
  const columns: unknown[][] = [[], [], [], []];
  const first = new Map<string, L>();
  lines.forEach((l, i) => {
    if (!l.key || first.has(keyText(l.key))) return;
    first.set(keyText(l.key), l);
    columns[0]!.push(l.key.deviceId);
    columns[1]!.push(l.key.seq);
    columns[2]!.push(l.key.ts ?? null);
    columns[3]!.push(lineRef(l, i));
  });
  return { columns, first };
}

/** The channel a cluster writer's batch notifies: the standbys' journal tails wake on it (journal-tail.ts). */
export const JOURNAL_CHANNEL = 'hub_journal';

/**
 * The batch statement (migration 0006): the database fences the batch, numbers
 * its lines from journal_seq, chains and hashes them, and inserts them and
 * their message keys, all in this one statement (its own transaction).
 */
const APPEND_BATCH = 'SELECT fenced, first_n, last_n, prev, hashes, repeated FROM journal_append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)';

/** A line queued by a writer: everything but its number and chain, which the database gives it at commit. */
export interface UnnumberedLine {
  /** `at` as the line has it (toISOString's form). */
  at: string;
  type: string;
  /** JSON text of `data`, exactly as it appears in the hashed line. */
  dataText: string;
  partition: number;
  key: DeviceMessageKey | undefined;
}

/** Where the committed batch's lines went: n = firstN + index; line i's prev is prev (i = 0) or hashes[i − 1]. */
export interface CommittedBatch {
  firstN: number;
  lastN: number;
  prev: string;
  hashes: string[];
  /** Indices of lines whose device message key an earlier, committed line already held (the line is stored all the same). */
  repeated: number[];
}

/** Who writes a batch: its fence, and its writer session and batch number (journal_writer, for a lost reply). */
export interface BatchWriter {
  fence: BatchFence;
  session: string;
  batch: number;
  /** Wake the standbys' tails at commit (a NOTIFY in the transaction is delivered only if it commits). A hub alone has nobody listening. */
  notify: boolean;
}

interface AppendRow {
  fenced: boolean;
  first_n: string | null;
  last_n: string | null;
  prev: string | null;
  hashes: string[] | null;
  repeated: number[] | null;
}

/**
 * Appends a batch under its fence; the database numbers and chains it.
 * Throws BatchFencedError when the fence refused it: nothing was written.
 */
export async function appendBatch(db: PreparingQueryable, lines: readonly UnnumberedLine[], writer: BatchWriter): Promise<CommittedBatch> {
  const at: string[] = [];
  const type: string[] = [];
  const typeJson: string[] = [];
  const data: string[] = [];
  const partition: number[] = [];
  for (const l of lines) {
    at.push(l.at);
    type.push(l.type);
    typeJson.push(JSON.stringify(l.type));
    data.push(l.dataText);
    partition.push(l.partition);
  }
  // The function names a key's line by its 1-based index: the lines have no n yet.
  const keys = firstKeys(lines, (_line, i) => i + 1).columns;
  const { fence } = writer;
  const values = [fence.owner, fence.partitions, fence.epochs, writer.session, writer.batch, at, type, typeJson, data, partition, ...keys, writer.notify];
  const { rows } = await db.queryPrepared<AppendRow>('hub_journal_append', APPEND_BATCH, values);
  const row = rows[0];
  if (!row?.fenced) throw new BatchFencedError();
  return { firstN: Number(row.first_n), lastN: Number(row.last_n), prev: row.prev!, hashes: row.hashes!, repeated: row.repeated!.map((i) => i - 1) };
}

/**
 * After an attempt whose outcome is unknown (the connection dropped during
 * the COMMIT): did this batch commit? Its writer session's row says which
 * batch it committed last; the lines' hashes are read back from the journal.
 */
export async function committedBefore(db: Queryable, session: string, batch: number): Promise<CommittedBatch | undefined> {
  const { rows } = await db.query<{ first_n: string; last_n: string }>('SELECT first_n, last_n FROM journal_writer WHERE session = $1 AND batch = $2', [session, batch]);
  const row = rows[0];
  if (!row) return undefined;
  const firstN = Number(row.first_n);
  const stored = await db.query<{ prev: string; hash: string }>('SELECT prev, hash FROM journal WHERE n BETWEEN $1 AND $2 ORDER BY n', [firstN, row.last_n]);
  // Which keys were repeated is not recorded: the warning it would give is lost with the reply.
  return { firstN, lastN: Number(row.last_n), prev: stored.rows[0]!.prev, hashes: stored.rows.map((r) => r.hash), repeated: [] };
}

/** Forgets the writer sessions that wrote nothing for a week (journal_writer keeps one row per session ever opened). */
export async function forgetOldWriterSessions(db: Queryable): Promise<void> {
  await db.query("DELETE FROM journal_writer WHERE updated_at < now() - interval '7 days'");
}

/** Copies lines as they are into a journal nobody writes yet (copy-from-files.ts); the counter follows. */
export async function copyBatch(db: Queryable, lines: readonly PgLine[]): Promise<PgLine[]> {
  const { values, firstOfKey } = lineColumns(lines);
  const last = lines.at(-1)!;
  values.push(last.n, last.hash);
  const { rows } = await db.query<{ claimed: string[] }>(COPY_BATCH, values);
  return repeatedKeys(rows[0]!, firstOfKey);
}

/** $1–$11: the lines' columns, and each device message key once, with the first line that records it. */
function lineColumns(lines: readonly PgLine[]): { values: unknown[]; firstOfKey: Map<string, PgLine> } {
  const cols: unknown[][] = [[], [], [], [], [], [], []];
  for (const l of lines) {
    cols[0]!.push(l.n);
    cols[1]!.push(l.at);
    cols[2]!.push(l.type);
    cols[3]!.push(l.dataText);
    cols[4]!.push(l.prev);
    cols[5]!.push(l.hash);
    cols[6]!.push(l.partition);
  }
  const { columns, first } = firstKeys(lines, (l) => l.n);
  return { values: [...cols, ...columns], firstOfKey: first };
}

/** The lines whose message key an earlier, committed line already held. */
function repeatedKeys(row: { claimed: string[] }, firstOfKey: Map<string, PgLine>): PgLine[] {
  const claimed = new Set(row.claimed.map(Number));
  return [...firstOfKey.values()].filter((l) => !claimed.has(l.n));
}

export interface StoredLine {
  entry: JournalEntry;
  /** The line text rebuilt from the row (what was hashed). */
  text: string;
  /** The `hash` column as stored. */
  storedHash: string;
  /** The writer session that committed it (migration 0006); null for older rows and copies. */
  writer: string | null;
}

interface Row {
  n: string;
  /** `at` as the line has it (toISOString's form), made by the server: no Date parsed and printed again here. */
  at: string;
  type: string;
  data: string;
  prev: string;
  hash: string;
  writer: string | null;
}

/**
 * The stored `at` in the form toISOString gives it (the line's text): to_char in UTC, milliseconds
 * truncated as the Date the driver made of it truncated them. pg's timestamptz parser cost ~1.4 µs
 * a row in a replay, and the rows' Dates were garbage at once.
 */
const SCAN = `SELECT n, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, type, data::text AS data, prev, hash, writer FROM journal WHERE n > $1 ORDER BY n LIMIT $2`;

/**
 * Reads the journal in n order after line `from` (0: all of it), `pageSize`
 * rows at a time (keyset pages, so a journal of millions of rows replays in
 * bounded memory). Return false to stop.
 *
 * The next page is asked for as soon as a page arrives, before its rows are
 * applied: the server reads and sends it meanwhile (on the other core), where
 * the replay used to wait for it between pages. Still one page in hand and one
 * on its way; and the rows of a page arrive only with a turn of the event loop,
 * so the wait between pages still lets other work run (journal-tail.ts).
 *
 * Each row is checked as parseEntry checks a line of the file journal (the
 * same field checks, fieldsProblem), but only `data` is parsed: the other
 * fields are columns already, and the line's text is rebuilt around the
 * stored JSON of `data` for the hash.
 */
export async function scanJournal(
  db: Queryable,
  onLine: (line: StoredLine) => boolean | void,
  pageSize = 5_000,
  from = 0,
  /** Awaited before a page's lines are applied, when it returns a promise (a writer's tail: journal-pg.ts). */
  beforePage?: (rows: readonly { n: string; writer: string | null }[]) => Promise<void> | undefined,
): Promise<void> {
  let next: Promise<Row[]> | undefined = readPage(db, from, pageSize);
  try {
    while (next) {
      const rows: Row[] = await next;
      next = rows.length < pageSize ? undefined : readPage(db, Number(rows.at(-1)!.n), pageSize);
      const wait = beforePage?.(rows);
      if (wait) await wait;
      for (const row of rows) {
        if (onLine(storedLine(Number(row.n), row)) === false) return;
      }
    }
  } finally {
    // Stopped or failed with a page on its way: its answer (or error) is waited for and dropped,
    // so the caller's connection is idle when this returns.
    await next?.catch(() => undefined);
  }
}

function readPage(db: Queryable, after: number, pageSize: number): Promise<Row[]> {
  const page = db.query<Row>(SCAN, [after, pageSize]).then((result) => result.rows);
  page.catch(() => undefined); // a page read ahead and then abandoned must not count as unhandled
  return page;
}

function storedLine(n: number, row: Row): StoredLine {
  const problem = fieldsProblem(n, row.at, row.type, row.prev);
  if (problem !== undefined) throw new Error(`journal row n=${n} does not form a valid line: ${problem}`);
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch (err) {
    throw new Error(`journal row n=${n} does not form a valid line: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  // The key order of a parsed line (journal-format.ts): n, at, type, data, prev.
  const entry: JournalEntry = { n, at: row.at, type: row.type, data, prev: row.prev };
  return { entry, text: formatEntryText(n, row.at, row.type, row.data, row.prev), storedHash: row.hash, writer: row.writer };
}

/** Whether a device message already has a committed line. Uses the unique key's index. */
export async function messageJournaled(db: Queryable, key: DeviceMessageKey): Promise<boolean> {
  const { rows } =
    key.ts === undefined
      ? await db.query('SELECT 1 FROM device_messages WHERE device_id = $1 AND seq = $2 AND ts IS NULL', [key.deviceId, key.seq])
      : await db.query('SELECT 1 FROM device_messages WHERE device_id = $1 AND seq = $2 AND ts = $3', [key.deviceId, key.seq, key.ts]);
  return rows.length > 0;
}
