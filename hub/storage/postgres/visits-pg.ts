/**
 * Visits and the special-hardship flag history on PostgreSQL (VisitsStore):
 * one row per visit and one per resident's list of flag periods.
 */
import type { HardshipPeriod, VisitRecord } from '../../visits/visit.js';
import type { VisitsData, VisitsStore } from '../ports.js';
import type { Queryable } from './journal-sql.js';
import { PgStore } from './pg-store.js';

export class PgVisits extends PgStore implements VisitsStore {
  async load(): Promise<VisitsData> {
    await this.open();
    const visits = await this.db.query<{ body: VisitRecord }>('SELECT body FROM visits ORDER BY id');
    const hardship = await this.db.query<{ resident_id: string; periods: HardshipPeriod[] }>('SELECT resident_id, periods FROM hardship_periods');
    return { visits: visits.rows.map((r) => r.body), hardship: Object.fromEntries(hardship.rows.map((r) => [r.resident_id, r.periods])) };
  }

  putVisit(visit: VisitRecord): Promise<void> {
    return this.serial(() => insertVisits(this.db, [visit]));
  }

  putHardship(residentId: string, periods: HardshipPeriod[]): Promise<void> {
    return this.serial(() => insertHardship(this.db, residentId, periods));
  }
}

/** Upserts visits in one statement (also used by migrate:to-postgres inside its transaction). */
export async function insertVisits(db: Queryable, visits: readonly VisitRecord[]): Promise<void> {
  if (visits.length === 0) return;
  await db.query(
    `INSERT INTO visits (id, resident_id, body) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
     ON CONFLICT (id) DO UPDATE SET resident_id = EXCLUDED.resident_id, body = EXCLUDED.body`,
    [visits.map((v) => v.id), visits.map((v) => v.residentId), visits.map((v) => JSON.stringify(v))],
  );
}

export async function insertHardship(db: Queryable, residentId: string, periods: readonly HardshipPeriod[]): Promise<void> {
  await db.query('INSERT INTO hardship_periods (resident_id, periods) VALUES ($1, $2::jsonb) ON CONFLICT (resident_id) DO UPDATE SET periods = EXCLUDED.periods', [
    residentId,
    JSON.stringify(periods),
  ]);
}
