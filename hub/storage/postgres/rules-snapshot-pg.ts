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
 *
 * Per partition (issue 12 step 3, table `partition_snapshot`, migration
 * 0007): each owner saves its partitions' slices (`savePartitions`, fenced
 * by their leases' epochs) and a new owner reads the slices of what it gained
 * (`readPartitions`). The one-row snapshot above stays for a hub alone and
 * the leader holding every lease.
 */
import { PARTITION_COUNT } from '../../core/partitions.js';
import type { PartitionSnapshotFence, PipelineSnapshot, RulesSnapshotStore } from '../ports.js';
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

  async savePartitions(slices: ReadonlyMap<number, PipelineSnapshot>, fence?: PartitionSnapshotFence): Promise<{ refused: number[] }> {
    // Checked before anything is written: one bad entry saves none of the batch.
    const rows = [...slices].map(([partition, slice]) => {
      checkHomePartition(partition);
      if (typeof slice?.savedAt !== 'number' || !Number.isFinite(slice.savedAt)) throw new TypeError(`partition snapshot of partition ${partition}: savedAt must be a time in ms, not ${String(slice?.savedAt)}; nothing saved`);
      return { partition, savedAt: slice.savedAt, text: JSON.stringify(slice), epoch: fence?.epochOf(partition) };
    });
    // A partition whose lease the fence does not hold is not even sent.
    const sent = fence ? rows.filter((r) => r.epoch !== undefined) : rows;
    await this.open();
    let written = new Set<number>();
    if (sent.length > 0) {
      await this.serial(async () => {
        const { rows: saved } = await this.db.query<{ partition: number }>(SAVE_PARTITIONS, [
          sent.map((r) => r.partition),
          sent.map((r) => r.savedAt),
          sent.map((r) => r.text),
          sent.map((r) => r.epoch ?? null),
          fence?.owner ?? null,
        ]);
        written = new Set(saved.map((r) => r.partition));
      });
    }
    return { refused: rows.map((r) => r.partition).filter((p) => !written.has(p)) };
  }

  async readPartitions(partitions: Iterable<number>, now: number): Promise<Map<number, PipelineSnapshot>> {
    const wanted = [...new Set(partitions)].map(checkHomePartition);
    const slices = new Map<number, PipelineSnapshot>();
    if (wanted.length === 0) return slices;
    await this.open();
    // In call order with this store's saves: a node reads back what it saved before.
    await this.serial(async () => {
      const { rows } = await this.db.query<{ partition: number; text: string }>('SELECT partition, body::text AS text FROM partition_snapshot WHERE partition = ANY($1::int[]) ORDER BY partition', [wanted]);
      for (const row of rows) {
        const slice = usableSnapshot(row.text, now);
        if (slice) slices.set(row.partition, slice);
      }
    });
    return slices;
  }
}

/**
 * Replaces each partition's row. Fenced (an owner given): only rows whose
 * lease is still that owner's at the epoch sent and has not run out; the
 * lease rows are read FOR SHARE, so a takeover waits for this statement, and
 * once it has committed no save of the older epoch can write. Returns the
 * partitions written.
 */
const SAVE_PARTITIONS = `
INSERT INTO partition_snapshot (partition, saved_at, body, owner, epoch)
SELECT s.partition, to_timestamp(s.saved_at / 1000.0), s.body::json, $5::text, s.epoch
  FROM unnest($1::int[], $2::float8[], $3::text[], $4::bigint[]) AS s(partition, saved_at, body, epoch)
 WHERE $5::text IS NULL OR EXISTS (
   SELECT 1 FROM partition_lease l
    WHERE l.partition = s.partition AND l.owner = $5::text AND l.epoch = s.epoch AND l.expires_at > now()
      FOR SHARE)
ON CONFLICT (partition) DO UPDATE SET saved_at = EXCLUDED.saved_at, body = EXCLUDED.body, owner = EXCLUDED.owner, epoch = EXCLUDED.epoch
RETURNING partition`;

/** A home partition (0 … PARTITION_COUNT − 1), or a RangeError saying what one is. */
function checkHomePartition(partition: number): number {
  if (!Number.isInteger(partition) || partition < 0 || partition >= PARTITION_COUNT) {
    throw new RangeError(`partition snapshot: not a home partition: ${String(partition)} (an integer from 0 to ${PARTITION_COUNT - 1}); nothing saved or read`);
  }
  return partition;
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
