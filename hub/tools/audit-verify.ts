/**
 * `npm run audit:verify [-- --data-dir <dir> | --database-url <url>]` — checks
 * the hash chain of the alert/audit journal (DESIGN.md §6) without modifying
 * it: in `<dataDir>/journal`, or in the PostgreSQL database the hub runs on
 * (`--database-url`, else HUB_DATABASE_URL, as the hub chooses its store).
 *
 * Exit codes: 0 intact, 1 broken (or unreadable), 2 bad arguments.
 * Output is one line, meant for operators and cron mails: no stack traces.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeDatabaseUrl } from '../storage/postgres/database.js';
import { isConnectionError } from '../storage/postgres/errors.js';
import { verifyPgJournalAt } from '../storage/postgres/verify-journal-pg.js';
import { verifyJournal } from '../storage/verify-journal.js';

const USAGE =
  'usage: audit-verify [--data-dir <dir>] [--database-url <postgres://…>]  (default: $HUB_DATABASE_URL if set, else $HUB_DATA_DIR or ./data; checks <dir>/journal)';

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Output): Promise<number> {
  let dataDir: string;
  let databaseUrl: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    dataDir = values['data-dir'] ?? env.HUB_DATA_DIR ?? './data';
    // An explicit --data-dir means the files, even where HUB_DATABASE_URL is set.
    databaseUrl = values['database-url'] ?? (values['data-dir'] === undefined ? env.HUB_DATABASE_URL || undefined : undefined);
  } catch {
    io.err(USAGE);
    return 2;
  }
  if (dataDir.trim() === '' || (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))) {
    io.err(USAGE);
    return 2;
  }
  if (databaseUrl !== undefined) return verifyDatabase(databaseUrl, io);

  const dir = join(dataDir, 'journal');
  try {
    const result = await verifyJournal(dir);
    if (result.ok) {
      if (result.files === 0 && !(await exists(dir))) io.err(`note: ${resolve(dir)} does not exist`);
      io.out(`journal OK: ${result.lines} lines in ${result.files} files`);
      return 0;
    }
    io.err(`journal BROKEN at ${join(dir, result.file)}:${result.line}: ${result.reason}`);
    return 1;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.err(`journal UNREADABLE at ${dir}: ${e.code ? `${e.code} ` : ''}${e.message}`);
    return 1;
  }
}

async function verifyDatabase(url: string, io: Output): Promise<number> {
  try {
    const result = await verifyPgJournalAt(url);
    if (result.ok) {
      if (result.noJournal) io.err(`note: ${result.location} has no journal table yet (the hub never started on it)`);
      io.out(`journal OK: ${result.lines} rows in ${result.location}`);
      return 0;
    }
    io.err(`journal BROKEN at ${result.location}, row n=${result.n}: ${result.reason}`);
    return 1;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // The message names host and port; the URL itself (it may carry a password) is never printed.
    const fix = isConnectionError(err) ? '; start the database server, or correct --database-url (or HUB_DATABASE_URL)' : '';
    io.err(`journal UNREADABLE at ${describeDatabaseUrl(url)}: ${e.message || e.code}${fix}`);
    return 1;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

// Run only when executed as a script (`tsx hub/tools/audit-verify.ts`), not when imported.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
