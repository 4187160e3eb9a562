/**
 * lowdb adapter for one registry JSON file. lowdb's own JSONFile writes
 * atomically (temp file + rename) but never fsyncs, so a power cut right after
 * "device registered" could lose the record of a secret already shown to the
 * installer. write-file-atomic does the same temp + rename dance and fsyncs the
 * file before the rename, and queues concurrent writes to one file in order.
 */
import { readFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import writeFileAtomic from 'write-file-atomic';

export class DurableJsonFile<T> implements Adapter<T> {
  constructor(
    private readonly path: string,
    /** Every registry file is private to the hub's user: password hashes, device secrets, medical notes (DESIGN.md §11). */
    private readonly mode: number = 0o600,
  ) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`registry file ${this.path} is not valid JSON (${(err as Error).message}); restore it from a backup`);
    }
  }

  async write(data: T): Promise<void> {
    // Pretty-printed: these files are meant to be human-readable (DESIGN.md §6).
    await writeFileAtomic(this.path, `${JSON.stringify(data, null, 2)}\n`, { fsync: true, mode: this.mode });
  }
}
