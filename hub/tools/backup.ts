/**
 * `npm run backup -- --out <dir> [--data-dir <dir>]` — a consistent copy of a
 * data dir, also while the hub is running (hub/tools/backup/data-backup.ts).
 * Exit codes: 0 done, 1 failed, 2 bad arguments. Output is one line.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backupDataDir } from './backup/data-backup.js';

const USAGE = 'usage: backup --out <new dir> [--data-dir <dir>]  (default data dir: $HUB_DATA_DIR or ./data)';

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let out: string;
  let dataDir: string;
  try {
    const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true, allowPositionals: false });
    if (!values.out) throw new Error('--out is required');
    out = values.out;
    dataDir = values['data-dir'] ?? env.HUB_DATA_DIR ?? './data';
  } catch {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const { manifest, skipped } = await backupDataDir(resolve(dataDir), resolve(out));
    process.stdout.write(
      `backup OK: ${resolve(out)} — ${manifest.files.length} files, journal ${manifest.journal.lines} lines (chain verified), ${manifest.attempts} attempt(s)${skipped.length ? `, ${skipped.length} non-data files skipped` : ''}\n`,
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
