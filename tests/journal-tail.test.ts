/**
 * A cluster standby follows the journal while it waits for the writer lock
 * (issue 12; docs/CLUSTER.md "Read replicas"; hub/storage/postgres/journal-tail.ts),
 * against this machine's real PostgreSQL, a fresh database per test: it
 * applies each of the leader's lines once, in order, as they are committed
 * (woken by the leader's NOTIFY, not by its poll); once it has the lock it
 * replays only the rest and continues the same chain; a lost LISTEN
 * connection loses no line; a hub alone sends no notification.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal, type PgJournalOptions } from '../hub/storage/postgres/journal-pg.js';
import { readLeader } from '../hub/storage/postgres/cluster-leader.js';
import { JOURNAL_CHANNEL } from '../hub/storage/postgres/journal-sql.js';
import { JournalTail } from '../hub/storage/postgres/journal-tail.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import type { JournalEntry } from '../hub/storage/journal-format.js';
import { createPgDatabase, withAdmin, withClient } from './helpers/pg-server.js';
import { waitFor } from './helpers/wait-for.js';

let db: Awaited<ReturnType<typeof createPgDatabase>>;
const opened: PgJournal[] = [];

beforeEach(async () => {
  db = await createPgDatabase();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((j) => j.close()));
  await db.drop();
});

/** A cluster node's journal; the poll is an hour, so only notifications (and reconnects) wake the tail. */
function clusterJournal(options: Partial<PgJournalOptions> = {}): PgJournal {
  const j = new PgJournal({ db: new PgDatabase({ url: db.url }), waitForLeadership: true, tailPollMs: 3_600_000, retryDelayMs: { min: 10, max: 100 }, closeTimeoutMs: 2_000, ...options });
  opened.push(j);
  return j;
}

async function appendDurably(j: PgJournal, count: number, type = 'audit'): Promise<void> {
  const results = Array.from({ length: count }, (_, i) => j.append(type, { what: `line ${j.lastN + 1 + i}` }));
  await Promise.all(results.map((r) => r.durable));
}

/** A standby waiting for the lock, with every entry its replay callback got. */
function standbyWaiting(): { standby: PgJournal; seen: JournalEntry[]; opening: Promise<number> } {
  const standby = clusterJournal();
  const seen: JournalEntry[] = [];
  const opening = standby.open((entry) => void seen.push(entry));
  opening.catch(() => undefined);
  return { standby, seen, opening };
}

const writerBackends = async () =>
  (await withAdmin((c) => c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'home-care-hub journal writer%'", [db.name]))).rows;

/** Statements waiting for a lock that read the journal (a standby's tail held by LOCK TABLE). */
const journalReadsWaiting = async () =>
  Number(
    (await withAdmin((c) => c.query<{ c: string }>("SELECT count(*) AS c FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE '%FROM journal WHERE n > $1 ORDER BY n%'", [db.name]))).rows[0]!.c,
  );

const listenBackends = () =>
  withAdmin((c) => c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2", [db.name, `home-care-hub listen ${JOURNAL_CHANNEL}`]));

describe('a standby follows the journal while it waits for the lock', () => {
  it('applies each line once, in order, as the leader commits it; after the lock it replays only the rest and continues the chain', async () => {
    const leader = clusterJournal();
    await leader.open();
    await appendDurably(leader, 3);

    const { standby, seen, opening } = standbyWaiting();
    await waitFor(() => seen.length === 3, 'the standby to apply the 3 lines already there');
    // Only the leader's NOTIFY can wake it now (the poll is an hour away).
    await appendDurably(leader, 2);
    await waitFor(() => seen.length === 5, 'the standby to apply the 2 lines committed while it waits');
    expect(standby.lastN).toBe(5);

    await appendDurably(leader, 1);
    await leader.close(); // the lock is free: the standby leads
    expect(await opening).toBe(6);
    expect(seen.map((e) => e.n)).toEqual([1, 2, 3, 4, 5, 6]);
    const tail = standby.standbyTail!;
    expect(tail.lines).toBeGreaterThanOrEqual(5);
    expect(tail.lines).toBeLessThanOrEqual(6);
    expect(tail.replayAfterLockMs).toBeGreaterThanOrEqual(0);
    expect(standby.chainId).toBe(leader.chainId);

    await appendDurably(standby, 1);
    expect(standby.lastN).toBe(7);
    const verified = await withClient(db.url, (c) => verifyPgJournal(c));
    expect(verified.ok).toBe(true);
    expect((await listenBackends()).rows).toEqual([]); // the tail stopped listening once it led
  });

  it('ends a read waiting for a line once its copy holds it, and is current for reads only while it follows (docs/CLUSTER.md "Reads on any node")', async () => {
    const leader = clusterJournal();
    await leader.open();
    await appendDurably(leader, 3);
    const { standby, opening } = standbyWaiting();
    await waitFor(() => standby.replicaCurrent === true, 'the standby to catch up once');
    expect(standby.lastN).toBe(3);
    expect(await standby.reachLine(3, 0)).toBe(true);
    expect(await standby.reachLine(5, 10)).toBe(false); // not there within the bound
    const five = standby.reachLine(5, 60_000);
    await appendDurably(leader, 2); // only the leader's NOTIFY can wake the tail (the poll is an hour away)
    expect(await five).toBe(true);
    expect(standby.lastN).toBe(5);

    // A leader's copy does not move by itself: nothing to wait for.
    expect(leader.replicaCurrent).toBe(false);
    expect(await leader.reachLine(leader.lastN + 1, 60_000)).toBe(false);

    const never = standby.reachLine(100, 60_000);
    await leader.close(); // the standby takes the lock and leads: it is no longer a replica
    await opening;
    expect(standby.replicaCurrent).toBe(false);
    expect(await never).toBe(false);
  });

  it('loses no line committed while its LISTEN connection is down: the reconnect reads them', async () => {
    const leader = clusterJournal();
    await leader.open();
    await appendDurably(leader, 1);
    const { seen } = standbyWaiting();
    await waitFor(() => seen.length === 1, 'the first line');
    await waitFor(async () => (await listenBackends()).rows.length === 1, 'the standby to listen');

    const [listener] = (await listenBackends()).rows;
    await withAdmin((c) => c.query('SELECT pg_terminate_backend($1)', [listener!.pid]));
    await appendDurably(leader, 4); // notified to nobody, or to a listener that is going
    await waitFor(() => seen.length === 5, 'the standby to read the 4 lines after it listens again', 20_000);
    expect(seen.map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stops following when it is closed while it waits, and leaves no connection listening', async () => {
    const leader = clusterJournal();
    await leader.open();
    const { standby, opening } = standbyWaiting();
    await waitFor(async () => (await listenBackends()).rows.length === 1, 'the standby to listen');
    await standby.close();
    await expect(opening).rejects.toThrow();
    expect((await listenBackends()).rows).toEqual([]);
    await appendDurably(leader, 1); // the leader is unaffected
    expect(leader.lastN).toBe(1);
  });
});

describe('who takes the lock', () => {
  it('a node that has not read the journal yet leaves the lock to a standby that has, and leads later with only the rest to replay', async () => {
    const leader = clusterJournal();
    await leader.open();
    for (let i = 0; i < 15; i++) await appendDurably(leader, 2_000);
    const ready = standbyWaiting();
    await waitFor(() => ready.seen.length === 30_000, 'standby A to follow the 30,000 lines', 60_000);

    // A node (re)starts with 30,000 lines to read, and its read is held (the table locked): while it
    // reads it does not even try the lock (it has no writer connection), so the lock, once free,
    // goes to A, which is ready.
    const tableLock = new pg.Client({ connectionString: db.url });
    await tableLock.connect();
    let fresh: ReturnType<typeof standbyWaiting>;
    try {
      await tableLock.query('BEGIN; LOCK TABLE journal IN ACCESS EXCLUSIVE MODE');
      fresh = standbyWaiting();
      await waitFor(async () => (await journalReadsWaiting()) === 1, "standby B's first read to wait for the table");
      expect((await writerBackends()).length).toBe(2); // the leader's and A's
      await leader.close();
      await waitFor(async () => (await withClient(db.url, (c) => readLeader(c))).epoch === 2, 'a new leader');
      expect(fresh.standby.leaderEpoch).toBeUndefined(); // the new leader is A (whose replay waits for the table too)
      await tableLock.query('COMMIT');
      expect(await ready.opening).toBe(30_000);
      expect(ready.standby.leaderEpoch).toBe(2);
    } finally {
      await tableLock.end();
    }
    expect(ready.standby.standbyTail!.linesAfterLock).toBe(0);

    await appendDurably(ready.standby, 1);
    await waitFor(() => fresh.seen.length === 30_001, 'standby B to catch up and follow A', 60_000);
    await ready.standby.close();
    expect(await fresh.opening).toBe(30_001);
    expect(fresh.standby.standbyTail!.linesAfterLock).toBe(0);
    expect(fresh.seen.map((e) => e.n)).toEqual(Array.from({ length: 30_001 }, (_, i) => i + 1));
  }, 120_000);
});

describe('a standby that cannot LISTEN at first', () => {
  it('says so, reads by its poll meanwhile, and listens once it can', async () => {
    const leader = clusterJournal();
    await leader.open();
    await appendDurably(leader, 2);
    /** The real database, whose first dedicated connection (the LISTEN) is refused. */
    class RefusesFirstListen extends PgDatabase {
      refused = 0;
      override async connectDedicated(name: string): ReturnType<PgDatabase['connectDedicated']> {
        if (this.refused++ === 0) throw new Error('too many connections for role "hub"');
        return super.connectDedicated(name);
      }
    }
    const tailDb = new RefusesFirstListen({ url: db.url });
    tailDb.acquire();
    await tailDb.ready();
    const errors: string[] = [];
    const lines: number[] = [];
    const tail = new JournalTail({ db: tailDb, apply: ({ entry }) => void lines.push(entry.n), lastN: () => lines.at(-1) ?? 0, pollMs: 50, onReadError: (m) => errors.push(m) });
    try {
      await tail.start();
      expect(errors).toEqual([expect.stringContaining('cannot listen for the leader')]);
      await waitFor(() => lines.length === 2, 'the poll to read the 2 lines');
      await waitFor(async () => (await listenBackends()).rows.length === 1, 'the tail to listen at a later poll');
      await appendDurably(leader, 1);
      await waitFor(() => lines.length === 3, 'the third line');
      expect(lines).toEqual([1, 2, 3]);
    } finally {
      await tail.stop();
      await tailDb.release();
    }
    expect((await listenBackends()).rows).toEqual([]);
  });
});

describe('a hub alone', () => {
  it('sends no journal notification with its batches (nobody follows it)', async () => {
    const alone = clusterJournal({ waitForLeadership: false });
    await alone.open();
    const heard: string[] = [];
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      client.on('notification', (n) => heard.push(n.channel));
      await client.query(`LISTEN ${JOURNAL_CHANNEL}; LISTEN test_sentinel`);
      await appendDurably(alone, 3);
      // Notifications arrive in commit order: once the sentinel sent after the batch is heard, a journal one would have been.
      await withClient(db.url, (c) => c.query('NOTIFY test_sentinel'));
      await waitFor(() => heard.includes('test_sentinel'), 'the sentinel notification');
      expect(heard).toEqual(['test_sentinel']);
    } finally {
      await client.end();
    }
  });
});
