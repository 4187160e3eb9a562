/**
 * Spreading the home partitions' leases over the live nodes (docs/CLUSTER.md
 * "Built (step 3, part): spreading the leases"): the bounded rendezvous
 * assignment, and PartitionOwner's rounds against this machine's real
 * PostgreSQL server, a fresh database per test, dropped after it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionOwner, type LossReason, type PartitionOwnerOptions } from '../hub/storage/postgres/partition-owner.js';
import { planRound } from '../hub/core/partition-plan.js';
import { assignPartitions } from '../hub/core/partition-rendezvous.js';
import { HOMELESS_PARTITION, PARTITION_COUNT } from '../hub/core/partitions.js';
import { randomUUID } from 'node:crypto';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { appendBatch, BatchFencedError, type PreparingQueryable, type UnnumberedLine } from '../hub/storage/postgres/journal-sql.js';
import { readHomePartitionLeases, releasePartitions, type TakenPartition } from '../hub/storage/postgres/partition-balance-sql.js';
import { type HeldPartitions, readPartitionLeases } from '../hub/storage/postgres/partition-leases.js';
import { usePgPerTest } from './helpers/pg-per-test.js';
import { settle } from './helpers/settle-owners.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { waitFor } from './helpers/wait-for.js';

const ALL = Array.from({ length: PARTITION_COUNT }, (_, i) => i);

const fresh = usePgPerTest('hub_test_balance');
const later = fresh.later;

interface Node {
  owner: PartitionOwner;
  live: string[];
  gained: TakenPartition[];
  lost: { partitions: readonly number[]; reason: LossReason }[];
  /** Date.now() at each onLost. */
  lostAt: number[];
  errors: Error[];
  /** held.size and leaseLeftMs when each error was told. */
  atError: { held: number; left: number | undefined }[];
  /** Stops its rounds and closes its pool (once; again after the test does nothing). */
  close(): Promise<void>;
}

/** A node with its own connection pool (to the server, or to `port` on 127.0.0.1) and recorded callbacks. */
async function node(nodeId: string, live: string[], options: Partial<PartitionOwnerOptions> = {}, port?: number): Promise<Node> {
  const url = new URL(fresh.url);
  if (port !== undefined) url.port = String(port);
  const db = new PgDatabase({ url: url.toString(), probeEveryMs: { healthy: 60_000, unhealthy: 60_000 } });
  await db.ready();
  const n = { live, gained: [], lost: [], lostAt: [], errors: [], atError: [] } as unknown as Node;
  n.owner = new PartitionOwner({
    db,
    nodeId,
    liveNodes: () => n.live,
    onGained: (gained) => n.gained.push(...gained),
    onLost: (partitions, reason) => {
      n.lost.push({ partitions, reason });
      n.lostAt.push(Date.now());
    },
    onError: (err) => {
      n.errors.push(err);
      n.atError.push({ held: n.owner.held.size, left: n.owner.leaseLeftMs });
    },
    ...options,
  });
  let closing: Promise<void> | undefined;
  n.close = () => (closing ??= (async () => {
    await n.owner.stop();
    await db.release();
  })());
  later(n.close);
  return n;
}


/** partition → owner of every running home lease, by the database. */
async function owners(): Promise<Map<number, string>> {
  return new Map((await readHomePartitionLeases(fresh.admin)).filter((r) => r.running).map((r) => [r.partition, r.owner!]));
}

/** Checks that what each node believes it holds is what the table says, at the same epochs, and that no partition has two holders. */
async function expectTableMatches(nodes: readonly Node[]): Promise<void> {
  const rows = new Map((await readHomePartitionLeases(fresh.admin)).map((r) => [r.partition, r]));
  const seen = new Set<number>();
  for (const n of nodes) {
    const held = n.owner.held;
    for (const p of held.homePartitions) {
      expect(seen.has(p), `partition ${p} held by two nodes`).toBe(false);
      seen.add(p);
      const row = rows.get(p)!;
      expect({ p, owner: row.owner, epoch: row.epoch, running: row.running }).toEqual({ p, owner: n.owner.nodeId, epoch: held.epochOf(p), running: true });
    }
  }
}

const setOf = (held: HeldPartitions) => new Set(held.homePartitions);

describe('the bounded rendezvous assignment', () => {
  it('gives every partition to exactly one node, floor or ceil of 256/N each, the same whatever the order of the nodes', () => {
    for (let n = 1; n <= 7; n++) {
      const nodes = Array.from({ length: n }, (_, i) => `node-${i}`);
      const assignment = assignPartitions(nodes);
      const all = [...assignment.values()].flat().sort((a, b) => a - b);
      expect(all).toEqual(ALL);
      const sizes = [...assignment.values()].map((ps) => ps.length);
      expect(Math.max(...sizes)).toBe(Math.ceil(PARTITION_COUNT / n));
      expect(Math.min(...sizes)).toBe(Math.floor(PARTITION_COUNT / n));
      expect(assignPartitions([...nodes].reverse())).toEqual(assignment);
    }
  });

  it('moves about 1/N of the partitions when a node joins, all of them to the new node', () => {
    const three = assignPartitions(['a', 'b', 'c']);
    const four = assignPartitions(['a', 'b', 'c', 'd']);
    const ownerIn = (a: ReadonlyMap<string, readonly number[]>) => new Map([...a].flatMap(([node, ps]) => ps.map((p) => [p, node] as const)));
    const before = ownerIn(three);
    const after = ownerIn(four);
    const moved = ALL.filter((p) => before.get(p) !== after.get(p));
    // 64 go to d; the bounded loads move a few more between the old nodes.
    expect(moved.filter((p) => after.get(p) === 'd')).toHaveLength(64);
    expect(moved.length).toBeLessThan(64 + 16);
  });

  it('plans the surplus away keeping its own partitions, and hands over within its share only to a node that takes', () => {
    const assignment = assignPartitions(['a', 'b']);
    const mine = new Set(assignment.get('a'));
    const rows = ALL.map((p) => ({ partition: p, owner: 'a', running: true }));
    const plan = planRound({ self: 'a', held: ALL, assignment, rows });
    expect(plan.share).toBe(128);
    expect(plan.release).toEqual(ALL.filter((p) => !mine.has(p)));
    expect(plan.take).toBe(0);
    // Within its share, holding one of b's: kept while b holds nothing, handed over once b holds a lease.
    const bs = assignment.get('b')![0]!;
    const held = [...assignment.get('a')!.slice(1), bs];
    expect(planRound({ self: 'a', held, assignment, rows: rows.filter((r) => held.includes(r.partition)) }).release).toEqual([]);
    const bTakes = [...rows.filter((r) => held.includes(r.partition)), { partition: assignment.get('b')![1]!, owner: 'b', running: true }];
    const handOver = planRound({ self: 'a', held, assignment, rows: bTakes });
    expect(handOver.release).toEqual([bs]);
    expect(handOver.take).toBe(1);
    expect(handOver.prefer).toEqual([assignment.get('a')![0]]);
  });
});

describe('PartitionOwner on PostgreSQL', () => {
  it('a node alone takes all 256; a second joins: 128 each, none held twice, the moved ones one epoch on, released only after beforeRelease', async () => {
    const released: number[][] = [];
    const a = await node('a', ['a'], {
      beforeRelease: async (partitions) => {
        // Still a's when the hook runs: the release waits for the drain.
        const o = await owners();
        expect(partitions.every((p) => o.get(p) === 'a')).toBe(true);
        released.push([...partitions]);
      },
    });
    const first = await a.owner.round();
    expect(first.gained.map((g) => g.partition)).toEqual(ALL);
    expect(new Set(first.gained.map((g) => g.epoch))).toEqual(new Set([1]));
    expect(a.gained).toHaveLength(256);
    await expectTableMatches([a]);

    const b = await node('b', ['a', 'b']);
    a.live = ['a', 'b'];
    await settle([a, b]);
    expect(a.owner.held.size).toBe(128);
    expect(b.owner.held.size).toBe(128);
    await expectTableMatches([a, b]);
    expect([...setOf(a.owner.held), ...setOf(b.owner.held)].sort((x, y) => x - y)).toEqual(ALL);
    // b got exactly its rendezvous partitions, each taken from a under the next epoch.
    const assignment = assignPartitions(['a', 'b']);
    expect(b.owner.held.homePartitions).toEqual([...assignment.get('b')!].sort((x, y) => x - y));
    expect(b.owner.held.homePartitions.every((p) => b.owner.held.epochOf(p) === 2)).toBe(true);
    expect(a.owner.held.homePartitions.every((p) => a.owner.held.epochOf(p) === 1)).toBe(true);
    expect(released.flat().sort((x, y) => x - y)).toEqual(b.owner.held.homePartitions);
    expect(a.lost.flatMap((l) => l.partitions).sort((x, y) => x - y)).toEqual(b.owner.held.homePartitions);
    expect(new Set(a.lost.map((l) => l.reason))).toEqual(new Set(['released']));
  });

  it('three nodes settle at 86/85/85 on their rendezvous partitions; after one leaves and comes back the assignment is the same', async () => {
    const all3 = ['a', 'b', 'c'];
    const [a, b, c] = await Promise.all(all3.map((id) => node(id, all3)));
    await settle([a!, b!, c!]);
    await expectTableMatches([a!, b!, c!]);
    expect([a!, b!, c!].map((n) => n.owner.held.size).sort()).toEqual([85, 85, 86]);
    const assignment = assignPartitions(all3);
    for (const n of [a!, b!, c!]) expect(n.owner.held.homePartitions).toEqual([...assignment.get(n.owner.nodeId)!].sort((x, y) => x - y));
    const before = await owners();
    expect(before.size).toBe(256);

    // c leaves cleanly: a and b share its partitions, 128 each.
    await c!.owner.stop({ release: true });
    a!.live = b!.live = ['a', 'b'];
    await settle([a!, b!]);
    expect([a!.owner.held.size, b!.owner.held.size]).toEqual([128, 128]);
    await expectTableMatches([a!, b!]);

    // c comes back (a new process, the same id): every partition goes back where it was.
    const c2 = await node('c', all3);
    a!.live = b!.live = all3;
    await settle([a!, b!, c2]);
    await expectTableMatches([a!, b!, c2]);
    expect(await owners()).toEqual(before);
  });

  it('a frozen node loses its partitions only once its leases ran out, to new epochs; its old fence is refused; its next round reports them all lost', async () => {
    const a = await node('a', ['a', 'b'], { leaseMs: 1_000 });
    const b = await node('b', ['a', 'b'], { leaseMs: 1_000 });
    await settle([a, b]);
    a.owner.start();
    b.owner.start();
    await waitFor(() => a.gained.length + b.gained.length === 256, 'both to hold their share');
    const bHeld = b.owner.held;

    // b freezes: no round, no timer; its heartbeat stops, so a sees itself alone.
    await b.owner.stop();
    const frozenRows = new Map((await readHomePartitionLeases(fresh.admin)).filter((r) => r.owner === 'b').map((r) => [r.partition, r]));
    expect(frozenRows.size).toBe(128);
    a.live = ['a'];
    await waitFor(() => a.owner.held.size === 256, "a to take b's partitions", 10_000);
    const rows = new Map((await readHomePartitionLeases(fresh.admin)).map((r) => [r.partition, r]));
    for (const [p, old] of frozenRows) {
      const now = rows.get(p)!;
      expect(now.owner).toBe('a');
      expect(now.epoch).toBe(old.epoch + 1);
      // Taken by the database's clock no earlier than b's lease ran out.
      expect(now.since!.getTime()).toBeGreaterThanOrEqual(old.expiresAt!.getTime());
    }

    // A batch fenced by b's old leases is refused by the journal's fence; the same line under a's lease commits.
    const p = bHeld.homePartitions[0]!;
    const line: UnnumberedLine = { at: new Date().toISOString(), type: 'commissioning.tick', dataText: '{"homeId":"home-frozen"}', partition: p, key: undefined };
    const session: PreparingQueryable = { query: (text, values) => fresh.admin.query(text, values), queryPrepared: (_name, text, values) => fresh.admin.query(text, values) };
    const writer = (held: typeof bHeld) => ({ fence: held.fenceFor([p]), session: randomUUID(), batch: 1, notify: false });
    await expect(appendBatch(session, [line], writer(bHeld))).rejects.toEqual(new BatchFencedError());
    expect((await fresh.admin.query('SELECT count(*)::int AS n FROM journal')).rows[0]!.n).toBe(0);
    await appendBatch(session, [line], writer(a.owner.held));
    expect((await fresh.admin.query('SELECT count(*)::int AS n FROM journal')).rows[0]!.n).toBe(1);

    // b wakes up: its first round tells it that it holds nothing any more.
    const report = await b.owner.round();
    expect([...report.lost].sort((x, y) => x - y)).toEqual(bHeld.homePartitions);
    expect(b.lost.flatMap((l) => l.partitions).sort((x, y) => x - y)).toEqual(bHeld.homePartitions);
    expect(b.owner.held.size).toBe(0);
    expect(report.gained).toEqual([]); // nothing is free: a holds all, running
    await expectTableMatches([a, b]);
  });

  it('holdsNow turns false at the local expiry, before the expiry timer has told anyone (an event loop blocked past its lease)', async () => {
    const a = await node('a', ['a'], { leaseMs: 1_000 });
    a.owner.start();
    await waitFor(() => a.gained.length === 256, 'a to hold every partition');
    const p = a.owner.held.homePartitions[0]!;
    expect(a.owner.holdsNow(p)).toBe(true);
    expect(a.owner.holdsNow(-1)).toBe(false); // the home-less partition is never the balancer's
    // Frozen past the lease: no round and no timer can run meanwhile.
    const until = performance.now() + 1_000;
    while (performance.now() < until) {
      // blocked
    }
    expect(a.owner.holdsNow(p)).toBe(false);
    expect(a.owner.held.epochOf(p)).toBeUndefined(); // as the journal's fence sees it
    expect(a.lost).toEqual([]); // nobody has been told yet: the services still believe they own it
  });

  it('a lease taken from under a node is lost at its next renewal, at once, and not taken back while it runs', async () => {
    const a = await node('a', ['a']);
    await a.owner.round();
    await fresh.admin.query("UPDATE partition_lease SET owner = 'z', epoch = epoch + 1, expires_at = now() + interval '1 minute' WHERE partition = 7");
    const report = await a.owner.round();
    expect(report.lost).toEqual([7]);
    expect(a.lost).toEqual([{ partitions: [7], reason: 'moved' }]);
    expect(a.owner.held.epochOf(7)).toBeUndefined();
    expect(report.gained).toEqual([]);
    expect((await owners()).get(7)).toBe('z');
  });

  it('a clean stop whose drain never finishes still releases every lease once the lease has passed, and says so', async () => {
    const b = await node('b', ['b'], { leaseMs: 1_000, beforeRelease: () => new Promise<void>(() => undefined) });
    await b.owner.round();
    expect(b.owner.held.size).toBe(256);
    const stopped = Date.now();
    await b.owner.stop({ release: true });
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(900);
    expect(b.errors.map((e) => e.message)).toEqual([expect.stringMatching(/drain before releasing 256 partitions did not finish within the lease \(1000 ms\): released all the same/)]);
    expect(b.lost).toEqual([{ partitions: expect.any(Array), reason: 'released' }]);
    expect((await readHomePartitionLeases(fresh.admin)).every((r) => r.owner === 'b' && !r.running)).toBe(true);
  });

  it('a clean stop releases every lease at once (after beforeRelease); the others take them at their next round, long before the lease would have run out', async () => {
    const drained: number[][] = [];
    const a = await node('a', ['a', 'b']);
    const b = await node('b', ['a', 'b'], { beforeRelease: async (ps) => void drained.push([...ps]) });
    await settle([a, b]);
    const bHeld = b.owner.held.homePartitions;
    expect(bHeld).toHaveLength(128);
    const leaseEnd = Math.min(...(await readHomePartitionLeases(fresh.admin)).filter((r) => r.owner === 'b').map((r) => r.expiresAt!.getTime()));

    await b.owner.stop({ release: true });
    expect(drained).toEqual([bHeld]);
    expect(b.lost).toEqual([{ partitions: bHeld, reason: 'released' }]);
    expect(b.owner.held.size).toBe(0);
    const rows = (await readHomePartitionLeases(fresh.admin)).filter((r) => bHeld.includes(r.partition));
    // Released, not handed on: still b's name and epoch (the history), no longer running.
    expect(rows.every((r) => r.owner === 'b' && !r.running && r.epoch === 1)).toBe(true);

    a.live = ['a'];
    const report = await a.owner.round();
    expect(report.gained.map((g) => g.partition)).toEqual(bHeld);
    expect(report.gained.every((g) => g.epoch === 2)).toBe(true);
    expect(a.owner.held.size).toBe(256);
    const taken = (await readHomePartitionLeases(fresh.admin)).filter((r) => bHeld.includes(r.partition));
    expect(taken.every((r) => r.since!.getTime() < leaseEnd)).toBe(true);
  });

  it('two nodes taking at the same moment never both get one partition', async () => {
    for (let i = 0; i < 24; i++) {
      await fresh.admin.query('UPDATE partition_lease SET owner = NULL, epoch = 0, since = NULL, expires_at = NULL WHERE partition >= 0');
      // Half the time each believes it is alone (both want all 256), half the time they know each other.
      const alone = i % 2 === 0;
      const [x, y] = await Promise.all([node('x', alone ? ['x'] : ['x', 'y']), node('y', alone ? ['y'] : ['x', 'y'])]);
      const [rx, ry] = await Promise.all([x.owner.round(), y.owner.round()]);
      const px = new Set(rx.gained.map((g) => g.partition));
      const both = ry.gained.filter((g) => px.has(g.partition));
      expect(both).toEqual([]);
      expect(rx.gained.length + ry.gained.length).toBe(256);
      await expectTableMatches([x, y]);
      // Closed before the next pair: 48 pools left open would crowd the server's connections.
      await y.close();
      await x.close();
    }
  });

  it('never takes, renews or releases the home-less partition (-1)', async () => {
    const row = async () => (await readPartitionLeases(fresh.admin)).find((r) => r.partition === HOMELESS_PARTITION);
    // Free: a node alone takes the 256 home partitions only.
    const a = await node('a', ['a']);
    expect((await a.owner.round()).gained).toHaveLength(256);
    expect(await row()).toEqual({ partition: -1, owner: null, epoch: 0, since: null, expiresAt: null, running: false });
    // Held by the journal's lock holder: nothing here moves it, through joins, releases and a clean stop.
    await fresh.admin.query("UPDATE partition_lease SET owner = 'leader', epoch = 7, since = now(), expires_at = now() + interval '1 hour' WHERE partition = -1");
    const before = await row();
    const b = await node('b', ['a', 'b']);
    a.live = ['a', 'b'];
    await settle([a, b]);
    await b.owner.stop({ release: true });
    a.live = ['a'];
    await settle([a]);
    await a.owner.stop({ release: true });
    expect(await row()).toEqual(before);
    // The release statement does not touch it even with its holder's own fence.
    expect(await releasePartitions(fresh.admin, { owner: 'leader', partitions: [HOMELESS_PARTITION], epochs: [7] })).toEqual([]);
    expect(await row()).toEqual(before);
    // Run out, while a node alone has room for one more (z holds partition 5): still nobody's business here.
    await fresh.admin.query("UPDATE partition_lease SET expires_at = now() - interval '1 hour' WHERE partition = -1");
    await fresh.admin.query("UPDATE partition_lease SET owner = 'z', epoch = epoch + 1, expires_at = now() + interval '1 minute' WHERE partition = 5");
    const expired = await row();
    const c = await node('c', ['c']);
    expect((await c.owner.round()).gained).toHaveLength(255);
    expect(c.owner.held.epochOf(HOMELESS_PARTITION)).toBeUndefined();
    expect(await row()).toEqual(expired);
  });
});

describe('PartitionOwner when the database goes away', () => {
  let proxy: TcpProxy;
  beforeEach(async () => {
    proxy = await startTcpProxy(Number(new URL(fresh.url).port || 5432));
  });
  // Before the nodes' cleanup (the outer afterEach): a pool ends only once its stuck statements have failed.
  afterEach(() => proxy.close());

  /** A node through the proxy, started, holding all 256; resolves with the time of its last successful round. */
  async function holdingAll(options: Partial<PartitionOwnerOptions>): Promise<{ n: Node; lastRoundAt: () => number }> {
    let last = 0;
    const n = await node('a', ['a'], { leaseMs: 1_000, safetyMarginMs: 300, onRound: () => (last = Date.now()), ...options }, proxy.port);
    n.owner.start();
    await waitFor(() => n.owner.held.size === 256, 'a to take every partition');
    return { n, lastRoundAt: () => last };
  }

  /**
   * Waits for the leases to be counted lost, and checks that it was at their
   * local expiry: no earlier than the lease less the margin (700 ms) after the
   * last round that renewed them, and before the database's expiry.
   */
  async function expectLostAtExpiry(n: Node, lastRoundAt: number): Promise<void> {
    const dbExpiry = Math.min(...(await readHomePartitionLeases(fresh.admin)).map((r) => r.expiresAt!.getTime()));
    await waitFor(() => n.lost.length > 0, 'the leases to be counted lost', 5_000);
    expect(n.lost).toEqual([{ partitions: ALL, reason: 'expired' }]);
    expect(n.owner.held.size).toBe(0);
    expect(n.owner.leaseLeftMs).toBeUndefined();
    const lostAt = n.lostAt[0]!;
    expect(lostAt).toBeLessThan(dbExpiry);
    // The renewal was sent a little before its round ended (a few ms through the proxy).
    expect(lostAt).toBeGreaterThanOrEqual(lastRoundAt + 700 - 50);
  }

  it('refused connections: rounds fail without assuming anything; the leases are lost at their local expiry, then taken again under new epochs when it is back', async () => {
    const { n, lastRoundAt } = await holdingAll({});
    const epochs = new Map(n.owner.held.homePartitions.map((p) => [p, n.owner.held.epochOf(p)!]));
    n.errors.length = n.atError.length = 0;
    await proxy.cut();
    const cutAt = Date.now();
    await waitFor(() => n.errors.length > 0, 'a round to fail');
    // A failed round drops nothing while the leases still run.
    expect(n.atError[0]!.held).toBe(256);
    expect(n.atError[0]!.left).toBeGreaterThan(0);
    expect(lastRoundAt()).toBeLessThan(cutAt);
    await expectLostAtExpiry(n, lastRoundAt());

    await proxy.restore();
    await waitFor(() => n.owner.held.size === 256, 'a to take its partitions again');
    expect(n.owner.held.homePartitions.every((p) => n.owner.held.epochOf(p) === epochs.get(p)! + 1)).toBe(true);
    await expectTableMatches([n]);
  });

  it('a silent database (packets dropped): the round is abandoned at its deadline, the leases are lost at their local expiry, nothing is thrown', async () => {
    const { n, lastRoundAt } = await holdingAll({ roundTimeoutMs: 1_000 });
    n.errors.length = 0;
    proxy.blackhole();
    await expectLostAtExpiry(n, lastRoundAt());
    await waitFor(() => n.errors.some((e) => e.name === 'RoundAbandoned'), 'a round to be abandoned');
    // stop() waits at most for the round in progress, which its deadline ends.
    const stopping = Date.now();
    await n.owner.stop();
    expect(Date.now() - stopping).toBeLessThan(1_500);
  });
});
