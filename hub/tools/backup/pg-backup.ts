/**
 * Backup of the PostgreSQL store (`npm run backup` with HUB_DATABASE_URL set):
 * PostgreSQL's own pg_dump, in its custom format (compressed, one
 * consistent snapshot even while the hub writes, restorable table by table
 * with pg_restore), then read back with `pg_restore --list` so a truncated or
 * unreadable file is caught now, not on the day it is needed.
 *
 * The password never goes on a command line (where `ps` shows it): the URL is
 * handed to pg_dump as the PG* environment variables libpq reads. Without
 * pg_dump on PATH the tool does not improvise a dump; it says exactly what to
 * run (pgDumpInstructions).
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeDatabaseUrl } from '../../storage/postgres/database.js';
import { BackupError } from './data-backup.js';

export const DUMP_FILE = 'hub.pgdump';
/** Tables a hub's dump must hold (the registry and the journal at least): a dump without them is of the wrong database. */
const EXPECTED_TABLES = ['homes', 'devices', 'users', 'journal', 'pgmigrations'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** libpq's environment for `url`: host, port, user, password, database and sslmode, so none is on the command line. */
export function libpqEnv(url: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...base, PGHOST: decodeURIComponent(u.hostname) || 'localhost', PGPORT: u.port || '5432', PGDATABASE: decodeURIComponent(u.pathname.replace(/^\//, '')) };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

/** Runs a program; `missing` when it is not on PATH (ENOENT). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run | 'missing'> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve('missing') : reject(err)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** How to check the audit chain of a dump: restore it into a new database and verify it there. */
export function chainCheckHint(file: string): string {
  return (
    `to verify the audit hash chain, restore it into a new, empty database and run audit:verify there: ` +
    `createdb hub_restore_check && pg_restore --no-owner --dbname=hub_restore_check ${file} && ` +
    `npm run audit:verify -- --database-url postgres://<user>@<host>:<port>/hub_restore_check`
  );
}

/** What to run by hand where pg_dump is missing (HUB_DATABASE_URL stays in the environment, not in shell history). */
export function pgDumpInstructions(out: string): string {
  const file = join(out, DUMP_FILE);
  return [
    'pg_dump is not on PATH; install the PostgreSQL client tools (the server\'s major version or newer) and run:',
    `  mkdir -p ${out} && pg_dump --format=custom --file=${file} "$HUB_DATABASE_URL"`,
    `  pg_restore --list ${file} > /dev/null   # the copy is complete and readable`,
    `then, ${chainCheckHint(file)}`,
  ].join('\n');
}

export interface PgBackupResult {
  file: string;
  /** Entries in the dump's table of contents (pg_restore --list). */
  entries: number;
  database: string;
}

export async function backupPostgres(url: string, out: string, base: NodeJS.ProcessEnv = process.env): Promise<PgBackupResult | 'no pg_dump'> {
  if ((await readdir(out).catch(() => [])).length > 0) throw new BackupError(`${out} exists and is not empty: choose a new --out directory`);
  const database = describeDatabaseUrl(url);
  const env = libpqEnv(url, base);
  const partial = `${out}.partial`;
  await rm(partial, { recursive: true, force: true });
  // A backup holds what the database holds: private to this user (DESIGN.md §11).
  await mkdir(partial, { recursive: true, mode: 0o700 });
  try {
    const dumped = await run('pg_dump', ['--format=custom', '--no-password', `--file=${join(partial, DUMP_FILE)}`], env);
    if (dumped === 'missing') return 'no pg_dump';
    if (dumped.code !== 0) throw new BackupError(`pg_dump of ${database} failed: ${dumped.stderr.trim() || `exit ${dumped.code}`}`);
    const listed = await run('pg_restore', ['--list', join(partial, DUMP_FILE)], env);
    if (listed === 'missing') throw new BackupError('pg_restore is not on PATH, so the dump could not be read back and was not kept: install the PostgreSQL client tools (pg_dump and pg_restore together) and run the backup again');
    if (listed.code !== 0) throw new BackupError(`pg_restore --list cannot read the dump: ${listed.stderr.trim()}`);
    const entries = listed.stdout.split('\n').filter((line) => line.trim() && !line.startsWith(';'));
    const missing = EXPECTED_TABLES.filter((t) => !entries.some((e) => e.includes(` TABLE DATA public ${t} `)));
    if (missing.length > 0) throw new BackupError(`the dump of ${database} has no data for ${missing.join(', ')}: is HUB_DATABASE_URL the hub's database?`);
    await rm(out, { recursive: true, force: true }); // empty or missing, checked above
    await mkdir(dirname(out), { recursive: true });
    await rename(partial, out);
    return { file: join(out, DUMP_FILE), entries: entries.length, database };
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}
