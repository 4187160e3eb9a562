/**
 * The pipeline snapshot per partition on PostgreSQL (issue 12 step 3; table
 * `partition_snapshot`, migration 0007; PgRulesSnapshot.savePartitions /
 * readPartitions): each owner saves its own partitions' slices, a new owner
 * reads the last slice saved for each partition it gained, and nothing for
 * one never saved; bad input is refused before anything is written; a save
 * fenced by a lease no longer held writes nothing. Real PostgreSQL, a fresh
 * database for this file, three stores on three pools (three "nodes").
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../hub/core/event-bus.js';
import type { DeviceStatusChange, HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { OwnedPartitions } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import { DeviceStateStore } from '../hub/ingest/device-state.js';
import { DevicePresence } from '../hub/ingest/presence.js';
import type { DeviceRecord } from '../hub/registry/records.js';
import { mergeSnapshotSlices, splitSnapshotByPartition } from '../hub/rules/partition-snapshot.js';
import { MAX_SNAPSHOT_AGE_MS } from '../hub/storage/rules-snapshot.js';
import type { PipelineSnapshot } from '../hub/storage/ports.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgRulesSnapshot } from '../hub/storage/postgres/rules-snapshot-pg.js';
import { useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { usePgDatabase } from './helpers/pg-database.js';

const pg = usePgDatabase();
const keep = useCleanup();

/** A node's store: its own pool on the test database. */
const node = () => keep(new PgRulesSnapshot(new PgDatabase({ url: pg.url, log: silentLogger() })), (s) => s.close());

const slice = (savedAt: number, by: string, silentSec: Record<string, number> = {}): PipelineSnapshot => ({ savedAt, states: { [`door_left_open|home-${by}`]: { by } }, wakeAts: {}, silentSec });

describe('PgRulesSnapshot per partition', () => {
  it('two owners save their own partitions; a third reads exactly the last slice of each, nothing for one never saved', async () => {
    const owner1 = node();
    const owner2 = node();
    const reader = node();
    const t = Date.now();
    expect(await owner1.savePartitions(new Map([[1, slice(t, 'o1-p1')], [2, slice(t, 'o1-p2')]]))).toEqual({ refused: [] });
    expect(await owner2.savePartitions(new Map([[200, slice(t, 'o2-p200')]]))).toEqual({ refused: [] });
    // Later saves replace earlier ones: owner1's next checkpoint of 2, then owner2 owning 1 and saving it.
    await owner1.savePartitions(new Map([[2, slice(t + 5_000, 'o1-p2-later')]]));
    await owner2.savePartitions(new Map([[1, slice(t + 6_000, 'o2-p1')]]));

    const read = await reader.readPartitions([1, 2, 200, 7, 255], t + 7_000);
    expect([...read.keys()]).toEqual([1, 2, 200]);
    expect(read.get(1)).toEqual(slice(t + 6_000, 'o2-p1'));
    expect(read.get(2)).toEqual(slice(t + 5_000, 'o1-p2-later'));
    expect(read.get(200)).toEqual(slice(t, 'o2-p200'));
    // Read, not taken: the next owner finds the same rows.
    expect((await reader.readPartitions([2], t + 8_000)).get(2)).toEqual(slice(t + 5_000, 'o1-p2-later'));
    expect((await pg.query('SELECT count(*)::int AS n FROM partition_snapshot')).rows[0]).toEqual({ n: 3 });
    // A slice too old to trust at `now` (MAX_SNAPSHOT_AGE_MS) is not handed over.
    expect([...(await reader.readPartitions([1, 2, 200], t + 5_000 + MAX_SNAPSHOT_AGE_MS + 1)).keys()]).toEqual([1]);
  });

  it('refuses a partition out of range with a clear error, and writes none of the batch', async () => {
    const store = node();
    const t = Date.now();
    await store.savePartitions(new Map([[10, slice(t, 'before')]]));
    for (const bad of [256, -1, 1.5, Number.NaN]) {
      await expect(store.savePartitions(new Map([[10, slice(t + 1, 'after')], [bad, slice(t + 1, 'bad')]]))).rejects.toThrow(
        new RangeError(`partition snapshot: not a home partition: ${bad} (an integer from 0 to 255); nothing saved or read`),
      );
    }
    await expect(store.savePartitions(new Map([[11, { savedAt: 'yesterday' } as unknown as PipelineSnapshot]]))).rejects.toThrow(/savedAt must be a time in ms/);
    await expect(store.readPartitions([10, 300], t)).rejects.toThrow(/not a home partition: 300/);
    expect((await store.readPartitions([10, 11], t + 2)).get(10)).toEqual(slice(t, 'before'));
    expect((await pg.query('SELECT partition FROM partition_snapshot WHERE partition IN (10, 11)')).rows).toEqual([{ partition: 10 }]);
    // The table itself refuses one too (a tool writing around the store).
    await expect(pg.query(`INSERT INTO partition_snapshot (partition, saved_at, body) VALUES (256, now(), '{}')`)).rejects.toThrow(/check constraint/);
  });

  it('fenced by the lease: written while the owner holds it at that epoch, refused (row kept) once another node took it', async () => {
    const store = node();
    await store.readPartitions([], 0); // nothing to read: does not even open
    await store.readPartitions([0], 0); // opens and migrates
    await pg.query(`UPDATE partition_lease SET owner = 'node-1', epoch = 4, expires_at = now() + interval '1 minute' WHERE partition IN (20, 21)`);
    const epochs = new Map([[20, 4], [21, 4]]);
    const fence = { owner: 'node-1', epochOf: (p: number) => epochs.get(p) };
    const t = Date.now();
    expect(await store.savePartitions(new Map([[20, slice(t, 'n1-20')], [21, slice(t, 'n1-21')], [22, slice(t, 'n1-22-not-held')]]), fence)).toEqual({ refused: [22] });

    await pg.query(`UPDATE partition_lease SET owner = 'node-2', epoch = 5 WHERE partition = 21`); // node-2 took 21
    expect(await store.savePartitions(new Map([[20, slice(t + 1, 'n1-20-again')], [21, slice(t + 1, 'n1-21-stale')]]), fence)).toEqual({ refused: [21] });
    await pg.query(`UPDATE partition_lease SET expires_at = now() - interval '1 second' WHERE partition = 20`); // node-1's lease of 20 ran out
    expect(await store.savePartitions(new Map([[20, slice(t + 2, 'n1-20-expired')]]), fence)).toEqual({ refused: [20] });

    const read = await store.readPartitions([20, 21, 22], t + 3);
    expect(read.get(20)).toEqual(slice(t + 1, 'n1-20-again'));
    expect(read.get(21)).toEqual(slice(t, 'n1-21'));
    expect(read.has(22)).toBe(false);
    expect((await pg.query('SELECT owner, epoch::int AS epoch FROM partition_snapshot WHERE partition = 20')).rows).toEqual([{ owner: 'node-1', epoch: 4 }]);
  });

  it('a hand-over through the table: the owner of B saves its slice, the node that gains B resumes B’s device from it', async () => {
    const homeA = 'home-a';
    let homeB = 'home-b';
    for (let i = 0; partitionOfHome(homeB) === partitionOfHome(homeA); i++) homeB = `home-b${i}`;
    const [A, B] = [partitionOfHome(homeA), partitionOfHome(homeB)];
    const devices: DeviceRecord[] = [
      { id: 'brc-a', homeId: homeA, kind: 'bracelet', serial: 'a', secretHash: 'sha256:00', createdAt: '2026-11-24T00:00:00.000Z', heartbeatSec: 10 },
      { id: 'brc-b', homeId: homeB, kind: 'bracelet', serial: 'b', secretHash: 'sha256:00', createdAt: '2026-11-24T00:00:00.000Z', heartbeatSec: 10 },
    ];
    const homeOfDevice = (id: string) => devices.find((d) => d.id === id)?.homeId;
    const clock = new ManualClock(Date.now());
    const presenceFor = (ownership: OwnedPartitions, handOver?: () => PipelineSnapshot | undefined) => {
      const bus = new EventBus<HubEvents>(silentLogger());
      const offline: string[] = [];
      bus.on('device.status', (c: DeviceStatusChange) => void (c.online ? undefined : offline.push(c.deviceId)));
      const presence = keep(new DevicePresence(new DeviceStateStore(), bus, clock, undefined, { ownership, devices: () => devices, handOver }), (p) => p.stop());
      return { presence, offline };
    };

    // Owner 1 holds B: brc-b silent 20 s of its 30 s when it saves B's slice.
    const owner1 = presenceFor(new OwnedPartitions([B]));
    owner1.presence.watchAll(devices, undefined, clock.now());
    clock.advance(20_000);
    const whole = { savedAt: clock.now(), states: {}, wakeAts: {}, ...owner1.presence.checkpoint(clock.now(), [B]) };
    await node().savePartitions(splitSnapshotByPartition(whole, homeOfDevice, [B]));

    // Owner 2 (holding A) gains B: reads B's slice first, then gains, and the listener resumes from it.
    const ownership2 = new OwnedPartitions([A]);
    let handed: PipelineSnapshot | undefined;
    const owner2 = presenceFor(ownership2, () => handed);
    owner2.presence.watchAll(devices, undefined, clock.now());
    handed = mergeSnapshotSlices((await node().readPartitions([B], clock.now())).values());
    expect(handed?.silentSec).toEqual({ 'brc-b': 20 });
    ownership2.gain([B]);
    // 10 s of brc-b's window are left, but never before the grace (10 s heartbeat + 5 s): offline 15 s after the gain, not 30 s.
    clock.advance(15_000 - 1);
    expect(owner2.offline).toEqual([]);
    clock.advance(1);
    expect(owner2.offline).toEqual(['brc-b']);
  });
});
