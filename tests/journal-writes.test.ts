/**
 * How the alert/audit journal (hub/storage, DESIGN.md §6) writes, against real
 * files in a temp dir: O_DSYNC month files, the writer thread of
 * durable-append.ts (a stalled disk made with a real pipe), and write failures
 * made with real failing files, not mocks — tests run as root, so chmod would
 * not stop a write. Repair, verification and rotation: journal.test.ts.
 */
import { type FileHandle, open, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { constants, existsSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, verifyJournal } from '../hub/storage/journal.js';
import { DurableAppend } from '../hub/storage/durable-append.js';
import { execFileSync } from 'node:child_process';
import { dir, journal, lines, setClock, useJournalDir } from './helpers/journal-dir.js';

useJournalDir();

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
    setClock(Date.parse('2024-01-31T23:59:59.000Z'));
    const j = journal({
      onError: (e) => errors.push(e),
      // February's file is /dev/full, where every write fails with ENOSPC.
      openFile: (path, flags) => (path.endsWith('2024-02.jsonl') ? open('/dev/full', 'a') : open(path, flags)),
    });
    await j.open();
    await j.append('jan', 1).durable;
    await j.append('jan', 2).durable;
    setClock(Date.parse('2024-02-01T00:00:01.000Z'));
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
