/**
 * The pipeline snapshot on PostgreSQL is fenced by the leader's epoch
 * (hub/storage/postgres/rules-snapshot-pg.ts): a leader that was frozen past
 * its lease, resumed before it noticed its lost lock, cannot overwrite the
 * snapshot of the leader that followed it. Real PostgreSQL, a fresh database.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../hub/core/logger.js';
import type { PipelineSnapshot } from '../hub/storage/ports.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgRulesSnapshot } from '../hub/storage/postgres/rules-snapshot-pg.js';
import { useCleanup } from './helpers/cleanup.js';
import { usePgDatabase } from './helpers/pg-database.js';

const pg = usePgDatabase();
const keep = useCleanup();

const snapshot = (savedAt: number, by: string): PipelineSnapshot =>
  ({ savedAt, states: { [`door_open_long:${by}`]: { open: true } }, wakeAts: {}, silentSec: { 'brc-1': 12 } }) as unknown as PipelineSnapshot;

describe('the pipeline snapshot, fenced by the leader epoch', () => {
  it('is saved while the epoch is the leader’s, refused (and the row kept) once another node leads', async () => {
    let epoch: number | undefined; // no epoch known: not fenced (a tool)
    const store = keep(new PgRulesSnapshot(new PgDatabase({ url: pg.url, log: silentLogger() }), () => epoch), (s) => s.close());
    const now = Date.now();
    await store.save(snapshot(now, 'unfenced')); // opens and migrates
    await pg.query('UPDATE cluster_leader SET epoch = 7');

    epoch = 7;
    await store.save(snapshot(now + 1, 'leader-7'));

    await pg.query('UPDATE cluster_leader SET epoch = 8'); // another node took over
    await expect(store.save(snapshot(now + 2, 'stale-7'))).rejects.toThrow(/epoch 7 is no longer the leader's/);
    expect(await store.take(now + 3)).toEqual(snapshot(now + 1, 'leader-7'));

    // The new leader's own saves go on.
    epoch = 8;
    await store.save(snapshot(now + 4, 'leader-8'));
    expect(await store.take(now + 5)).toEqual(snapshot(now + 4, 'leader-8'));
  });
});
