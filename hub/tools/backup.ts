/**
 * `npm run backup -- --out <dir> [--data-dir <dir>] [--database-url <url>]`
 * — a consistent copy of the hub's store, also while the hub is running:
 * - files (default): the data dir (hub/tools/backup/data-backup.ts);
 * - PostgreSQL (HUB_DATABASE_URL or --database-url): a pg_dump custom-format
 *   file, read back with pg_restore --list (hub/tools/backup/pg-backup.ts);
 *   without pg_dump on PATH it prints exactly what to run instead.
 * Exit codes: 0 done, 1 failed (or nothing could be done), 2 bad arguments.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backupDataDir } from './backup/data-backup.js';
import { backupPostgres, chainCheckHint, pgDumpInstructions } from './backup/pg-backup.js';

const USAGE = 'usage: backup --out <new dir> [--data-dir <dir>] [--database-url <postgres://…>]  (default: $HUB_DATABASE_URL if set, else the data dir $HUB_DATA_DIR or ./data)';

interface Args {
  out: string;
  dataDir: string;
  databaseUrl: string | undefined;
}

function readArgs(argv: string[], env: NodeJS.ProcessEnv): Args | undefined {
  try {
    const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, 'data-dir': { type: 'string' }, 'database-url': { type: 'string' } }, strict: true, allowPositionals: false });
    const databaseUrl = values['database-url'] ?? (env.HUB_DATABASE_URL || undefined);
    if (!values.out || (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))) return undefined;
    return { out: values.out, dataDir: values['data-dir'] ?? env.HUB_DATA_DIR ?? './data', databaseUrl };
  } catch {
    return undefined;
  }
}

async function backupDatabase(url: string, out: string, env: NodeJS.ProcessEnv): Promise<number> {
  const result = await backupPostgres(url, out, env);
  if (result === 'no pg_dump') {
    process.stderr.write(`backup NOT DONE: ${pgDumpInstructions(out)}\n`);
    return 1;
  }
  process.stdout.write(`backup OK: ${result.file} — pg_dump custom format of ${result.database}, ${result.entries} entries read back with pg_restore --list\n`);
  process.stdout.write(`${chainCheckHint(result.file)}\n`);
  return 0;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = readArgs(argv, env);
  if (!args) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const out = resolve(args.out);
  try {
    if (args.databaseUrl) return await backupDatabase(args.databaseUrl, out, env);
    const { manifest, skipped } = await backupDataDir(resolve(args.dataDir), out);
    process.stdout.write(
      `backup OK: ${out} — ${manifest.files.length} files, journal ${manifest.journal.lines} lines (chain verified), ${manifest.attempts} attempt(s)${skipped.length ? `, ${skipped.length} non-data files skipped` : ''}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`backup FAILED: ${(err as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
