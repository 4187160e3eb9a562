/**
 * The append side of the journal's files: one open file per UTC month, a
 * batch written durably with one write call (DESIGN.md §6), and the rotation
 * to the next month's file. Knows nothing of lines or promises; journal.ts
 * does the queueing and group commit.
 *
 * The file is opened with O_DSYNC, so the write returns only once the data
 * (and the file size) are on disk, as write + fdatasync would; PostgreSQL's
 * WAL does the same (wal_sync_method = open_datasync). One system call
 * instead of two is one trip through libuv's thread pool instead of two, and
 * each trip ends only when the event loop next polls: under load a trip is
 * one event-loop turn, so an alarm's PUBACK waited two turns for its batch
 * (docs/PERFORMANCE.md, issue 14 third pass).
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { DurableAppend } from './durable-append.js';
import { fsyncDir } from './journal-files.js';
import { fileNameForMonth } from './journal-format.js';

const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_DSYNC } = constants;
/** A new month's file: created, and refused if it exists (EEXIST: open the existing one instead). */
export const CREATE_FLAGS = O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_DSYNC;
/** The existing file of the month. */
export const APPEND_FLAGS = O_WRONLY | O_APPEND | O_DSYNC;

/** Opens a journal file for durable appends; `flags` is CREATE_FLAGS or APPEND_FLAGS (both with O_DSYNC). */
export type OpenJournalFile = (path: string, flags: number) => Promise<FileHandle>;

export const defaultOpenJournalFile: OpenJournalFile = (path, flags) =>
  // 0600: the journal names residents and their conditions (DESIGN.md §11).
  open(path, flags, 0o600);

interface MonthFile {
  month: string;
  handle: FileHandle;
  /** Size after the last synced write: where a failed write is cut back to. */
  size: number;
}

export class MonthlyFileWriter {
  private file: MonthFile | undefined;

  /** `append`: the worker thread that writes, so the loop learns at once a batch is durable; without it, the thread pool writes. */
  constructor(
    private readonly dir: string,
    private readonly openFile: OpenJournalFile,
    private readonly append?: DurableAppend,
  ) {}

  pathFor(month: string): string {
    return join(this.dir, fileNameForMonth(month));
  }

  /** Appends `buf` to the file of `month`; resolves only once it is on disk (O_DSYNC: no separate fdatasync). */
  async write(month: string, buf: Buffer): Promise<void> {
    const file = await this.fileFor(month);
    if (this.append) {
      await this.append.write(file.handle.fd, buf);
      file.size += buf.length;
      return;
    }
    // One write call; the loop only matters if the kernel accepts part of it.
    for (let off = 0; off < buf.length; ) {
      const { bytesWritten } = await file.handle.write(buf, off, buf.length - off);
      if (bytesWritten <= 0) throw new Error('write accepted 0 bytes');
      off += bytesWritten;
    }
    file.size += buf.length;
  }

  /**
   * Best effort after a failed write: cut off what may have reached the file,
   * so a line whose promise was rejected does not reappear on replay. If this
   * fails too, replay still treats a partial line at the end as a torn tail.
   */
  async rollback(): Promise<void> {
    if (this.file) await this.file.handle.truncate(this.file.size).catch(() => {});
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.handle.close();
  }

  private async fileFor(month: string): Promise<MonthFile> {
    if (this.file?.month === month) return this.file;
    await this.close(); // the previous month's lines were made durable by their own write

    const path = this.pathFor(month);
    let handle: FileHandle;
    let created = true;
    try {
      handle = await this.openFile(path, CREATE_FLAGS);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      created = false;
      handle = await this.openFile(path, APPEND_FLAGS);
    }
    const file: MonthFile = { month, handle, size: 0 };
    this.file = file; // before anything else can throw, so close() releases the handle
    file.size = (await handle.stat()).size;
    if (created) await fsyncDir(this.dir); // the new file's directory entry must survive a power cut
    return file;
  }
}
