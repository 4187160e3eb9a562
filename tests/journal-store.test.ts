/**
 * The journal port's contract (hub/storage/ports.ts JournalStore), run
 * against both adapters: the files in a temp dir and a fresh PostgreSQL
 * database per test. Durability, group commit, replay, the chain carrying on
 * after a reopen, refusals, and kill -9 losing nothing reported durable.
 * File-only behaviour (torn tails, rotation, a full disk) stays in
 * journal.test.ts; PostgreSQL-only behaviour (lost connections, the unique
 * message key, insert-only rows) in pg-journal.test.ts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, verifyJournal } from '../hub/storage/journal.js';
import { listJournalFiles } from '../hub/storage/journal-files.js';
import type { JournalEntry, JournalStore } from '../hub/storage/ports.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { scanJournal } from '../hub/storage/postgres/journal-sql.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { createPgDatabase } from './helpers/pg-database.js';
import { makeTempDir } from './helpers/temp-dir.js';

interface Fixture {
  /** A journal on this test's storage (not opened). */
  make(now: () => number): JournalStore;
  /** The stored lines' text, in order. */
  stored(): Promise<string[]>;
  verify(): Promise<{ ok: boolean; lines: number }>;
  /** Code for a child process that appends to this storage as fast as it can (see the kill -9 test). */
  childJournal: string;
  childArg: string;
  remove(): Promise<void>;
}

async function filesFixture(): Promise<Fixture> {
  const temp = await makeTempDir('journal-store-');
  const dir = join(temp.path, 'journal');
  return {
    make: (now) => new Journal({ dir, now }),
    async stored() {
      const out: string[] = [];
      for (const f of await listJournalFiles(dir)) out.push(...(await readFile(join(dir, f), 'utf8')).split('\n').slice(0, -1));
      return out;
    },
    verify: () => verifyJournal(dir),
    childJournal: `const { Journal } = await import('./hub/storage/journal.js'); const j = new Journal({ dir: process.argv[1] });`,
    childArg: dir,
    remove: temp.remove,
  };
}

async function postgresFixture(): Promise<Fixture> {
  const database = await createPgDatabase();
  const tools = new PgDatabase({ url: database.url });
  tools.acquire();
  return {
    make: (now) => new PgJournal({ db: new PgDatabase({ url: database.url }), now }),
    async stored() {
      await tools.ready();
      const out: string[] = [];
      await scanJournal(tools, ({ text }) => void out.push(text));
      return out;
    },
    async verify() {
      await tools.ready();
      return verifyPgJournal(tools);
    },
    childJournal:
      `const { PgDatabase } = await import('./hub/storage/postgres/database.js'); const { PgJournal } = await import('./hub/storage/postgres/journal-pg.js');` +
      ` const j = new PgJournal({ db: new PgDatabase({ url: process.argv[1] }) });`,
    childArg: database.url,
    async remove() {
      await tools.release();
      await database.drop();
    },
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe.each([
  ['files', filesFixture],
  ['postgres', postgresFixture],
] as const)('journal on %s', (_name, makeFixture) => {
  let fixture: Fixture;
  let opened: JournalStore[];
  let clock: number;
  const now = (): number => clock;

  beforeEach(async () => {
    fixture = await makeFixture();
    opened = [];
    clock = Date.parse('2024-01-15T10:00:00.000Z');
  });
  afterEach(async () => {
    await Promise.all(opened.map((j) => j.close()));
    await fixture.remove();
  });

  function journal(): JournalStore {
    const j = fixture.make(now);
    opened.push(j);
    return j;
  }

  it('replays identical entries in order after close and reopen, then continues n and the chain', async () => {
    const j = journal();
    expect(await j.open()).toBe(0);
    const data = [{ alert: 'a1', severity: 'critical' }, 'plain string', null, [1, 2, 3], { note: 'Zoë ✓\nline two "quoted" \u0000 \ud800', n: 1.5e300, nested: { z: 1, a: 2 } }];
    const written = data.map((d) => j.append('alert.raised', d).entry);
    await j.close();

    const j2 = journal();
    const replayed: JournalEntry[] = [];
    expect(await j2.open((e) => replayed.push(e))).toBe(5);
    expect(replayed).toEqual(written);
    expect(replayed.map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
    expect([j2.lastN, j2.durableN]).toEqual([5, 5]);

    const next = j2.append('alert.acked', { by: 'op-1' });
    await next.durable;
    const stored = await fixture.stored();
    expect(next.entry.n).toBe(6);
    expect(next.entry.prev).toBe(sha256(stored[4] ?? ''));
    expect(await fixture.verify()).toMatchObject({ ok: true, lines: 6 });
  });

  it('names its chain by line 1 (chainId): set by the writer of line 1, the same for a reader after reopen, none while empty', async () => {
    const j = journal();
    await j.open();
    expect(j.chainId).toBeUndefined();
    // Known once line 1 is durable (PostgreSQL numbers and chains it at commit).
    await j.append('audit.login', { user: 'op-7' }).durable;
    expect(j.chainId).toBeDefined();
    const named = j.chainId;
    j.append('audit.login', { user: 'op-8' });
    await j.close();
    expect(named).toBe(sha256((await fixture.stored())[0] ?? ''));

    const j2 = journal();
    await j2.open();
    expect(j2.chainId).toBe(named); // a restart or the next leader: the same stream of event ids
    await j2.append('audit.login', { user: 'op-9' }).durable;
    expect(j2.chainId).toBe(named);
  });

  it('has the line, in the fixed format, stored once durable resolves', async () => {
    const j = journal();
    await j.open();
    const { entry, durable } = j.append('audit.login', { user: 'op-7' });
    await durable;
    expect(j.durableN).toBe(1);
    // Read while the journal is still open: nothing is left to close() to write.
    const expected = `{"n":1,"at":"2024-01-15T10:00:00.000Z","type":"audit.login","data":{"user":"op-7"},"prev":"${'0'.repeat(64)}"}`;
    expect(await fixture.stored()).toEqual([expected]);
    expect(JSON.stringify(entry)).toBe(expected);
  });

  it('lets 200 concurrent appends share flushes, and resolves them all', async () => {
    const j = journal();
    await j.open();
    await j.whenDurable(); // nothing pending: resolves at once
    const results = Array.from({ length: 200 }, (_, i) => j.append('load', { i }));
    expect(j.durableN).toBe(0); // append itself never waits for the store
    await Promise.all(results.map((r) => r.durable));
    expect(j.stats.appends).toBe(200);
    expect(j.stats.flushes).toBeLessThanOrEqual(2);
    expect(j.durableN).toBe(200);
    expect(await fixture.stored()).toHaveLength(200);
  });

  it('puts lines appended during a flush into the next flush', async () => {
    const j = journal();
    await j.open();
    const first = j.append('one', 1);
    await Promise.resolve(); // the flush of `first` has started and is waiting for the store
    const rest = Array.from({ length: 50 }, (_, i) => j.append('more', i));
    await first.durable;
    expect(j.durableN).toBe(1);
    await j.whenDurable();
    expect(j.durableN).toBe(51);
    expect(j.stats.flushes).toBe(2);
    await Promise.all(rest.map((r) => r.durable));
  });

  it('flushes pending lines on close and refuses appends before open and after close', async () => {
    const j = journal();
    expect(() => j.append('early', 1)).toThrow(/before open/);
    await j.open();
    j.append('pending', 1);
    await j.close();
    expect(await fixture.stored()).toHaveLength(1);
    expect(() => j.append('late', 1)).toThrow(/after close/);
  });

  it('rejects data that JSON cannot carry without advancing the chain', async () => {
    const j = journal();
    await j.open();
    expect(() => j.append('x', undefined)).toThrow(TypeError);
    expect(() => j.append('', 1)).toThrow(TypeError);
    expect(() => j.append('x', { big: 1n })).toThrow();
    expect(j.lastN).toBe(0);
    const { entry, durable } = j.append('x', 1);
    await durable;
    expect(entry.n).toBe(1);
  });

  // A child appends as fast as it can and prints each n once `durable`
  // resolved (stdout to a pipe is synchronous on Linux, so a printed n really
  // was reported). It is killed mid-stream; whatever it reported must be there.
  it('loses nothing that was reported durable when the process is killed with SIGKILL', async () => {
    const child = `
      ${fixture.childJournal}
      await j.open();
      const data = { pad: 'x'.repeat(2000) };
      const pump = () => {
        for (let i = 0; i < 20; i++) {
          const { entry, durable } = j.append('load', data);
          durable.then(() => process.stdout.write(entry.n + '\\n'));
        }
        setImmediate(pump);
      };
      pump();
    `;
    const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, fixture.childArg], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let reported = 0;
    await new Promise<void>((resolve, reject) => {
      proc.on('error', reject);
      proc.on('close', () => resolve());
      let buffered = '';
      proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const complete = buffered.split('\n');
        buffered = complete.pop() ?? '';
        for (const n of complete) reported = Math.max(reported, Number(n));
        if (reported >= 500) proc.kill('SIGKILL');
      });
    });
    expect(proc.signalCode).toBe('SIGKILL');

    const j = journal();
    const seen: number[] = [];
    await j.open((e) => seen.push(e.n));
    expect(reported).toBeGreaterThanOrEqual(500);
    expect(j.lastN).toBeGreaterThanOrEqual(reported);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    expect(await fixture.verify()).toMatchObject({ ok: true, lines: j.lastN });
  }, 60_000);
});
