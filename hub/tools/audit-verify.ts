/**
 * `npm run audit:verify [-- --data-dir <dir>]` — checks the hash chain of the
 * alert/audit journal in `<dataDir>/journal` (DESIGN.md §6) without modifying it.
 *
 * Exit codes: 0 intact, 1 broken (or unreadable), 2 bad arguments.
 * Output is one line, meant for operators and cron mails: no stack traces.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { verifyJournal } from '../storage/verify-journal.js';

const USAGE = 'usage: audit-verify [--data-dir <dir>]  (default: $HUB_DATA_DIR or ./data; checks <dir>/journal)';

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Output): Promise<number> {
  let dataDir: string;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    dataDir = values['data-dir'] ?? env.HUB_DATA_DIR ?? './data';
  } catch {
    io.err(USAGE);
    return 2;
  }
  if (dataDir.trim() === '') {
    io.err(USAGE);
    return 2;
  }

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
