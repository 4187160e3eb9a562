/**
 * `npm run audit:verify` as a user runs it: a child process, its one-line
 * output and its exit code (0 intact, 1 broken, 2 bad arguments).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from '../hub/storage/journal.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { runTool } from './helpers/run-tool.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'audit-verify-test-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) => runTool('hub/tools/audit-verify.ts', args, env);

async function seed(count: number): Promise<void> {
  const journal = new Journal({ dir: join(dataDir, 'journal'), now: () => Date.parse('2024-03-10T08:00:00Z') });
  await journal.open();
  for (let i = 0; i < count; i++) journal.append('alert.raised', { i });
  await journal.close();
}

describe('audit-verify CLI', () => {
  it('exits 0 with one summary line for an intact journal (--data-dir)', async () => {
    await seed(3);
    const r = await run(['--data-dir', dataDir]);
    expect(r).toEqual({ code: 0, stdout: 'journal OK: 3 lines in 1 files\n', stderr: '' });
  });

  it('takes the data directory from HUB_DATA_DIR', async () => {
    await seed(2);
    const r = await run([], { HUB_DATA_DIR: dataDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('journal OK: 2 lines in 1 files\n');
  });

  it('accepts a data directory without a journal yet (0 lines), noting it on stderr', async () => {
    const r = await run([`--data-dir=${join(dataDir, 'fresh')}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('journal OK: 0 lines in 0 files\n');
    expect(r.stderr).toMatch(/does not exist/);
  });

  it('exits 1 naming file:line and the reason when a line was edited', async () => {
    await seed(4);
    const file = join(dataDir, 'journal', '2024-03.jsonl');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"i":1', '"i":7'));
    const r = await run(['--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `journal BROKEN at ${file}:3: prev hash does not match line 2 — line 2 or this line was edited\n`,
    );
  });

  it('exits 1 without a stack trace when the journal cannot be read', async () => {
    await writeFile(join(dataDir, 'journal'), 'a file, not a directory');
    const r = await run(['--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^journal UNREADABLE at .*journal: ENOTDIR/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([[['--bogus']], [['--data-dir']], [['extra-positional']], [['--data-dir', '']]])(
    'exits 2 with a one-line usage for bad arguments %j',
    async (args) => {
      await mkdir(join(dataDir, 'journal'));
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^usage: audit-verify \[--data-dir <dir>\].*\n$/);
      expect(r.stderr.split('\n')).toHaveLength(2);
    },
  );
});

describe('audit-verify CLI on PostgreSQL', () => {
  const pg = usePgDatabase();

  it('checks the journal in the database named by HUB_DATABASE_URL, then finds a row edited around the trigger', async () => {
    const empty = await run([], { HUB_DATABASE_URL: pg.url });
    expect(empty).toEqual({ code: 0, stdout: `journal OK: 0 rows in PostgreSQL database ${pg.name} on 127.0.0.1:5432\n`, stderr: expect.stringMatching(/no journal table yet/) });

    const journal = new PgJournal({ db: new PgDatabase({ url: pg.url }), now: () => Date.parse('2024-03-10T08:00:00Z') });
    await journal.open();
    for (let i = 0; i < 4; i++) journal.append('alert.raised', { i });
    await journal.close();
    expect(await run(['--database-url', pg.url])).toEqual({ code: 0, stdout: `journal OK: 4 rows in PostgreSQL database ${pg.name} on 127.0.0.1:5432\n`, stderr: '' });

    await pg.query("SET session_replication_role = replica; UPDATE journal SET data = '{\"i\":7}' WHERE n = 2; SET session_replication_role = origin;");
    const broken = await run([], { HUB_DATABASE_URL: pg.url });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(`journal BROKEN at PostgreSQL database ${pg.name} on 127.0.0.1:5432, row n=2: the hash column does not match the row — this row was edited\n`);
    // --data-dir still means the files, whatever HUB_DATABASE_URL says.
    await seed(1);
    expect((await run(['--data-dir', dataDir], { HUB_DATABASE_URL: pg.url })).stdout).toBe('journal OK: 1 lines in 1 files\n');
  }, 60_000);

  it('exits 1 in one line, without the password, when the database cannot be reached', async () => {
    const r = await run(['--database-url', 'postgres://auditor:hunter2@127.0.0.1:1/hub']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^journal UNREADABLE at PostgreSQL database hub on 127\.0\.0\.1:1: .*ECONNREFUSED.*; start the database server, or correct --database-url \(or HUB_DATABASE_URL\)\n$/);
    expect(r.stderr).not.toContain('hunter2');
  });
});
