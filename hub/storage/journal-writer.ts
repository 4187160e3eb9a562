/**
 * The append side of the journal's files: one open file per UTC month, a
 * batch written with one write call and then fdatasync'd (DESIGN.md §6), and
 * the rotation to the next month's file. Knows nothing of lines or promises;
 * journal.ts does the queueing and group commit.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './journal-files.js';
import { fileNameForMonth } from './journal-format.js';

/** Opens a journal file for appending; `flags` is 'ax' (create) or 'a' (exists). */
export type OpenJournalFile = (path: string, flags: 'ax' | 'a') => Promise<FileHandle>;

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

  constructor(
    private readonly dir: string,
    private readonly openFile: OpenJournalFile,
  ) {}

  pathFor(month: string): string {
    return join(this.dir, fileNameForMonth(month));
  }

  /** Appends `buf` to the file of `month` and fdatasyncs it; resolves only once it is on disk. */
  async write(month: string, buf: Buffer): Promise<void> {
    const file = await this.fileFor(month);
    // One write call; the loop only matters if the kernel accepts part of it.
    for (let off = 0; off < buf.length; ) {
      const { bytesWritten } = await file.handle.write(buf, off, buf.length - off);
      if (bytesWritten <= 0) throw new Error('write accepted 0 bytes');
      off += bytesWritten;
    }
    // fdatasync also persists the file size, which is all the metadata an append needs.
    await file.handle.datasync();
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
    await this.close(); // the previous month's lines were fdatasync'd by their own write

    const path = this.pathFor(month);
    let handle: FileHandle;
    let created = true;
    try {
      handle = await this.openFile(path, 'ax');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      created = false;
      handle = await this.openFile(path, 'a');
    }
    const file: MonthFile = { month, handle, size: 0 };
    this.file = file; // before anything else can throw, so close() releases the handle
    file.size = (await handle.stat()).size;
    if (created) await fsyncDir(this.dir); // the new file's directory entry must survive a power cut
    return file;
  }
}
