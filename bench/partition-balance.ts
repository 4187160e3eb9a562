/**
 * `npx tsx bench/partition-balance.ts [--lease MS] [--runs N] [--rounds N] [--out DIR]`:
 * what spreading the partitions' leases costs (hub/storage/postgres/partition-owner.ts),
 * with three in-process owners on a fresh PostgreSQL database (dropped after).
 *
 * - **round cost**: one round of a settled node (renew its ~85 leases, read the
 *   256 rows), and one round of a node alone taking all 256, each timed on its
 *   own (no timers running);
 * - **failover**: the three on their timers; one is killed (stopped without
 *   releasing, and dropped from the live list at once, as its heartbeat
 *   would be). Measured by the database's clock: from its leases' expiry to
 *   the last of its partitions taken by the others. Then it comes back, and the
 *   time until it holds its share again is measured too.
 *
 * Prints the figures and writes bench/results/<date>-partition-balance.json.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { PartitionOwner } from '../hub/storage/postgres/partition-owner.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { readHomePartitionLeases } from '../hub/storage/postgres/partition-balance-sql.js';
import { createPgDatabase } from '../tests/helpers/pg-server.js';
import { waitFor } from '../tests/helpers/wait-for.js';
import { writeResults } from './cluster-session.js';
import { percentiles } from './stats.js';
import { checkout } from './takeover-replay.js';

const { values } = parseArgs({
  options: {
    lease: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '200' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const leaseMs = Number(values.lease);
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const NODES = ['a', 'b', 'c'];

const database = await createPgDatabase('hub_bench_balance');
const dbs: PgDatabase[] = [];
const owners: PartitionOwner[] = [];
let live = [...NODES];

async function connect(): Promise<PgDatabase> {
  const db = new PgDatabase({ url: database.url });
  await db.ready();
  dbs.push(db);
  return db;
}

async function owner(nodeId: string): Promise<PartitionOwner> {
  const o = new PartitionOwner({ db: await connect(), nodeId, leaseMs, liveNodes: () => live, onError: (err) => console.error(`${nodeId}: ${err.message}`) });
  owners.push(o);
  return o;
}

const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await fn();
  return performance.now() - started;
};

async function roundCosts(admin: PgDatabase): Promise<{ settled: ReturnType<typeof percentiles>; takeAll: ReturnType<typeof percentiles> }> {
  const takeAll: number[] = [];
  for (let i = 0; i < Math.max(5, rounds / 10); i++) {
    await admin.query('UPDATE partition_lease SET owner = NULL, epoch = 0, since = NULL, expires_at = NULL WHERE partition >= 0');
    live = ['alone'];
    const alone = await owner('alone');
    takeAll.push(await timed(() => alone.round()));
    if (alone.held.size !== 256) throw new Error(`a node alone took ${alone.held.size} partitions, not 256`);
  }
  await admin.query('UPDATE partition_lease SET owner = NULL, epoch = 0, since = NULL, expires_at = NULL WHERE partition >= 0');
  live = [...NODES];
  const three = await Promise.all(NODES.map(owner));
  for (let pass = 0; pass < 5; pass++) for (const o of three) await o.round();
  const settled: number[] = [];
  for (let i = 0; i < rounds; i++) for (const o of three) settled.push(await timed(() => o.round()));
  for (const o of three) await o.stop({ release: true });
  return { settled: percentiles(settled), takeAll: percentiles(takeAll) };
}

interface Failover {
  /** From the killed node's lease expiry to the last of its partitions taken, by the database's clock. */
  expiryToReownedMs: number;
  /** From the kill to the last of its partitions taken (the lease, plus the above). */
  killToReownedMs: number;
  /** From the node's return to it holding its share again. */
  returnToShareMs: number;
}

async function failover(admin: PgDatabase, a: PartitionOwner, b: PartitionOwner, c: PartitionOwner): Promise<{ failover: Failover; next: PartitionOwner }> {
  const killedAt = Date.now();
  await c.stop();
  live = ['a', 'b'];
  const before = (await readHomePartitionLeases(admin)).filter((r) => r.owner === 'c' && r.running);
  const its = new Set(before.map((r) => r.partition));
  const expiry = Math.max(...before.map((r) => r.expiresAt!.getTime()));
  await waitFor(() => a.held.size + b.held.size === 256, "the others to take the killed node's partitions", leaseMs * 3);
  const after = (await readHomePartitionLeases(admin)).filter((r) => its.has(r.partition));
  const reowned = Math.max(...after.map((r) => r.since!.getTime()));
  // The node comes back under the same id: its share is handed back.
  const returnedAt = performance.now();
  live = [...NODES];
  const next = await owner('c');
  next.start();
  await waitFor(() => next.held.size >= 85 && a.held.size + b.held.size + next.held.size === 256, 'the returning node to hold its share', leaseMs * 3);
  return { failover: { expiryToReownedMs: reowned - expiry, killToReownedMs: reowned - killedAt, returnToShareMs: Math.round(performance.now() - returnedAt) }, next };
}

try {
  const admin = await connect();
  const loadBefore = loadavg();
  console.log(`partition balance: lease ${leaseMs} ms (renewed every ${leaseMs / 5} ms), ${rounds} rounds timed per node, ${runs} failovers`);
  const costs = await roundCosts(admin);
  console.log(`  round of a settled node (renew ~85, read 256): p50 ${costs.settled!.p50} ms, p99 ${costs.settled!.p99} ms, max ${costs.settled!.max} ms`);
  console.log(`  round of a node alone taking all 256: p50 ${costs.takeAll!.p50} ms, max ${costs.takeAll!.max} ms`);

  live = [...NODES];
  const [a, b] = [await owner('a'), await owner('b')];
  let c = await owner('c');
  for (const o of [a, b, c]) o.start();
  await waitFor(async () => (await readHomePartitionLeases(admin)).filter((r) => r.running).length === 256 && c.held.size >= 85, 'the three to settle', leaseMs * 3);
  const failovers: Failover[] = [];
  for (let run = 1; run <= runs; run++) {
    const { failover: f, next } = await failover(admin, a, b, c);
    c = next;
    failovers.push(f);
    console.log(`  failover ${run}: lease expiry → all re-owned ${f.expiryToReownedMs} ms (kill → re-owned ${f.killToReownedMs} ms); returning node holds its share after ${f.returnToShareMs} ms`);
  }
  await writeResults(values.out, 'partition-balance', { kind: 'partition-balance', commit: checkout(), node: process.version, loadAverage: { before: loadBefore, after: loadavg() }, leaseMs, renewEveryMs: leaseMs / 5, roundCost: costs, failovers });
} finally {
  for (const o of owners) await o.stop();
  for (const db of dbs) await db.release();
  await database.drop();
}
