/**
 * A node's leases when the home partitions are spread (issue 12 step 3,
 * hub/storage/postgres/owner-leases.ts): the balancer's share, the lock's
 * home-less partition while it leads, one fence for the journal, and the
 * services told of a partition only once the journal holds the last
 * owner's lines. Real PostgreSQL, a fresh database per test.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { OwnedPartitions } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import type { JournalEntry } from '../hub/storage/journal-format.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { OwnerLeases } from '../hub/storage/postgres/owner-leases.js';
import { NODE_ALIVE_LOCK_CLASS } from '../hub/storage/postgres/node-alive-lock.js';
import { readPartitionLeases } from '../hub/storage/postgres/partition-leases.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { usePgPerTest } from './helpers/pg-per-test.js';
import { homeIn } from './helpers/pg-raw-writer.js';
import { waitFor } from './helpers/wait-for.js';

const fresh = usePgPerTest('hub_test_owner_leases');
const later = fresh.later;
const live = new Set<string>();

beforeEach(async () => {
  live.clear();
  watchedLine = undefined;
});


interface Node {
  id: string;
  leases: OwnerLeases;
  journal: PgJournal;
  owned: OwnedPartitions;
  applied: JournalEntry[];
  /** For each gain: whether the journal had applied `watched` line when the services heard of it. */
  sawAtGain: boolean[];
  led: boolean;
  stop(): Promise<void>;
}

let watchedLine: number | undefined;

async function startNode(id: string, leaseMs = 1_000): Promise<Node> {
  live.add(id);
  const db = new PgDatabase({ url: fresh.url });
  await db.ready();
  const owned = new OwnedPartitions();
  const node = { id, owned, applied: [] as JournalEntry[], sawAtGain: [] as boolean[], led: false } as Node;
  node.leases = new OwnerLeases({
    db,
    nodeId: id,
    liveNodes: () => [...live],
    leaseMs,
    identity: () => ({ nodeId: id }),
    journal: () => node.journal,
    ownership: owned,
    onLeading: () => (node.led = true),
  });
  node.journal = new PgJournal({ db: new PgDatabase({ url: fresh.url }), homeLeases: () => node.leases.held(), homeLeaseLeftMs: () => node.leases.balancer.leaseLeftMs, retryDelayMs: { min: 10, max: 100 }, closeTimeoutMs: 2_000 });
  owned.onGained(() => node.sawAtGain.push(watchedLine === undefined || node.journal.lastN >= watchedLine));
  await node.journal.open((entry) => node.applied.push(entry));
  await node.leases.start();
  let stopped = false;
  node.stop = async () => {
    if (stopped) return;
    stopped = true;
    live.delete(id);
    await node.leases.stop();
    await node.journal.close();
    await db.release();
  };
  later(node.stop);
  return node;
}

describe("a node's leases with the partitions spread", () => {
  it('a node alone leads, owns every partition, and writes lines of homes and of no home under one fence', async () => {
    const a = await startNode('node-a');
    await waitFor(() => a.owned.partitions.length === 256 && a.led, 'node-a to own every partition and lead');
    // /metrics' hub_partition_lease_seconds_left: the balancer's leases, counted until a tenth before they run out (lease 1 s).
    const left = a.journal.partitionLeaseLeftMs;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(900);
    await a.journal.append('audit', { login: 'admin' }).durable;
    await a.journal.append('audit', { home: true }, homeIn(5)).durable;
    expect(await verifyPgJournal(fresh.admin)).toEqual({ ok: true, lines: 2 });
    const rows = await readPartitionLeases(fresh.admin);
    expect(rows.every((r) => r.owner === 'node-a' && r.running)).toBe(true);
  });

  it('a second node gets half the partitions, each only after its journal holds the lines written for them before the hand-over', async () => {
    const a = await startNode('node-a');
    await waitFor(() => a.owned.partitions.length === 256 && a.led, 'node-a to own everything');
    // A line in every partition, so that whatever moves, its last line was written by A.
    const writes = Array.from({ length: 256 }, (_, p) => a.journal.append('audit', { p }, homeIn(p)).durable);
    await Promise.all(writes);
    watchedLine = a.journal.lastN;

    const b = await startNode('node-b');
    await waitFor(() => a.owned.partitions.length === 128 && b.owned.partitions.length === 128, 'a 128/128 split');
    expect(b.sawAtGain.length).toBeGreaterThan(0);
    expect(b.sawAtGain.every(Boolean)).toBe(true);
    // The lock (and -1) stays with A; B owns homes but not the home-less partition.
    expect(b.led).toBe(false);
    expect(() => b.journal.append('audit', { login: 'x' })).toThrow(/home-less partition/);
  });

  it('a home changes writer at the hand-over with nothing lost or written twice, and the moved partitions are owned by exactly one node', async () => {
    const a = await startNode('node-a');
    await waitFor(() => a.owned.partitions.length === 256, 'node-a to own everything');
    const b = await startNode('node-b');
    await waitFor(() => a.owned.partitions.length + b.owned.partitions.length === 256 && b.owned.partitions.length === 128, 'the split');
    const overlap = a.owned.partitions.filter((p) => b.owned.ownsPartition(p));
    expect(overlap).toEqual([]);
    const homeB = homeIn(b.owned.partitions[0]!);
    const homeA = homeIn(a.owned.partitions[0]!);
    await Promise.all([b.journal.append('audit', { by: 'b' }, homeB).durable, a.journal.append('audit', { by: 'a' }, homeA).durable]);
    expect(partitionOfHome(homeB)).not.toBe(partitionOfHome(homeA));

    // A stops cleanly: B takes A's partitions and the lock.
    const lines = await verifyPgJournal(fresh.admin);
    await a.stop();
    await waitFor(() => b.owned.partitions.length === 256 && b.led, 'node-b to own everything and lead', 20_000);
    await b.journal.append('audit', { by: 'b', after: 'a' }, homeA).durable;
    await b.journal.append('audit', { login: 'after a' }).durable;
    expect(await verifyPgJournal(fresh.admin)).toEqual({ ok: true, lines: (lines.ok ? lines.lines : 0) + 2 });
  });

  it("a node whose session is gone loses its partitions at once, before its leases run out; a live one's are never taken early", async () => {
    const a = await startNode('node-a', 10_000);
    const b = await startNode('node-b', 10_000);
    await waitFor(() => a.owned.partitions.length === 128 && b.owned.partitions.length === 128, 'a 128/128 split', 30_000);
    // b dies as a kill -9 leaves it: no more rounds, and PostgreSQL ends its sessions (here: its alive lock's).
    await b.leases.balancer.stop();
    const leasesEnd = await fresh.admin.query<{ until: Date }>("SELECT max(expires_at) AS until FROM partition_lease WHERE owner = 'node-b'");
    const bEpochs = await fresh.admin.query<{ partition: number; epoch: string }>("SELECT partition, epoch FROM partition_lease WHERE owner = 'node-b'");
    // Its alive lock's session ends and nothing of b reconnects it (its process is gone).
    await (b.leases as unknown as { alive: { stop(): Promise<void> } }).alive.stop();
    const aliveLocks = await fresh.admin.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = hashtext('node-b')::oid", [NODE_ALIVE_LOCK_CLASS]);
    expect(aliveLocks.rows).toEqual([]);
    live.delete('node-b');
    await waitFor(() => a.leases.balancer.held.size === 256, 'node-a to take every partition', 20_000);
    const early = await fresh.admin.query<{ early: boolean }>('SELECT now() < $1 AS early', [leasesEnd.rows[0]!.until]);
    expect(early.rows[0]!.early).toBe(true);
    // Each under a new epoch: a batch of b's old epoch is refused by the fence.
    const now = new Map((await fresh.admin.query<{ partition: number; epoch: string }>('SELECT partition, epoch FROM partition_lease WHERE partition >= 0')).rows.map((r) => [r.partition, Number(r.epoch)]));
    expect(bEpochs.rows.every((r) => now.get(r.partition)! > Number(r.epoch))).toBe(true);
  });

  it("a live node whose alive lock's session the server ends takes the lock again on a new session", async () => {
    const a = await startNode('node-a');
    await waitFor(() => a.owned.partitions.length === 256, 'node-a to own everything');
    const aliveOf = async () => (await fresh.admin.query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = hashtext('node-a')::oid AND granted", [NODE_ALIVE_LOCK_CLASS])).rows;
    const [before] = await aliveOf();
    expect(before).toBeDefined();
    await fresh.admin.query('SELECT pg_terminate_backend($1)', [before!.pid]);
    await waitFor(async () => (await aliveOf()).some((r) => r.pid !== before!.pid), 'the alive lock held again on a new session');
    expect(a.owned.partitions.length).toBe(256);
  });
});
