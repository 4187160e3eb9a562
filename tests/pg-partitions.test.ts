/**
 * Home partitions on PostgreSQL (issue 12, migration 0005, docs/CLUSTER.md
 * "Partitions"): the writer takes every partition's lease under a new epoch,
 * each line records its home's partition, and every batch is fenced in its
 * own statement by those leases and by the journal's line counter. Against
 * this machine's real server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HOMELESS_PARTITION, PARTITION_COUNT, partitionOfHome } from '../hub/core/partitions.js';
import { GENESIS_PREV } from '../hub/storage/journal-format.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal, type PgJournalOptions } from '../hub/storage/postgres/journal-pg.js';
import { readPartitionLeases } from '../hub/storage/postgres/partition-leases.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { waitFor } from './helpers/wait-for.js';

const pg = usePgDatabase();
const opened: PgJournal[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((j) => j.close()));
  await pg.resetSchema();
});

async function openJournal(nodeId: string, options: Partial<PgJournalOptions> = {}): Promise<PgJournal> {
  const db = new PgDatabase({ url: pg.url, probeEveryMs: { healthy: 200, unhealthy: 50 } });
  const j = new PgJournal({ db, identity: () => ({ nodeId }), retryDelayMs: { min: 10, max: 100 }, closeTimeoutMs: 2_000, ...options });
  opened.push(j);
  await j.open();
  return j;
}

const rows = async () => (await pg.query<{ n: string; partition: number | null; hash: string }>('SELECT n, partition, hash FROM journal ORDER BY n')).rows;
const counter = async () => (await pg.query<{ n: string; tip: string }>('SELECT n, tip FROM journal_seq')).rows.map((r) => ({ n: Number(r.n), tip: r.tip }));

describe('partition_lease and journal_seq (migration 0005)', () => {
  it('a writer takes every partition under a new epoch; the next writer takes them all again, one epoch later', async () => {
    const a = await openJournal('node-a');
    let leases = await readPartitionLeases(pg);
    expect(leases).toHaveLength(PARTITION_COUNT + 1); // and the home-less one
    expect(leases.map((l) => l.partition)).toEqual([HOMELESS_PARTITION, ...Array.from({ length: PARTITION_COUNT }, (_, i) => i)]);
    expect(new Set(leases.map((l) => `${l.owner}@${l.epoch}`))).toEqual(new Set(['node-a@1']));
    const dbNow = (await pg.query<{ now: Date }>('SELECT now()')).rows[0]!.now.getTime();
    expect(leases.every((l) => l.expiresAt!.getTime() > dbNow)).toBe(true);
    expect(a.partitionsHeld).toEqual(Array.from({ length: PARTITION_COUNT }, (_, i) => i));
    await a.close();

    const b = await openJournal('node-b');
    leases = await readPartitionLeases(pg);
    expect(new Set(leases.map((l) => `${l.owner}@${l.epoch}`))).toEqual(new Set(['node-b@2']));
    expect(b.partitionsHeld).toHaveLength(PARTITION_COUNT);
  });

  it("stores each line's partition (its home's, or -1) outside the hashed line, and moves the counter to each batch's last line", async () => {
    const j = await openJournal('node-a');
    expect(await counter()).toEqual([{ n: 0, tip: GENESIS_PREV }]);
    j.append('commissioning.tick', { homeId: 'home-17' }, 'home-17');
    await j.append('audit', { action: 'login' }).durable;
    const stored = await rows();
    expect(stored.map((r) => r.partition)).toEqual([partitionOfHome('home-17'), HOMELESS_PARTITION]);
    expect(await counter()).toEqual([{ n: 2, tip: stored[1]!.hash }]);
    // The chain is what it was: the partition is not part of the hashed line.
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 2 });
  });

  it('refuses a batch whose partition another node holds now: nothing is written, leadership is lost once, and the line names the partition and its holder', async () => {
    const lost: Error[] = [];
    const j = await openJournal('node-a', { waitForLeadership: true });
    j.onLeadershipLost((err) => lost.push(err));
    await j.append('commissioning.tick', { homeId: 'home-1' }, 'home-1').durable;
    const taken = partitionOfHome('home-1');
    await pg.query("UPDATE partition_lease SET owner = 'node-z', epoch = epoch + 1 WHERE partition = $1", [taken]);

    const refused = j.append('alert.raised', { alert: { id: 'al-1', homeId: 'home-1' } }, 'home-1').durable;
    await expect(refused).rejects.toThrow(new RegExp(`partition ${taken} is held by node-z at epoch 2 \\(this node took epoch 1\\).*nothing written`));
    expect(lost).toHaveLength(1);
    expect(lost[0]!.name).toBe('LeadershipLostError');
    expect((await rows()).map((r) => Number(r.n))).toEqual([1]);
    expect((await counter())[0]!.n).toBe(1);
    // Lines of partitions it still holds are refused too: this process writes nothing more.
    await expect(j.append('audit', { action: 'login' }).durable).rejects.toThrow();
    expect((await rows()).map((r) => Number(r.n))).toEqual([1]);
  });

  it("aligns a counter left behind (rows written or copied without it) with the journal's tail when it opens, and writes on", async () => {
    const a = await openJournal('node-a');
    a.append('audit', { action: 'one' });
    await a.append('audit', { action: 'two' }).durable;
    await a.close();
    await pg.query("UPDATE journal_seq SET n = 0, tip = repeat('0', 64)");

    const b = await openJournal('node-b');
    expect(b.lastN).toBe(2);
    const tail = (await rows())[1]!.hash;
    expect(await counter()).toEqual([{ n: 2, tip: tail }]);
    await b.append('audit', { action: 'three' }).durable;
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 3 });
  });

  it('refuses to start writing when lease rows were deleted by hand, saying how to restore them; starts once they are', async () => {
    await openJournal('node-a').then((j) => j.close());
    await pg.query('DELETE FROM partition_lease WHERE partition = 42');
    const restore = 'INSERT INTO partition_lease (partition) SELECT generate_series(-1, 255) ON CONFLICT DO NOTHING';
    await expect(openJournal('node-b')).rejects.toThrow(`partition_lease has 256 of its 257 rows (migration 0005 inserts them; the table was edited by hand): restore them with \`${restore}\``);
    expect(await rows()).toEqual([]);
    await pg.query(restore);
    const j = await openJournal('node-b');
    await j.append('commissioning.tick', { homeId: 'home-1' }, 'home-1').durable;
    expect((await readPartitionLeases(pg)).every((l) => l.owner === 'node-b')).toBe(true);
  });

  it('keeps one counter row and one lease row per partition: extra rows and out-of-range partitions are refused', async () => {
    await openJournal('node-a');
    await expect(pg.query("INSERT INTO journal_seq (singleton, n, tip) VALUES (false, 0, repeat('0', 64))")).rejects.toThrow(/check constraint/);
    await expect(pg.query('INSERT INTO partition_lease (partition) VALUES (256)')).rejects.toThrow(/check constraint/);
    await expect(pg.query('INSERT INTO partition_lease (partition) VALUES (7)')).rejects.toThrow(/duplicate key/);
  });
});

describe('the leases run out unless renewed', () => {
  it('are renewed every fifth of the lease while the writer lives', async () => {
    const j = await openJournal('node-a', { leaseMs: 1_000 });
    const expiry = async () => (await readPartitionLeases(pg))[100]!.expiresAt!.getTime();
    const first = await expiry();
    await waitFor(async () => (await expiry()) > first, 'the lease of partition 99 to be renewed');
    // What /metrics shows: never more than a lease left, and more than nothing.
    const left = j.partitionLeaseLeftMs!;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(1_000);
    // Renewed, not taken again: the epoch is the one taken at open.
    expect(new Set((await readPartitionLeases(pg)).map((l) => l.epoch))).toEqual(new Set([1]));
  });

  it('a cluster leader whose lease ran out writes nothing more: the batch is refused, naming the partition and when it ran out', async () => {
    const lost: Error[] = [];
    const j = await openJournal('node-a', { waitForLeadership: true, leaseMs: 60_000 });
    j.onLeadershipLost((err) => lost.push(err));
    const p = partitionOfHome('home-5');
    await pg.query("UPDATE partition_lease SET expires_at = now() - interval '1 second' WHERE partition = $1", [p]);
    await expect(j.append('commissioning.tick', { homeId: 'home-5' }, 'home-5').durable).rejects.toThrow(new RegExp(`the lease of partition ${p} ran out at .* without being renewed.*nothing written`));
    expect(lost).toHaveLength(1);
    expect(await rows()).toEqual([]);
  });

  it('a cluster leader whose renewal finds a lease gone loses its leadership at once, before any batch', async () => {
    const lost: Error[] = [];
    const j = await openJournal('node-a', { waitForLeadership: true, leaseMs: 1_000 });
    j.onLeadershipLost((err) => lost.push(err));
    await pg.query("UPDATE partition_lease SET expires_at = now() - interval '1 second' WHERE partition = 3");
    await waitFor(() => lost.length > 0, 'the renewal to find partition 3 expired');
    expect(lost[0]!.message).toMatch(/the lease of partition 3 ran out or moved before it was renewed/);
    expect(j.partitionLeaseLeftMs).toBeUndefined();
    expect(j.partitionsHeld).toEqual([]);
    await expect(j.append('audit', { action: 'login' }).durable).rejects.toThrow();
    expect(await rows()).toEqual([]);
  });

  it('a hub alone whose leases ran out (it holds the lock, so nobody else can write) takes them again under new epochs and writes the line', async () => {
    const j = await openJournal('node-a', { leaseMs: 60_000 });
    await pg.query("UPDATE partition_lease SET expires_at = now() - interval '1 second'");
    await j.append('commissioning.tick', { homeId: 'home-9' }, 'home-9').durable;
    expect((await rows()).map((r) => r.partition)).toEqual([partitionOfHome('home-9')]);
    const leases = await readPartitionLeases(pg);
    expect(new Set(leases.map((l) => `${l.owner}@${l.epoch}`))).toEqual(new Set(['node-a@2']));
    expect(j.healthy).toBe(true);
  });
});

describe('a hub alone that was cut off for longer than its lease', () => {
  it('takes its expired leases again when it reconnects (nobody led meanwhile), and commits the line it held', async () => {
    const j = await openJournal('node-a', { leaseMs: 60_000 });
    await j.append('audit', { action: 'before' }).durable;
    let held: Promise<void>;
    await pg.allowConnections(false);
    try {
      await pg.terminateBackends();
      await waitFor(() => !j.healthy, 'the journal to notice the lost database');
      // While it is away its leases run out (set here rather than waited for).
      await pg.query("UPDATE partition_lease SET expires_at = now() - interval '1 second'");
      held = j.append('commissioning.tick', { homeId: 'home-3' }, 'home-3').durable;
    } finally {
      await pg.allowConnections(true);
    }
    await held;
    expect((await rows()).map((r) => r.partition)).toEqual([HOMELESS_PARTITION, partitionOfHome('home-3')]);
    expect(new Set((await readPartitionLeases(pg)).map((l) => `${l.owner}@${l.epoch}`))).toEqual(new Set(['node-a@2']));
    expect(j.healthy).toBe(true);
  });
});

describe('partitionOfHome', () => {
  it('is stable (FNV-1a, mod 256) and spreads homes over every partition', () => {
    // Fixed values: a release that changed them would move every home to another owner.
    expect(partitionOfHome('')).toBe(0x811c9dc5 % 256);
    expect(partitionOfHome('a')).toBe(0xe40c292c % 256);
    expect(partitionOfHome('foobar')).toBe(0xbf9cf968 % 256);
    const counts = new Array<number>(PARTITION_COUNT).fill(0);
    for (let i = 0; i < 25_600; i++) counts[partitionOfHome(`home-${i.toString(36)}`)]! += 1;
    // 100 a partition on average; none empty, none more than twice its share.
    expect(Math.min(...counts)).toBeGreaterThan(40);
    expect(Math.max(...counts)).toBeLessThan(200);
  });
});
