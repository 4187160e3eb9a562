/**
 * Visits and special-hardship flag history in `registry/visits.json`: small,
 * human-readable, one lowdb instance, one writer process, written through
 * `DurableJsonFile` (temp file + fsync + rename) before a change returns
 * (DESIGN.md §6). Kept out of hub/registry/registry.ts on purpose: visits are
 * their own concern and their own file.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { DurableJsonFile } from '../registry/json-file-adapter.js';
import type { HardshipPeriod, VisitRecord } from './visit.js';

export const VISITS_SCHEMA_VERSION = 1;

export interface VisitsFile {
  schemaVersion: number;
  /** Visits by id. */
  items: Record<string, VisitRecord>;
  /** residentId → the periods the resident was flagged special-hardship, oldest first. */
  hardship: Record<string, HardshipPeriod[]>;
}

export class VisitStore {
  private db: Low<VisitsFile> | undefined;

  constructor(private readonly path: string) {}

  async start(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const db = new Low<VisitsFile>(new DurableJsonFile<VisitsFile>(this.path), { schemaVersion: VISITS_SCHEMA_VERSION, items: {}, hardship: {} });
    await db.read();
    if (db.data.schemaVersion > VISITS_SCHEMA_VERSION) {
      throw new Error(`visits file schema version ${db.data.schemaVersion} is newer than this hub understands (${VISITS_SCHEMA_VERSION}); upgrade the hub`);
    }
    db.data.items ??= {};
    db.data.hardship ??= {};
    this.db = db;
  }

  private get data(): VisitsFile {
    if (!this.db) throw new Error('VisitStore used before start()');
    return this.db.data;
  }

  async add(visit: VisitRecord): Promise<void> {
    this.data.items[visit.id] = visit;
    await this.db!.write();
  }

  get(id: string): VisitRecord | undefined {
    return this.data.items[id];
  }

  list(): VisitRecord[] {
    return Object.values(this.data.items);
  }

  /** The recorded flag periods of a resident; undefined if the flag was never changed through the hub. */
  hardshipHistory(residentId: string): readonly HardshipPeriod[] | undefined {
    return this.data.hardship[residentId];
  }

  async setHardshipHistory(residentId: string, periods: HardshipPeriod[]): Promise<void> {
    this.data.hardship[residentId] = periods;
    await this.db!.write();
  }
}
