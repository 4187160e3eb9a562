/**
 * Moving a hub from files to PostgreSQL (`npm run migrate:to-postgres`): the
 * registry records, every journal line, visits, webhooks, the delivery log
 * and a saved rules snapshot (copy-service-stores.ts) of a data dir are copied
 * into an EMPTY database, then checked — the same number of records per
 * table, the same number of journal rows, the hash chain intact and ending on
 * the same hash as the files. The lines are copied verbatim (n, at, prev and hash
 * unchanged), so the chain simply continues when the hub starts on the
 * database.
 *
 * All in one transaction: a copy that fails leaves the database empty.
 * Read-only on the data dir except for what the hub itself would do at start
 * (a registry file of an older layout is upgraded, keeping a .bak); a journal
 * that does not verify is refused before anything is written.
 */
import { join } from 'node:path';
import { RegistryFiles } from '../files/registry-files.js';
import { listJournalFiles, scanLines } from '../journal-files.js';
import { hashLine, parseEntry } from '../journal-format.js';
import type { DeviceMessageKey, RegistryRecords } from '../ports.js';
import { verifyJournal } from '../verify-journal.js';
import { copyServiceStores, SERVICE_TABLES, type ServiceCounts } from './copy-service-stores.js';
import type { PgDatabase } from './database.js';
import { copyBatch, type PgLine, type Queryable } from './journal-sql.js';
import { upsertRecords } from './registry-pg.js';
import { verifyPgJournal } from './verify-journal-pg.js';

export interface CopyReport {
  records: Record<keyof RegistryRecords, number>;
  journalLines: number;
  lastHash: string | undefined;
  /** Visits, flag histories, webhooks, delivery log lines, rules snapshot (0 or 1). */
  services: ServiceCounts;
}

export class CopyError extends Error {}

const TABLES = ['homes', 'residents', 'devices', 'users'] as const;
const BATCH = 2_000;

export async function copyFilesToPostgres(dataDir: string, db: PgDatabase, messageKeyOf: (type: string, data: unknown) => DeviceMessageKey | undefined): Promise<CopyReport> {
  const journalDir = join(dataDir, 'journal');
  const checked = await verifyJournal(journalDir);
  if (!checked.ok) throw new CopyError(`the journal in ${journalDir} is broken at ${checked.file}:${checked.line} (${checked.reason}); nothing was copied — run npm run audit:verify`);
  await db.ready();
  await refuseNonEmpty(db);

  const registry = await new RegistryFiles(join(dataDir, 'registry')).load();
  const records = Object.fromEntries(TABLES.map((t) => [t, registry[t].length])) as CopyReport['records'];
  // One transaction: a copy that fails or does not check out leaves the database empty, ready for another try.
  const copied = await db.transaction(async (client) => {
    await upsertRecords(client, registry);
    const journal = await copyJournal(journalDir, client, messageKeyOf);
    const services = await copyServiceStores(dataDir, client);
    await checkCopy(client, { ...records, ...services }, journal);
    return { ...journal, services };
  }).catch((err: unknown) => {
    // A check that fails here saw files change while they were read (the hub still running on them); the copy was rolled back.
    throw err instanceof CopyError ? new CopyError(`${err.message}; nothing was written — stop the hub that uses ${dataDir} and run the copy again`) : err;
  });
  return { records, journalLines: copied.lines, lastHash: copied.lastHash, services: copied.services };
}

async function refuseNonEmpty(db: PgDatabase): Promise<void> {
  for (const table of [...TABLES, 'journal', 'sessions', ...SERVICE_TABLES]) {
    const { rows } = await db.query(`SELECT 1 FROM ${table} LIMIT 1`);
    if (rows.length > 0) throw new CopyError(`${db.description} is not empty (table ${table} has rows); copy into a new, empty database`);
  }
}

/** Streams every line, file by file, into multi-row INSERTs of up to BATCH lines. */
async function copyJournal(dir: string, db: Queryable, messageKeyOf: (type: string, data: unknown) => DeviceMessageKey | undefined): Promise<{ lines: number; lastHash: string | undefined }> {
  let lines = 0;
  let lastHash: string | undefined;
  let batch: PgLine[] = [];
  for (const file of await listJournalFiles(dir)) {
    const pending: PgLine[][] = [];
    await scanLines(join(dir, file), ({ bytes }) => {
      const text = bytes.toString('utf8');
      const parsed = parseEntry(text);
      if (!parsed.ok) throw new CopyError(`${file}: ${parsed.reason}`); // verifyJournal passed, so this is a change under our feet
      const { n, at, type, data, prev } = parsed.entry;
      lastHash = hashLine(bytes);
      batch.push({ n, at, type, dataText: text.slice(text.indexOf(',"data":') + 8, text.lastIndexOf(',"prev":')), prev, hash: lastHash, key: messageKeyOf(type, data), partition: null });
      lines += 1;
      if (batch.length >= BATCH) {
        pending.push(batch);
        batch = [];
      }
    });
    for (const rows of pending) await copyBatch(db, rows);
  }
  if (batch.length > 0) await copyBatch(db, batch);
  return { lines, lastHash };
}

async function checkCopy(db: Queryable, counts: CopyReport['records'] & ServiceCounts, copied: { lines: number; lastHash: string | undefined }): Promise<void> {
  for (const table of [...TABLES, ...SERVICE_TABLES]) {
    const { rows } = await db.query<{ c: number }>(`SELECT count(*)::int AS c FROM ${table}`);
    if (rows[0]?.c !== counts[table]) throw new CopyError(`${table}: ${rows[0]?.c} rows in the database, ${counts[table]} records in the files`);
  }
  const verified = await verifyPgJournal(db);
  if (!verified.ok) throw new CopyError(`the copied journal does not verify at row n=${verified.n}: ${verified.reason}`);
  if (verified.lines !== copied.lines) throw new CopyError(`the database has ${verified.lines} journal rows, the files ${copied.lines} lines`);
  if (copied.lastHash !== undefined) {
    const { rows } = await db.query<{ hash: string }>('SELECT hash FROM journal ORDER BY n DESC LIMIT 1');
    if (rows[0]?.hash !== copied.lastHash) throw new CopyError('the last journal row does not end on the files\' last hash');
  }
}
