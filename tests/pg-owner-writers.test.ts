/**
 * Owners' writers (issue 12 step 3, docs/CLUSTER.md "Owners' writers"): two
 * nodes, each with a lease balancer (PartitionOwner) and a PostgreSQL
 * journal fenced by the balancer's leases, on this machine's real server,
 * a fresh database per test. Each writes its own homes' lines, follows the
 * other's, and can write nothing for a home whose partition it does not hold.
 */
import { describe, expect, it } from 'vitest';
import { partitionOfHome } from '../hub/core/partitions.js';
import type { JournalEntry } from '../hub/storage/journal-format.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { HeldPartitions } from '../hub/storage/postgres/partition-leases.js';
import { PartitionOwner } from '../hub/storage/postgres/partition-owner.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { usePgPerTest } from './helpers/pg-per-test.js';
import { settle } from './helpers/settle-owners.js';
import { homeIn } from './helpers/pg-raw-writer.js';

const fresh = usePgPerTest('hub_test_owner_writers');
const later = fresh.later;

interface OwnerNode {
  id: string;
  owner: PartitionOwner;
  journal: PgJournal;
  applied: JournalEntry[];
  lost: Error[];
  /** Replaces the leases the journal fences with (a frozen node's stale belief). */
  believe(held: HeldPartitions | undefined): void;
}

const LEASE_MS = 1_000;

async function ownerNode(id: string, live: () => string[]): Promise<OwnerNode> {
  const ownerDb = new PgDatabase({ url: fresh.url });
  await ownerDb.ready();
  const owner = new PartitionOwner({ db: ownerDb, nodeId: id, liveNodes: live, leaseMs: LEASE_MS });
  let belief: HeldPartitions | undefined;
  const journal = new PgJournal({
    db: new PgDatabase({ url: fresh.url }),
    homeLeases: () => belief ?? owner.held,
    retryDelayMs: { min: 10, max: 100 },
    closeTimeoutMs: 2_000,
    tailPollMs: 60_000,
  });
  const node: OwnerNode = { id, owner, journal, applied: [], lost: [], believe: (held) => (belief = held) };
  journal.onLeadershipLost((err) => node.lost.push(err));
  later(async () => {
    await journal.close();
    await owner.stop();
    await ownerDb.release();
  });
  await journal.open((entry) => node.applied.push(entry));
  return node;
}


async function lineCount(): Promise<number> {
  return Number((await fresh.admin.query<{ c: string }>('SELECT count(*) AS c FROM journal')).rows[0]!.c);
}

/** A home whose partition `node` holds now. */
function homeOf(node: OwnerNode): string {
  return homeIn(node.owner.held.homePartitions[0]!);
}

describe("owners' writers", () => {
  it("each node writes its own homes' lines and applies the other's, in one gap-free chain", async () => {
    const nodes = ['node-a', 'node-b'];
    const a = await ownerNode('node-a', () => nodes);
    const b = await ownerNode('node-b', () => nodes);
    await settle([a, b]);
    expect(a.owner.held.size + b.owner.held.size).toBe(256);
    expect(Math.min(a.owner.held.size, b.owner.held.size)).toBe(128);

    const homeA = homeOf(a);
    const homeB = homeOf(b);
    const writes = [];
    for (let i = 0; i < 30; i++) {
      writes.push(a.journal.append('audit', { by: 'a', i }, homeA).durable);
      writes.push(b.journal.append('audit', { by: 'b', i }, homeB).durable);
    }
    await Promise.all(writes);

    expect(await a.journal.readUpToNow(10_000)).toBe(true);
    expect(await b.journal.readUpToNow(10_000)).toBe(true);
    // Each applied the other's 30 lines from its tail (its own at append), in n order.
    const byOther = (n: OwnerNode, other: string) => n.applied.filter((e) => (e.data as { by: string }).by === other).map((e) => (e.data as { i: number }).i);
    expect(byOther(a, 'b')).toEqual([...Array(30).keys()]);
    expect(byOther(b, 'a')).toEqual([...Array(30).keys()]);
    expect(a.applied.every((e) => (e.data as { by: string }).by === 'b')).toBe(true);
    const ns = a.applied.map((e) => e.n);
    expect(ns).toEqual([...ns].sort((x, y) => x - y));
    expect(await verifyPgJournal(fresh.admin)).toEqual({ ok: true, lines: 60 });
    // The journal's partition column says whose each line is.
    const parts = await fresh.admin.query<{ partition: number; c: string }>('SELECT partition, count(*) AS c FROM journal GROUP BY partition ORDER BY partition');
    expect(new Map(parts.rows.map((r) => [r.partition, Number(r.c)]))).toEqual(
      new Map(
        [
          [partitionOfHome(homeA), 30],
          [partitionOfHome(homeB), 30],
        ].sort((x, y) => x[0]! - y[0]!) as [number, number][],
      ),
    );
  });

  it('a line for a home it does not own is refused at append, before its caller changes anything; the journal stays healthy and nothing is written', async () => {
    const nodes = ['node-a', 'node-b'];
    const a = await ownerNode('node-a', () => nodes);
    const b = await ownerNode('node-b', () => nodes);
    await settle([a, b]);
    await a.journal.append('audit', { ok: true }, homeOf(a)).durable;
    const before = await lineCount();

    const foreign = homeOf(b);
    expect(() => a.journal.append('audit', { mine: false }, foreign)).toThrow(new RegExp(`does not hold partition ${partitionOfHome(foreign)} now`));
    expect(a.lost).toEqual([]);
    expect(a.journal.healthy).toBe(true);
    await a.journal.append('audit', { after: true }, homeOf(a)).durable;
    expect(await lineCount()).toBe(before + 1);
    // The other node writes on, unaffected.
    await b.journal.append('audit', { ok: true }, foreign).durable;
    expect(await lineCount()).toBe(before + 2);
  });

  it('a line its leases stopped covering between append and commit fails the journal for good (its memory has it applied), and nothing is written', async () => {
    const nodes = ['node-a', 'node-b'];
    const a = await ownerNode('node-a', () => nodes);
    const b = await ownerNode('node-b', () => nodes);
    await settle([a, b]);
    const home = homeOf(a);
    const before = await lineCount();
    // Appended while held; then the leases it is fenced by no longer hold the partition (a loss before the flush).
    const pending = a.journal.append('audit', { lost: 'before commit' }, home).durable;
    a.believe(new HeldPartitions('node-a', new Map()));
    await expect(pending).rejects.toThrow(new RegExp(`holds no lease of partition ${partitionOfHome(home)}`));
    expect(a.lost[0]?.message).toMatch(/refused, nothing written/);
    expect(a.journal.healthy).toBe(false);
    expect(await lineCount()).toBe(before);
  });

  it('a frozen owner that still believes in its lease is refused by the database once another node took the partition', async () => {
    const nodes = ['node-a', 'node-b'];
    const a = await ownerNode('node-a', () => nodes);
    const b = await ownerNode('node-b', () => nodes);
    await settle([a, b]);
    const home = homeOf(a);
    const p = partitionOfHome(home);
    await a.journal.append('audit', { before: 'freeze' }, home).durable;

    // A freezes (SIGSTOP in production): no more rounds, and its memory still says it holds p.
    const stale = new HeldPartitions('node-a', new Map([[p, a.owner.held.epochOf(p)!]]));
    await a.owner.stop();
    a.believe(stale);
    // B sees only itself live and takes p once the lease has run out in the database.
    nodes.splice(0, 1);
    await waitForTake(b, p);
    expect(await b.journal.readUpToNow(10_000)).toBe(true);
    expect(b.applied.map((e) => e.data)).toContainEqual({ before: 'freeze' });

    const before = await lineCount();
    await expect(a.journal.append('audit', { after: 'thaw' }, home).durable).rejects.toThrow(new RegExp(`partition ${p} is held by node-b`));
    expect(a.lost).toHaveLength(1);
    expect(await lineCount()).toBe(before);
    await b.journal.append('audit', { by: 'b' }, home).durable;
    expect(await verifyPgJournal(fresh.admin)).toEqual({ ok: true, lines: before + 1 });
  });

  it("readUpToNow waits until the node has applied every line committed before it asked", async () => {
    const nodes = ['node-a', 'node-b'];
    const a = await ownerNode('node-a', () => nodes);
    const b = await ownerNode('node-b', () => nodes);
    await settle([a, b]);
    const home = homeOf(a);
    const last = await Promise.all(Array.from({ length: 50 }, (_, i) => a.journal.append('audit', { i }, home).durable)).then(() => a.journal.lastN);
    // Asked at once after the commits: B's tail may not have read them yet, and the answer waits for it.
    expect(await b.journal.readUpToNow(10_000)).toBe(true);
    expect(b.applied.at(-1)?.n).toBe(last);
    expect(b.applied).toHaveLength(50);
  });
});

/** Rounds of `node` until it holds `partition` (the other's lease has to run out first: a lease, 1 s here). */
async function waitForTake(node: OwnerNode, partition: number): Promise<void> {
  const deadline = Date.now() + 20 * LEASE_MS;
  while (node.owner.held.epochOf(partition) === undefined) {
    if (Date.now() > deadline) throw new Error(`${node.id} did not take partition ${partition}`);
    await node.owner.round();
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 5));
  }
}
