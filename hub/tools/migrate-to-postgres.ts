/**
 * `npm run migrate:to-postgres -- --from ./data [--database-url <url>]` —
 * copies a data dir — registry, journal, visits, webhooks, the delivery log and
 * a saved rules snapshot — into an empty PostgreSQL database (HUB_DATABASE_URL
 * unless --database-url is given) and checks the copy: rows per table,
 * journal rows, and the hash chain ending on the same hash
 * (hub/storage/postgres/copy-from-files.ts). Sessions are not copied (on
 * files they only ever lived in memory): users log in again after the move.
 * The data dir is left as it was, to keep or archive.
 *
 * Exit codes: 0 copied and verified, 1 refused or failed (the database is
 * left empty), 2 bad arguments. Output is one line, never the URL's password.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deviceMessageKeyOf } from '../alerts/message-key.js';
import { copyFilesToPostgres } from '../storage/postgres/copy-from-files.js';
import { PgDatabase } from '../storage/postgres/database.js';

const USAGE = 'usage: migrate:to-postgres --from <data dir> [--database-url <postgres://…>]  (default: $HUB_DATABASE_URL)';

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

function readArgs(argv: string[], env: NodeJS.ProcessEnv): { from: string; url: string } | undefined {
  try {
    const { values } = parseArgs({ args: argv, options: { from: { type: 'string' }, 'database-url': { type: 'string' } }, strict: true, allowPositionals: false });
    const url = values['database-url'] ?? env.HUB_DATABASE_URL;
    if (!values.from?.trim() || !url || !/^postgres(ql)?:\/\//.test(url)) return undefined;
    return { from: values.from, url };
  } catch {
    return undefined;
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: Output): Promise<number> {
  const args = readArgs(argv, env);
  if (!args) {
    io.err(USAGE);
    return 2;
  }
  const db = new PgDatabase({ url: args.url });
  db.acquire();
  try {
    const report = await copyFilesToPostgres(args.from, db, deviceMessageKeyOf);
    const r = report.records;
    const s = report.services;
    io.out(
      `migrated ${resolve(args.from)} into ${db.description}: ${r.homes} homes, ${r.residents} residents, ${r.devices} devices, ${r.users} users, ` +
        `journal ${report.journalLines} lines, ${s.visits} visits, ${s.hardship_periods} flag histories, ${s.webhooks} webhooks, ${s.delivery_log} delivery log lines, ` +
        `rule state ${s.rules_snapshot ? 'copied' : 'none'} (counts and hash chain verified; sessions are not copied: users log in again)`,
    );
    return 0;
  } catch (err) {
    io.err(`migrate:to-postgres: ${(err as Error).message}`);
    return 1;
  } finally {
    await db.release();
  }
}

// Run only when executed as a script, not when imported.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
