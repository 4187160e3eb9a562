/**
 * `npm run bench -- --commits [--store postgres|files|both] [--label NAME]`:
 * what the journal's durability costs per commit, alone on the machine.
 *
 * - **single**: one line at a time, each awaited before the next. That is an
 *   alarm on a quiet hub, whose PUBACK waits for exactly this.
 * - **batch**: 200 lines appended at once and the last awaited: the group
 *   commit under load.
 *
 * The lines are alert raises of 500 homes (each with its home, so PostgreSQL
 * fences each batch by those homes' partitions). Each store is measured in
 * three rounds, alternated with the other when both are asked for, into a
 * fresh PostgreSQL database (dropped afterwards) and/or a temporary data dir.
 * It isolates the journal's own statement: what migration 0005's fence and
 * counter cost (docs/PERFORMANCE.md, "Partitions").
 * Prints the figures and writes bench/results/<date>-commits.json.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../hub/storage/journal.js';
import type { JournalStore } from '../hub/storage/ports.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { createPgDatabase } from '../tests/helpers/pg-server.js';
import type { BenchOptions } from './args.js';
import { writeResults } from './cluster-session.js';
import { percentiles } from './stats.js';
import { checkout } from './takeover-replay.js';

type Say = (line: string) => void;
type Store = 'postgres' | 'files';

interface Round {
  singleP50Ms: number;
  singleP99Ms: number;
  batch200Ms: number;
}

const ROUNDS = 3;
const HOMES = 500;
const BATCH = 200;

export async function runCommitsBench(options: Pick<BenchOptions, 'outDir' | 'store' | 'quick' | 'label'>, say: Say, done: () => void): Promise<number> {
  const singles = options.quick ? 200 : 3_000;
  const batches = options.quick ? 5 : 100;
  const stores: Store[] = options.store === 'both' ? ['postgres', 'files'] : [options.store === 'files' ? 'files' : 'postgres'];
  const loadBefore = loadavg();
  const rounds: Record<Store, Round[]> = { postgres: [], files: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const store of stores) {
      say(`round ${round}/${ROUNDS}: ${store}, ${singles} single-line commits and ${batches} batches of ${BATCH}`);
      rounds[store].push(await measureStore(store, singles, batches));
    }
  }
  done();
  console.log(`journal commits, ${singles} single lines and ${batches} batches of ${BATCH} per round, load average ${loadBefore[0]!.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after:`);
  for (const store of stores) {
    const each = rounds[store].map((r) => `single p50 ${r.singleP50Ms} ms, p99 ${r.singleP99Ms} ms; batch of ${BATCH} ${r.batch200Ms} ms`);
    for (const [i, line] of each.entries()) console.log(`  ${store} round ${i + 1}: ${line}`);
  }
  const suffix = options.label ? `commits-${options.label}` : 'commits';
  await writeResults(options.outDir, suffix, { kind: 'commits', label: options.label, commit: checkout(), node: process.version, loadAverage: { before: loadBefore, after: loadavg() }, singles, batches, batchLines: BATCH, rounds });
  return 0;
}

async function measureStore(store: Store, singles: number, batches: number): Promise<Round> {
  if (store === 'files') {
    const dir = await mkdtemp(join(tmpdir(), 'hub-bench-commits-'));
    try {
      return await measureJournal(new Journal({ dir }), singles, batches);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const database = await createPgDatabase('hub_bench_commits');
  try {
    return await measureJournal(new PgJournal({ db: new PgDatabase({ url: database.url }), identity: () => ({ nodeId: 'bench' }) }), singles, batches);
  } finally {
    await database.drop();
  }
}

async function measureJournal(journal: JournalStore, singles: number, batches: number): Promise<Round> {
  await journal.open();
  try {
    const raise = (id: string, i: number) => {
      const homeId = `home-${i % HOMES}`;
      return journal.append('alert.raised', { alert: { id, homeId, kind: 'sos', severity: 'critical', status: 'open' } }, homeId);
    };
    const latencies: number[] = [];
    for (let i = 0; i < singles; i++) {
      const started = performance.now();
      await raise(`al-${i}`, i).durable;
      latencies.push(performance.now() - started);
    }
    const batchesStarted = performance.now();
    for (let b = 0; b < batches; b++) {
      let last: Promise<void> | undefined;
      for (let i = 0; i < BATCH; i++) last = raise(`bl-${b}-${i}`, i).durable;
      await last;
    }
    const batchMs = (performance.now() - batchesStarted) / batches;
    const single = percentiles(latencies)!;
    return { singleP50Ms: single.p50, singleP99Ms: single.p99, batch200Ms: Math.round(batchMs * 1000) / 1000 };
  } finally {
    await journal.close();
  }
}
