/**
 * Journal lines numbered and chained by the database at commit (issue 12
 * step 3, migration 0006, docs/CLUSTER.md "Step 3's writers"): several
 * writers, each holding its own partitions' leases, share one global,
 * gap-free line number in commit order and one hash chain. Against this
 * machine's real server, with real concurrent sessions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatEntry, formatEntryText, GENESIS_PREV, hashLine } from '../hub/storage/journal-format.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { BatchFencedError, type CommittedBatch, type UnnumberedLine } from '../hub/storage/postgres/journal-sql.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { homeIn, rawWriter } from './helpers/pg-raw-writer.js';
import { waitFor } from './helpers/wait-for.js';

const pg = usePgDatabase();
const opened: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  await pg.resetSchema();
});

const line = (partition: number, data: unknown, type = 'audit'): UnnumberedLine => ({ at: new Date().toISOString(), type, dataText: JSON.stringify(data), partition, key: undefined });

async function openPgJournal(nodeId: string): Promise<PgJournal> {
  const j = new PgJournal({ db: new PgDatabase({ url: pg.url }), identity: () => ({ nodeId }), retryDelayMs: { min: 10, max: 100 }, closeTimeoutMs: 2_000 });
  opened.push(j);
  await j.open();
  return j;
}

describe('lines numbered at commit (migration 0006)', () => {
  it('numbers two writers’ concurrent batches gap-free, each batch one run of numbers, and chains them all in one chain the files’ hashing agrees with', async () => {
    // The journal's tables and leases come from a writer opening once.
    await (await openPgJournal('setup')).close();
    const a = await rawWriter(pg.url, opened, 'node-a', [1, 2]);
    const b = await rawWriter(pg.url, opened, 'node-b', [3]);
    // Data whose JSON text is easy to get wrong: escapes, NUL, a lone surrogate, non-ASCII, big numbers.
    const tricky = { note: 'Zoë ✓\nline "two" \u0000 \ud800 \u2028', n: 1.5e300, nested: { z: 1, a: 2 } };
    const runs: { writer: string; batch: CommittedBatch; size: number }[] = [];
    const pump = async (name: string, w: typeof a, partitions: number[]) => {
      for (let i = 0; i < 60; i++) {
        const size = 1 + (i % 4);
        const lines = Array.from({ length: size }, (_, k) => line(partitions[k % partitions.length]!, { writer: name, i, k, tricky }));
        runs.push({ writer: name, batch: await w.write(lines), size });
      }
    };
    await Promise.all([pump('a', a, [1, 2]), pump('b', b, [3])]);

    const total = runs.reduce((sum, r) => sum + r.size, 0);
    const sorted = [...runs].sort((x, y) => x.batch.firstN - y.batch.firstN);
    let expectedFirst = 1;
    for (const r of sorted) {
      expect(r.batch.firstN).toBe(expectedFirst);
      expect(r.batch.lastN - r.batch.firstN + 1).toBe(r.size);
      expect(r.batch.hashes).toHaveLength(r.size);
      expectedFirst = r.batch.lastN + 1;
    }
    expect(expectedFirst - 1).toBe(total);
    // Both writers committed between each other's batches: the numbers interleave.
    expect(new Set(sorted.slice(0, 40).map((r) => r.writer)).size).toBe(2);
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: total });
    const last = (await pg.query<{ hash: string }>('SELECT hash FROM journal ORDER BY n DESC LIMIT 1')).rows[0]!.hash;
    expect((await pg.query<{ n: string; tip: string }>('SELECT n, tip FROM journal_seq')).rows[0]).toEqual({ n: String(total), tip: last });
    // Each line's partition is its writer's (data parsed here: the json operators refuse the \u0000 it carries).
    const stored = (await pg.query<{ data: string; partition: number }>('SELECT data::text AS data, partition FROM journal')).rows;
    const partitionsOf = (writer: string) => [...new Set(stored.filter((r) => (JSON.parse(r.data) as { writer: string }).writer === writer).map((r) => r.partition))].sort();
    expect([partitionsOf('a'), partitionsOf('b')]).toEqual([[1, 2], [3]]);
  });

  it('gives the numbers in commit order: a batch whose transaction is still open holds the counter, and the next writer gets the numbers after it', async () => {
    await (await openPgJournal('setup')).close();
    const a = await rawWriter(pg.url, opened, 'node-a', [1]);
    const b = await rawWriter(pg.url, opened, 'node-b', [2]);
    await a.client.query('BEGIN');
    const first = await a.write([line(1, { from: 'a' }), line(1, { from: 'a' })]);
    expect([first.firstN, first.lastN]).toEqual([1, 2]);
    const second = b.write([line(2, { from: 'b' })]);
    // b's batch waits on the counter row's lock until a's transaction ends.
    await waitFor(async () => (await pg.query<{ waiting: boolean }>("SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1", [b.pid])).rows[0]?.waiting === true, "b's batch waiting on the counter");
    await a.client.query('COMMIT');
    expect([(await second).firstN, (await second).lastN]).toEqual([3, 3]);
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 3 });
  });

  it('refuses a writer whose lease moved on: nothing written, the counter untouched', async () => {
    await (await openPgJournal('setup')).close();
    const stale = await rawWriter(pg.url, opened, 'node-a', [5]);
    await stale.write([line(5, { ok: true })]);
    await rawWriter(pg.url, opened, 'node-b', [5]); // takes partition 5 under the next epoch
    await expect(stale.write([line(5, { late: true })])).rejects.toBeInstanceOf(BatchFencedError);
    expect((await pg.query<{ n: string }>('SELECT n FROM journal_seq')).rows[0]!.n).toBe('1');
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 1 });
  });

  it("continues the one chain after another writer's lines: the journal's next line is numbered and chained after them", async () => {
    const j = await openPgJournal('node-a');
    const mine = j.append('audit', { action: 'login' });
    await mine.durable;
    expect(mine.entry.n).toBe(1);
    // node-b takes one partition from node-a and writes three lines of a home in it.
    const other = await rawWriter(pg.url, opened, 'node-b', [7]);
    const theirs = await other.write([line(7, { i: 1 }, 'alert.raised'), line(7, { i: 2 }, 'alert.acknowledged'), line(7, { i: 3 }, 'alert.resolved')]);
    expect([theirs.firstN, theirs.lastN]).toEqual([2, 4]);
    const next = j.append('audit', { action: 'logout' }, homeIn(9));
    await next.durable;
    expect(next.entry.n).toBe(5);
    expect(next.entry.prev).toBe(theirs.hashes[2]);
    expect(j.lastN).toBe(5);
    const stored = (await pg.query<{ n: string; hash: string }>('SELECT n, hash FROM journal WHERE n = 5')).rows[0]!;
    expect(stored.hash).toBe(hashLine(formatEntry(next.entry)));
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 5 });
  });

  it('fills n and prev into the entries a batch of appends returned, in append order, and the chain of the stored rows matches them', async () => {
    const j = await openPgJournal('node-a');
    const appended = Array.from({ length: 5 }, (_, i) => j.append('audit', { i }, i % 2 === 0 ? homeIn(i) : undefined));
    for (const a of appended) expect([a.entry.n, a.entry.prev]).toEqual([0, '']);
    await Promise.all(appended.map((a) => a.durable));
    expect(appended.map((a) => a.entry.n)).toEqual([1, 2, 3, 4, 5]);
    expect(appended[0]!.entry.prev).toBe(GENESIS_PREV);
    for (let i = 1; i < 5; i++) expect(appended[i]!.entry.prev).toBe(hashLine(formatEntry(appended[i - 1]!.entry)));
    const rows = (await pg.query<{ at: string; data: string; prev: string }>("SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at, data::text AS data, prev FROM journal ORDER BY n")).rows;
    expect(rows.map((r, i) => hashLine(formatEntryText(i + 1, r.at, 'audit', r.data, r.prev)))).toEqual([...appended.slice(1).map((a) => a.entry.prev), hashLine(formatEntry(appended[4]!.entry))]);
    expect(j.stats.bytes).toBe(appended.reduce((sum, a) => sum + Buffer.byteLength(formatEntry(a.entry)) + 1, 0));
  });
});
