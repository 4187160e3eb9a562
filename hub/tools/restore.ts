/**
 * `npm run restore -- --from <backup dir> [--data-dir <dir>]` — checks a
 * backup (every file's SHA-256, the journal's chain and anchor) and copies it
 * into an empty data dir. Start the hub on that dir afterwards.
 * Exit codes: 0 done, 1 failed, 2 bad arguments. Output is one line.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { restoreDataDir } from './backup/data-backup.js';

const USAGE = 'usage: restore --from <backup dir> [--data-dir <empty dir>]  (default data dir: $HUB_DATA_DIR or ./data)';

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let from: string;
  let dataDir: string;
  try {
    const { values } = parseArgs({ args: argv, options: { from: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true, allowPositionals: false });
    if (!values.from) throw new Error('--from is required');
    from = values.from;
    dataDir = values['data-dir'] ?? env.HUB_DATA_DIR ?? './data';
  } catch {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const { manifest } = await restoreDataDir(resolve(from), resolve(dataDir));
    process.stdout.write(`restore OK: ${resolve(dataDir)} — ${manifest.files.length} files, journal ${manifest.journal.lines} lines, backup of ${manifest.createdAt}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`restore FAILED: ${(err as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
