/**
 * lowdb adapter for one registry JSON file. lowdb's own JSONFile writes
 * atomically (temp file + rename) but never fsyncs, so a power cut right after
 * "device registered" could lose the record of a secret already shown to the
 * installer. write-file-atomic does the same temp + rename dance and fsyncs the
 * file before the rename, and queues concurrent writes to one file in order.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Adapter, Low } from 'lowdb';
import writeFileAtomic from 'write-file-atomic';
import { StartupError } from '../../core/data-dir.js';

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

/**
 * Opens one versioned JSON store file (visits.json, webhooks.json) through
 * DurableJsonFile, creating its folder private to the hub's user; `empty` is
 * the content of a file not written yet and carries the version this hub
 * writes. A file from a newer release stops the start, as a registry file does.
 */
export async function openVersionedJson<T extends { schemaVersion: number }>(path: string, empty: T): Promise<Low<T>> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Low<T>(new DurableJsonFile<T>(path), empty);
  await db.read();
  if (db.data.schemaVersion > empty.schemaVersion) {
    throw new StartupError(
      `${path} has schema version ${db.data.schemaVersion}, newer than this hub understands (${empty.schemaVersion}): run the newer hub, or restore a backup made by this version`,
    );
  }
  return db;
}
