/**
 * The alert/audit journal (hub/storage, DESIGN.md §6) against real files in a
 * temp dir: durability, group commit, replay, torn-tail repair, corruption,
 * rotation, verification and write failures (made with real failing files,
 * not mocks — tests run as root, so chmod would not stop a write). What every
 * journal adapter must do (durability, group commit, replay, kill -9) is in
 * journal-store.test.ts, run against files and PostgreSQL alike.
 */
import { createHash } from 'node:crypto';
import { appendFile, type FileHandle, mkdtemp, open, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { constants, existsSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal, type JournalEntry, type JournalOptions, verifyJournal } from '../hub/storage/journal.js';
import { DurableAppend } from '../hub/storage/durable-append.js';
import { execFileSync } from 'node:child_process';

let dir: string;
let journals: Journal[];
let clock: number;
const now = (): number => clock;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'journal-test-')), 'journal');
  journals = [];
  clock = Date.parse('2024-01-15T10:00:00.000Z');
});

afterEach(async () => {
  await Promise.all(journals.map((j) => j.close()));
  await rm(join(dir, '..'), { recursive: true, force: true });
});

function journal(options: Partial<JournalOptions> = {}): Journal {
  const j = new Journal({ dir, now, ...options });
  journals.push(j);
  return j;
}

async function lines(file: string): Promise<string[]> {
  const text = await readFile(join(dir, file), 'utf8');
  return text.split('\n').slice(0, -1);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Writes `count` entries with data {i} through a journal and closes it. */
async function seed(count: number): Promise<JournalEntry[]> {
  const j = journal();
  await j.open();
  const entries = Array.from({ length: count }, (_, i) => j.append('test.event', { i }).entry);
  await j.close();
  return entries;
}

async function editLine(file: string, lineNo: number, edit: (line: string) => string | undefined): Promise<void> {
  const all = await lines(file);
  const edited = edit(all[lineNo - 1] ?? '');
  if (edited === undefined) all.splice(lineNo - 1, 1);
  else all[lineNo - 1] = edited;
  await writeFile(join(dir, file), `${all.join('\n')}\n`);
}

describe('open: torn tail and corruption', () => {
  it('truncates a partial last line, chains the next append to the last good line, and verify passes', async () => {
    await seed(3);
    const before = await readFile(join(dir, '2024-01.jsonl'));
    const torn = '{"n":4,"at":"2024-01-15T10:0';
    await appendFile(join(dir, '2024-01.jsonl'), torn);
    const warnings: string[] = [];
    const j = journal({ onWarning: (m) => warnings.push(m) });
    expect(await j.open()).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`torn tail of ${torn.length} bytes .*2024-01\\.jsonl starting at line 4`));
    expect(await readFile(join(dir, '2024-01.jsonl'))).toEqual(before);
    // The cut bytes are kept for inspection, outside the chain.
    const saved = (await readdir(dir)).filter((n) => n.startsWith('2024-01.jsonl.torn-'));
    expect(saved).toHaveLength(1);
    expect(await readFile(join(dir, saved[0] ?? ''), 'utf8')).toBe(torn);

    const next = j.append('after.repair', {});
    await next.durable;
    expect(next.entry.n).toBe(4);
    expect(next.entry.prev).toBe(sha256((await lines('2024-01.jsonl'))[2] ?? ''));
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 1, lines: 4 });
  });

  it('also treats unparsable complete lines and NUL padding at the very end as a torn tail', async () => {
    await seed(2);
    await appendFile(join(dir, '2024-01.jsonl'), 'garbage\n\0\0\0\0');
    const j = journal();
    expect(await j.open()).toBe(2);
    expect(await lines('2024-01.jsonl')).toHaveLength(2);
    await j.append('x', 1).durable;
    await j.close();
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 1, lines: 3 });
    // A second crash at the same clock reading keeps both saved tails.
    await appendFile(join(dir, '2024-01.jsonl'), '{"n":4');
    expect(await journal().open()).toBe(3);
    const saved = (await readdir(dir)).filter((n) => n.includes('.torn-')).sort();
    expect(saved).toEqual(['2024-01.jsonl.torn-1705312800000', '2024-01.jsonl.torn-1705312800000-1']);
  });

  it('does not truncate a bad line of the newest file when valid lines follow it', async () => {
    await seed(3);
    await editLine('2024-01.jsonl', 2, () => 'garbage');
    const size = (await stat(join(dir, '2024-01.jsonl'))).size;
    await expect(journal().open()).rejects.toThrow(/2024-01\.jsonl:2: not valid JSON .*valid lines follow it/);
    expect((await stat(join(dir, '2024-01.jsonl'))).size).toBe(size);
  });

  it('replays a broken chain but warns about it', async () => {
    await seed(4);
    await editLine('2024-01.jsonl', 2, () => undefined);
    const warnings: string[] = [];
    const j = journal({ onWarning: (m) => warnings.push(m) });
    expect(await j.open()).toBe(3);
    expect(warnings).toEqual([expect.stringMatching(/chain broken at .*2024-01\.jsonl:2 \(n=3, expected 2\)/)]);
    expect(j.append('x', 1).entry.n).toBe(5);
  });

  it('throws naming file:line on a corrupt middle line and leaves the file untouched', async () => {
    await seed(3);
    await editLine('2024-01.jsonl', 2, () => '{not json');
    const size = (await stat(join(dir, '2024-01.jsonl'))).size;
    await expect(journal().open()).rejects.toThrow(/2024-01\.jsonl:2: not valid JSON/);
    expect((await stat(join(dir, '2024-01.jsonl'))).size).toBe(size);
  });

  it('throws on a partial line at the end of a file that is not the newest', async () => {
    await seed(2);
    await appendFile(join(dir, '2024-01.jsonl'), '{"n":3');
    // A newer file exists, so January's partial line cannot be a torn write.
    await writeFile(join(dir, '2024-02.jsonl'), '');
    await expect(journal().open()).rejects.toThrow(/2024-01\.jsonl:3: incomplete line/);
  });
});

describe('verifyJournal', () => {
  it('is ok with 0 lines for a missing or empty directory', async () => {
    expect(await verifyJournal(join(dir, 'nope'))).toEqual({ ok: true, files: 0, lines: 0 });
  });

  // A line's prev covers the line before it: editing line 3's data leaves line
  // 3 self-consistent, and it is line 4 whose prev no longer matches.
  it('reports an edited data value at the NEXT line, naming the edited one', async () => {
    await seed(5);
    await editLine('2024-01.jsonl', 3, (l) => l.replace('"i":2', '"i":9'));
    const result = await verifyJournal(dir);
    expect(result).toMatchObject({ ok: false, file: '2024-01.jsonl', line: 4, lines: 3 });
    expect(result.ok || result.reason).toBe('prev hash does not match line 3 — line 3 or this line was edited');
  });

  it('reports an edited n at the edited line itself', async () => {
    await seed(5);
    await editLine('2024-01.jsonl', 3, (l) => l.replace('"n":3', '"n":7'));
    expect(await verifyJournal(dir)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/^n is 7, expected 3/) });
  });

  it('reports a deleted line at the line that took its place', async () => {
    await seed(5);
    await editLine('2024-01.jsonl', 3, () => undefined);
    expect(await verifyJournal(dir)).toMatchObject({
      ok: false,
      line: 3,
      reason: expect.stringMatching(/^n is 4, expected 3: 1 line missing/),
    });
  });

  it('cannot see an edit of the newest line: nothing after it holds its hash (documented limit)', async () => {
    await seed(3);
    await editLine('2024-01.jsonl', 3, (l) => l.replace('"i":2', '"i":9'));
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 1, lines: 3 });
  });

  it('reports a torn tail as broken without repairing it', async () => {
    await seed(2);
    await appendFile(join(dir, '2024-01.jsonl'), '{"n":3');
    expect(await verifyJournal(dir)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/incomplete last line/) });
    expect(await lines('2024-01.jsonl')).toHaveLength(2);
  });
});

describe('monthly rotation', () => {
  it('starts a new file when the UTC month changes and keeps one chain across files', async () => {
    clock = Date.parse('2024-01-31T23:59:59.000Z');
    const j = journal();
    await j.open();
    j.append('jan', 1);
    j.append('jan', 2);
    await j.whenDurable();
    j.append('jan', 3);
    clock = Date.parse('2024-02-01T00:00:00.500Z'); // same tick: the batch is split at the month boundary
    j.append('feb', 4);
    await j.whenDurable();
    j.append('feb', 5);
    await j.close();

    expect((await readdir(dir)).sort()).toEqual(['2024-01.jsonl', '2024-02.jsonl']);
    const jan = await lines('2024-01.jsonl');
    const feb = await lines('2024-02.jsonl');
    expect(jan).toHaveLength(3);
    expect(feb).toHaveLength(2);
    expect((JSON.parse(feb[0] ?? '') as JournalEntry).prev).toBe(sha256(jan[2] ?? ''));
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 2, lines: 5 });

    // Reopen; a clock stepped back into January must not write into the older file.
    clock = Date.parse('2024-01-20T00:00:00.000Z');
    const j2 = journal();
    const replayed: number[] = [];
    expect(await j2.open((e) => replayed.push(e.n))).toBe(5);
    expect(replayed).toEqual([1, 2, 3, 4, 5]);
    await j2.append('late', 6).durable;
    expect(await lines('2024-02.jsonl')).toHaveLength(3);
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 2, lines: 6 });

    // An edit of January's last line is caught by February's first line.
    await j2.close();
    await editLine('2024-01.jsonl', 3, (l) => l.replace('"data":3', '"data":33'));
    expect(await verifyJournal(dir)).toMatchObject({
      ok: false,
      file: '2024-02.jsonl',
      line: 1,
      reason: 'prev hash does not match line 3 of 2024-01.jsonl — line 3 of 2024-01.jsonl or this line was edited',
    });
  });
});

describe('durable writes', () => {
  /** The kernel's open flags of this process's descriptor for `file` (/proc/self/fdinfo), or undefined. */
  async function openFlags(file: string): Promise<number | undefined> {
    for (const fd of await readdir('/proc/self/fd')) {
      const target = await readlink(join('/proc/self/fd', fd)).catch(() => '');
      if (target !== file) continue;
      const info = await readFile(join('/proc/self/fdinfo', fd), 'utf8');
      return parseInt(/^flags:\s+([0-7]+)/m.exec(info)![1]!, 8);
    }
    return undefined;
  }

  // One write that is durable when it returns (O_DSYNC) instead of a write and an fdatasync: one
  // trip through the thread pool per batch, i.e. one event-loop turn less before an alarm's PUBACK.
  it.skipIf(process.platform !== 'linux')('keeps the month file open with O_DSYNC, newly created or reopened', async () => {
    const j = journal();
    await j.open();
    await j.append('test.event', { i: 1 }).durable;
    const file = join(dir, '2024-01.jsonl');
    const created = await openFlags(file);
    expect(created).toBeDefined();
    expect(created! & constants.O_DSYNC).toBe(constants.O_DSYNC);
    expect(created! & constants.O_APPEND).toBe(constants.O_APPEND);
    await j.close();
    expect(await openFlags(file)).toBeUndefined();

    const again = journal();
    await again.open();
    await again.append('test.event', { i: 2 }).durable;
    expect((await openFlags(file))! & constants.O_DSYNC).toBe(constants.O_DSYNC);
    expect(await lines('2024-01.jsonl')).toHaveLength(2);
  });
});

describe('the writer thread (durable-append.ts)', () => {
  const appends: DurableAppend[] = [];
  afterEach(async () => {
    await Promise.all(appends.splice(0).map((a) => a.close()));
  });
  const writerThread = (waitMs: number) => {
    const append = new DurableAppend(waitMs);
    appends.push(append);
    return append;
  };
  /** Whether `p` settles before the event loop polls again (a setImmediate runs after the poll). */
  const settlesThisTurn = async (p: Promise<unknown>) => {
    let settled = false;
    void p.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setImmediate(r));
    return settled;
  };

  it('finishes a write before the event loop polls again while the disk answers within the wait', async () => {
    const file = join(dir, '..', 'dsync.log');
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_DSYNC, 0o600);
    try {
      const append = writerThread(10_000); // a generous wait: the disk's speed is not under test
      await append.write(handle.fd, Buffer.from('warm-up\n')); // the first write also starts the thread
      const write = append.write(handle.fd, Buffer.from('line\n'));
      expect(await settlesThisTurn(write)).toBe(true);
      expect(await readFile(file, 'utf8')).toBe('warm-up\nline\n');
    } finally {
      await handle.close();
    }
  });

  /**
   * A pipe nobody reads yet stands in for a stalled disk: a write larger than its buffer (64 KiB)
   * blocks until the test reads. `reader` does not block (O_NONBLOCK).
   */
  async function withStalledPipe(test: (reader: FileHandle, writer: FileHandle) => Promise<void>): Promise<void> {
    const fifo = join(dir, '..', 'stalled.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = await open(fifo, constants.O_WRONLY);
    try {
      await test(reader, writer);
    } finally {
      await writer.close();
      await reader.close();
    }
  }

  it.skipIf(process.platform !== 'linux')('stops waiting after its bound when the write blocks, and finishes when the write does', () =>
    withStalledPipe(async (reader, writer) => {
      const append = writerThread(20);
      const bytes = Buffer.alloc(1024 * 1024, 0x61);
      const write = append.write(writer.fd, bytes);
      expect(await settlesThisTurn(write)).toBe(false); // the loop went on after 20 ms
      let read = 0;
      const chunk = Buffer.alloc(64 * 1024);
      const drained = (async () => {
        while (read < bytes.length) {
          const { bytesRead } = await reader.read(chunk, 0, chunk.length).catch(() => ({ bytesRead: 0 }));
          read += bytesRead;
          if (bytesRead === 0) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await write;
      await drained;
      expect(read).toBe(bytes.length);
    }));

  it.skipIf(process.platform !== 'linux')('completes a write that finished after the wait at the next poll, before the event loop hears of it', () =>
    withStalledPipe(async (reader, writer) => {
      const append = writerThread(10);
      const bytes = Buffer.alloc(1024 * 1024, 0x62);
      let settled = false;
      void append.write(writer.fd, bytes).then(() => (settled = true));
      // Without yielding to the event loop (so the worker's message cannot be handled): drain the
      // pipe, then poll until the writer thread has flagged the write done.
      const chunk = Buffer.alloc(64 * 1024);
      const deadline = performance.now() + 10_000;
      for (let read = 0; read < bytes.length && performance.now() < deadline; ) {
        try {
          read += readSync(reader.fd, chunk, 0, chunk.length, null);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        }
      }
      while (!settled && performance.now() < deadline) {
        append.poll();
        await Promise.resolve();
      }
      expect(settled).toBe(true);
    }));

  it.skipIf(!existsSync('/dev/full'))('rejects with the error of the write (ENOSPC)', async () => {
    const full = await open('/dev/full', 'w');
    try {
      await expect(writerThread(1_000).write(full.fd, Buffer.from('x\n'))).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      await full.close();
    }
  });
});

describe('write failures', () => {
  it('rejects durable, turns unhealthy and stays so when the directory is replaced by a file', async () => {
    const errors: Error[] = [];
    const j = journal({ onError: (e) => errors.push(e) });
    await j.open();
    // Real failure: the next open(<dir>/2024-01.jsonl) meets a regular file as parent → ENOTDIR.
    await rm(dir, { recursive: true });
    await writeFile(dir, 'not a directory');

    const first = j.append('alarm', { id: 1 });
    j.append('alarm', { id: 2 }); // same batch, nobody awaits it: must not be an unhandled rejection
    await expect(first.durable).rejects.toThrow(/journal write failed at .*2024-01\.jsonl \(ENOTDIR\).*n=1\.\.2 are NOT durable/);
    expect(j.healthy).toBe(false);
    expect(j.lastError).toMatch(/ENOTDIR/);
    expect(j.durableN).toBe(0);

    const later = j.append('alarm', { id: 3 });
    expect(later.entry.n).toBe(3);
    await expect(later.durable).rejects.toThrow(/journal is unhealthy: line n=3 is not written/);
    await expect(j.whenDurable()).rejects.toThrow(/unhealthy/);
    expect(errors).toHaveLength(1);
    await j.close(); // resolves: the loss was already reported
  });

  it.skipIf(!existsSync('/dev/full'))('rejects with ENOSPC when the disk is full, keeping the lines already durable', async () => {
    const errors: Error[] = [];
    clock = Date.parse('2024-01-31T23:59:59.000Z');
    const j = journal({
      onError: (e) => errors.push(e),
      // February's file is /dev/full, where every write fails with ENOSPC.
      openFile: (path, flags) => (path.endsWith('2024-02.jsonl') ? open('/dev/full', 'a') : open(path, flags)),
    });
    await j.open();
    await j.append('jan', 1).durable;
    await j.append('jan', 2).durable;
    clock = Date.parse('2024-02-01T00:00:01.000Z');
    const feb = j.append('feb', 3);
    await expect(feb.durable).rejects.toThrow(/ENOSPC/);
    expect(j.healthy).toBe(false);
    expect(j.durableN).toBe(2);
    await expect(j.append('feb', 4).durable).rejects.toThrow(/unhealthy/);
    expect(errors).toHaveLength(1);
    await j.close();

    // After a restart only what was reported durable is there, and it verifies.
    const replayed: number[] = [];
    expect(await journal().open((e) => replayed.push(e.n))).toBe(2);
    expect(replayed).toEqual([1, 2]);
    expect(await verifyJournal(dir)).toEqual({ ok: true, files: 1, lines: 2 });
  });

  it('fails open with a clear message when the directory cannot be created', async () => {
    await writeFile(join(dir, '..', 'file'), 'x');
    const j = new Journal({ dir: join(dir, '..', 'file', 'journal') });
    await expect(j.open()).rejects.toThrow(/cannot create directory .*file\/journal/);
  });
});
