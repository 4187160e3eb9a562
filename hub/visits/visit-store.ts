/**
 * Visits and the special-hardship flag history, in memory for the reports
 * and persisted through a VisitsStore (hub/storage/ports.ts: visits.json, or
 * PostgreSQL) before a change returns. Memory changes only once the store has
 * the record, so nothing is served that a restart would lose. Kept out of
 * hub/registry/registry.ts on purpose: visits are their own concern.
 */
import type { VisitsStore } from '../storage/ports.js';
import type { HardshipPeriod, VisitRecord } from './visit.js';

export class VisitStore {
  private items: Map<string, VisitRecord> | undefined;
  private hardship = new Map<string, HardshipPeriod[]>();

  constructor(private readonly store: VisitsStore) {}

  async start(): Promise<void> {
    const { visits, hardship } = await this.store.load();
    this.items = new Map(visits.map((v) => [v.id, v]));
    this.hardship = new Map(Object.entries(hardship));
  }

  async stop(): Promise<void> {
    await this.store.close();
  }

  private get data(): Map<string, VisitRecord> {
    if (!this.items) throw new Error('VisitStore used before start()');
    return this.items;
  }

  async add(visit: VisitRecord): Promise<void> {
    const items = this.data;
    await this.store.putVisit(visit);
    items.set(visit.id, visit);
  }

  get(id: string): VisitRecord | undefined {
    return this.data.get(id);
  }

  list(): VisitRecord[] {
    return [...this.data.values()];
  }

  /** The recorded flag periods of a resident; undefined if the flag was never changed through the hub. */
  hardshipHistory(residentId: string): readonly HardshipPeriod[] | undefined {
    return this.hardship.get(residentId);
  }

  async setHardshipHistory(residentId: string, periods: HardshipPeriod[]): Promise<void> {
    await this.store.putHardship(residentId, periods);
    this.hardship.set(residentId, periods);
  }
}
