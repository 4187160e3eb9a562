/**
 * The rules snapshot on PostgreSQL (RulesSnapshotStore): at most one row,
 * saved at a planned stop and taken — read and deleted in one statement — at
 * the next start (hub/storage/rules-snapshot.ts says why and when).
 *
 * Fenced by the leader's epoch (docs/CLUSTER.md "Leadership and fencing"): a
 * cluster leader saves every 5 s, and one that was frozen past its lease and
 * resumes could otherwise overwrite, once, the snapshot of the leader that
 * followed it, before it notices its lost lock. The save writes only while
 * `cluster_leader.epoch` is still the epoch this process writes its journal
 * under; otherwise it changes nothing and rejects.
 */
import type { PipelineSnapshot, RulesSnapshotStore } from '../ports.js';
import { usableSnapshot } from '../rules-snapshot.js';
import type { PgDatabase } from './database.js';
import type { Queryable } from './journal-sql.js';
import { PgStore } from './pg-store.js';

export class PgRulesSnapshot extends PgStore implements RulesSnapshotStore {
  constructor(
    db: PgDatabase,
    /** The epoch this process's journal writes under (PgJournal.leaderEpoch); undefined: not fenced (a tool, a journal not open). */
    private readonly epoch: () => number | undefined = () => undefined,
  ) {
    super(db);
  }

  async save(snapshot: PipelineSnapshot): Promise<void> {
    await this.open();
    const epoch = this.epoch();
    await this.serial(async () => {
      const saved = await saveSnapshotText(this.db, snapshot.savedAt, JSON.stringify(snapshot), epoch);
      if (!saved) throw new Error(`rules snapshot not saved: epoch ${epoch} is no longer the leader's (another node leads since)`);
    });
  }

  async take(now: number): Promise<PipelineSnapshot | undefined> {
    await this.open();
    // body::text: the json exactly as saved, parsed (and age-checked) the same way as the file.
    const { rows } = await this.db.query<{ text: string }>('DELETE FROM rules_snapshot RETURNING body::text AS text');
    return rows[0] ? usableSnapshot(rows[0].text, now) : undefined;
  }
}

/**
 * Replaces the one snapshot row (also used by migrate:to-postgres for a
 * stopped hub's rules-state.json); with `epoch`, only while it is still the
 * leader's. False when the fence refused it.
 */
export async function saveSnapshotText(db: Queryable, savedAt: number, text: string, epoch?: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO rules_snapshot (id, saved_at, body)
       SELECT 1, to_timestamp($1 / 1000.0), $2::json
       WHERE $3::bigint IS NULL OR (SELECT epoch FROM cluster_leader) = $3::bigint
     ON CONFLICT (id) DO UPDATE SET saved_at = EXCLUDED.saved_at, body = EXCLUDED.body`,
    [savedAt, text, epoch ?? null],
  );
  return rowCount === 1;
}
