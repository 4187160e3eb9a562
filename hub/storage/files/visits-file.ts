/**
 * Visits and the special-hardship flag history on files (VisitsStore):
 * `<dataDir>/registry/visits.json`, small and human-readable, one lowdb
 * instance, written through DurableJsonFile (temp file + fsync + rename)
 * before a change returns (DESIGN.md §6).
 */
import type { Low } from 'lowdb';
import type { HardshipPeriod, VisitRecord } from '../../visits/visit.js';
import type { VisitsData, VisitsStore } from '../ports.js';
import { openVersionedJson } from './durable-json-file.js';

export const VISITS_SCHEMA_VERSION = 1;

interface VisitsFileShape {
  schemaVersion: number;
  /** Visits by id. */
  items: Record<string, VisitRecord>;
  hardship: Record<string, HardshipPeriod[]>;
}

export class VisitsFile implements VisitsStore {
  private db: Low<VisitsFileShape> | undefined;

  constructor(private readonly path: string) {}

  get location(): string {
    return this.path;
  }

  async load(): Promise<VisitsData> {
    const db = await openVersionedJson<VisitsFileShape>(this.path, { schemaVersion: VISITS_SCHEMA_VERSION, items: {}, hardship: {} });
    db.data.items ??= {};
    db.data.hardship ??= {};
    this.db = db;
    return { visits: Object.values(db.data.items), hardship: { ...db.data.hardship } };
  }

  async putVisit(visit: VisitRecord): Promise<void> {
    const db = this.opened();
    db.data.items[visit.id] = visit;
    await db.write();
  }

  async putHardship(residentId: string, periods: HardshipPeriod[]): Promise<void> {
    const db = this.opened();
    db.data.hardship[residentId] = periods;
    await db.write();
  }

  async close(): Promise<void> {
    // Every write completed before it returned; nothing to release.
  }

  private opened(): Low<VisitsFileShape> {
    if (!this.db) throw new Error('visits file: write before load()');
    return this.db;
  }
}
