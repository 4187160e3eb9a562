/**
 * Read-only check of the journal's hash chain in PostgreSQL, the database
 * side of `npm run audit:verify` (verify-journal.ts does the files). Each
 * row's line is rebuilt from its columns exactly as it was hashed (the json
 * column keeps `data` verbatim), so the chain is the very one the file
 * journal writes and a journal moved from files verifies unchanged.
 *
 * Where an edit shows up: a changed row k breaks row k+1's `prev` (and its
 * own `hash` column, unless that was rewritten too); a deleted row shows as a
 * gap in n. As with files, an edit of the newest row that also rewrites its
 * hash has no successor to contradict it.
 */
import { GENESIS_PREV, hashLine } from '../journal-format.js';
import { describeDatabaseUrl } from './database.js';
import { type Queryable, scanJournal } from './journal-sql.js';

export type PgVerifyResult =
  | { ok: true; lines: number }
  /** `n` is the first row that does not fit; `lines` counts the good rows before it. */
  | { ok: false; lines: number; n: number; reason: string };

export async function verifyPgJournal(db: Queryable): Promise<PgVerifyResult> {
  let lines = 0;
  let expectedN = 1;
  let expectedPrev = GENESIS_PREV;
  let bad: { n: number; reason: string } | undefined;
  await scanJournal(db, ({ entry, text, storedHash }) => {
    const hash = hashLine(text);
    if (entry.n !== expectedN) {
      bad = {
        n: entry.n,
        reason: entry.n > expectedN ? `n is ${entry.n}, expected ${expectedN}: ${entry.n - expectedN} row(s) missing before this one (deleted)` : `n is ${entry.n}, expected ${expectedN}`,
      };
    } else if (entry.prev !== expectedPrev) {
      bad = { n: entry.n, reason: expectedN === 1 ? 'prev is not 64 zeros although this is the first row' : `prev does not match the hash of row n=${entry.n - 1} — that row or this one was edited` };
    } else if (hash !== storedHash) {
      bad = { n: entry.n, reason: 'the hash column does not match the row — this row was edited' };
    }
    if (bad) return false;
    lines += 1;
    expectedN = entry.n + 1;
    expectedPrev = hash;
    return true;
  });
  return bad ? { ok: false, lines, ...bad } : { ok: true, lines };
}

/**
 * `npm run audit:verify` against a database: one read-only connection, no
 * migrations (verifying must not change what it verifies). A database the
 * hub never started on has no journal table: 0 rows, noted.
 */
export async function verifyPgJournalAt(url: string): Promise<PgVerifyResult & { location: string; noJournal: boolean }> {
  const { default: pg } = await import('pg');
  const location = describeDatabaseUrl(url);
  const client = new pg.Client({ connectionString: url, application_name: 'hub-audit-verify' });
  await client.connect();
  try {
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    const table = await client.query<{ t: string | null }>("SELECT to_regclass('journal') AS t");
    if (!table.rows[0]?.t) return { ok: true, lines: 0, location, noJournal: true };
    return { ...(await verifyPgJournal(client)), location, noJournal: false };
  } finally {
    await client.end();
  }
}
