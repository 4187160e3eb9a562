/**
 * The partition directory over PostgreSQL (hub/storage/postgres/partition-directory-pg.ts)
 * and the nodes' addresses (cluster-node-pg.ts, migration 0010): two real lease
 * balancers (PartitionOwner) split the home partitions; the directory answers
 * each partition's owner as the table says, and follows a node that leaves
 * within its refresh. Against this machine's PostgreSQL, a fresh database per
 * test, dropped after it.
 */
import { describe, expect, it } from 'vitest';
import { PARTITION_COUNT } from '../hub/core/partitions.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { announceNode, NodeAnnouncer, readNodeAddresses } from '../hub/storage/postgres/cluster-node-pg.js';
import { readHomePartitionLeases } from '../hub/storage/postgres/partition-balance-sql.js';
import { PgPartitionDirectory } from '../hub/storage/postgres/partition-directory-pg.js';
import { PartitionOwner } from '../hub/storage/postgres/partition-owner.js';
import { usePgPerTest } from './helpers/pg-per-test.js';
import { settle } from './helpers/settle-owners.js';
import { waitFor } from './helpers/wait-for.js';

const ALL = Array.from({ length: PARTITION_COUNT }, (_, i) => i);

const fresh = usePgPerTest('hub_test_directory');
const later = fresh.later;

async function owner(nodeId: string, live: string[]): Promise<{ owner: PartitionOwner; live: string[] }> {
  const db = new PgDatabase({ url: fresh.url, probeEveryMs: { healthy: 60_000, unhealthy: 60_000 } });
  await db.ready();
  const n = { owner: undefined as unknown as PartitionOwner, live };
  n.owner = new PartitionOwner({ db, nodeId, liveNodes: () => n.live });
  later(async () => {
    await n.owner.stop();
    await db.release();
  });
  return n;
}

function directory(refreshEveryMs: number): PgPartitionDirectory {
  const d = new PgPartitionDirectory({ db: fresh.admin, refreshEveryMs });
  later(() => d.stop());
  return d;
}

describe('the partition directory on PostgreSQL', () => {
  it("answers each partition's owner as partition_lease says, split between two balancers; nobody before a lease is taken", async () => {
    const dir = directory(60_000); // no timer read in this test: only start() and refresh()
    await dir.start();
    expect(ALL.map((p) => dir.ownerOf(p)).filter((o) => o !== undefined)).toEqual([]);

    const a = await owner('node-a', ['node-a', 'node-b']);
    const b = await owner('node-b', ['node-a', 'node-b']);
    await settle([a, b]);
    await dir.refresh();

    const table = new Map((await readHomePartitionLeases(fresh.admin)).filter((r) => r.running).map((r) => [r.partition, r.owner]));
    expect(table.size).toBe(PARTITION_COUNT);
    for (const p of ALL) expect(dir.ownerOf(p), `partition ${p}`).toBe(table.get(p));
    const byA = ALL.filter((p) => dir.ownerOf(p) === 'node-a');
    const byB = ALL.filter((p) => dir.ownerOf(p) === 'node-b');
    expect(byA.length + byB.length).toBe(PARTITION_COUNT);
    expect(byA).toEqual([...a.owner.held.homePartitions]);
    expect(byB).toEqual([...b.owner.held.homePartitions]);
    expect(Math.min(byA.length, byB.length)).toBeGreaterThan(100);
  });

  it('shows the other node as owner within its refresh after one stops with release', async () => {
    const a = await owner('node-a', ['node-a', 'node-b']);
    const b = await owner('node-b', ['node-a', 'node-b']);
    await settle([a, b]);
    const dir = directory(100);
    await dir.start();
    const aHad = ALL.filter((p) => dir.ownerOf(p) === 'node-a');
    expect(aHad.length).toBeGreaterThan(100);

    await a.owner.stop({ release: true });
    // Released: nobody owns them, by the database's clock, until b takes them; the directory's timer (not a call) shows it.
    const readsBefore = dir.reads;
    await waitFor(() => dir.reads > readsBefore + 1 && aHad.every((p) => dir.ownerOf(p) === undefined), "a's partitions shown as nobody's after its release");
    b.live = ['node-b'];
    const report = await b.owner.round();
    expect(report.gained.map((g) => g.partition)).toEqual(aHad);
    const tookAt = Date.now();
    await waitFor(() => ALL.every((p) => dir.ownerOf(p) === 'node-b'), 'every partition shown as node-b’s');
    // Within the refresh (100 ms) and a read, never a stale answer for long.
    expect(Date.now() - tookAt).toBeLessThan(1_000);
  });

  it('keeps its last answers when a read fails, and reports it', async () => {
    const a = await owner('node-a', ['node-a']);
    await settle([a]);
    const errors: Error[] = [];
    const pool = new PgDatabase({ url: fresh.url });
    await pool.ready();
    const dir = new PgPartitionDirectory({ db: pool, refreshEveryMs: 50, onError: (err) => errors.push(err) });
    later(() => dir.stop());
    await dir.start();
    expect(dir.ownerOf(7)).toBe('node-a');
    await pool.release(); // its queries now fail
    await waitFor(() => errors.length > 0, 'a failed read reported');
    expect(dir.ownerOf(7)).toBe('node-a');
  });
});

describe("the nodes' addresses (cluster_node)", () => {
  it('a node announces its URL at start, rewrites it when it restarts elsewhere, and the directory tells it by node id', async () => {
    let url = 'http://10.0.0.5:8080';
    const announcer = new NodeAnnouncer({ db: fresh.admin, nodeId: 'node-a', httpUrl: () => url, announceEveryMs: 50 });
    later(() => announcer.stop());
    await announcer.start();
    await announceNode(fresh.admin, 'node-b', 'https://node-b.example:8443');
    const dir = directory(60_000);
    await dir.start();
    expect(dir.urlOf('node-a')).toBe('http://10.0.0.5:8080');
    expect(dir.urlOf('node-b')).toBe('https://node-b.example:8443');
    expect(dir.urlOf('node-c')).toBeUndefined();

    // Refreshed by its timer: a new address (or a row deleted by hand) is written again.
    url = 'http://10.0.0.6:8080';
    await fresh.admin.query("DELETE FROM cluster_node WHERE node_id = 'node-a'");
    await waitFor(async () => (await readNodeAddresses(fresh.admin)).some((n) => n.nodeId === 'node-a' && n.httpUrl === url), 'node-a announced again at its new URL');
    await dir.refresh();
    expect(dir.urlOf('node-a')).toBe(url);
  });

  it('refuses a URL that is not http(s)', async () => {
    await expect(announceNode(fresh.admin, 'node-x', 'ftp://x')).rejects.toThrow(/check/i);
  });
});
