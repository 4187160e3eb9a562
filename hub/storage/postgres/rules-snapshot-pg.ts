/**
 * The rules snapshot on PostgreSQL (RulesSnapshotStore): at most one row,
 * saved at a planned stop and taken — read and deleted in one statement — at
 * the next start (hub/storage/rules-snapshot.ts says why and when).
 */
import type { PipelineSnapshot, RulesSnapshotStore } from '../ports.js';
import { usableSnapshot } from '../rules-snapshot.js';
import type { Queryable } from './journal-sql.js';
import { PgStore } from './pg-store.js';

export class PgRulesSnapshot extends PgStore implements RulesSnapshotStore {
  async save(snapshot: PipelineSnapshot): Promise<void> {
    await this.open();
    await this.serial(() => saveSnapshotText(this.db, snapshot.savedAt, JSON.stringify(snapshot)));
  }

  async take(now: number): Promise<PipelineSnapshot | undefined> {
    await this.open();
    // body::text: the json exactly as saved, parsed (and age-checked) the same way as the file.
    const { rows } = await this.db.query<{ text: string }>('DELETE FROM rules_snapshot RETURNING body::text AS text');
    return rows[0] ? usableSnapshot(rows[0].text, now) : undefined;
  }
}

/** Replaces the one snapshot row (also used by migrate:to-postgres for a stopped hub's rules-state.json). */
export async function saveSnapshotText(db: Queryable, savedAt: number, text: string): Promise<void> {
  await db.query(
    `INSERT INTO rules_snapshot (id, saved_at, body) VALUES (1, to_timestamp($1 / 1000.0), $2::json)
     ON CONFLICT (id) DO UPDATE SET saved_at = EXCLUDED.saved_at, body = EXCLUDED.body`,
    [savedAt, text],
  );
}
