/**
 * Leadership and fencing on the PostgreSQL journal (issue 12 items 2 and 3,
 * the lease part; docs/CLUSTER.md "Leadership and fencing"), in one process
 * against this machine's real server, a fresh database per test: the
 * cluster_leader row and its epochs, a standby's unlimited wait, the writer
 * session's lease and keep-alive, and when leadership is lost. The same with
 * real processes, SIGKILL and SIGSTOP: tests/pg-failover.test.ts.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOURNAL_LOCK, readLeader } from '../hub/storage/postgres/cluster-leader.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal, type PgJournalOptions } from '../hub/storage/postgres/journal-pg.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { createPgDatabase, withAdmin, withClient } from './helpers/pg-server.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
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

function journal(options: Partial<PgJournalOptions> = {}): PgJournal {
  const j = new PgJournal({ db: new PgDatabase({ url: db.url }), retryDelayMs: { min: 10, max: 100 }, closeTimeoutMs: 2_000, ...options });
  opened.push(j);
  return j;
}

async function openJournal(options: Partial<PgJournalOptions> = {}): Promise<PgJournal> {
  const j = journal(options);
  await j.open();
  return j;
}

/** A journal whose every connection to the server runs through a proxy the test can turn into a black hole. */
async function journalThroughProxy(options: Partial<PgJournalOptions>): Promise<{ j: PgJournal; proxy: TcpProxy }> {
  const target = new URL(db.url);
  const proxy = await startTcpProxy(Number(target.port));
  proxies.push(proxy);
  target.port = String(proxy.port);
  const j = new PgJournal({ db: new PgDatabase({ url: target.toString() }), retryDelayMs: { min: 10, max: 100 }, closeTimeoutMs: 2_000, ...options });
  opened.push(j);
  await j.open();
  return { j, proxy };
}
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

const sql = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => withClient(db.url, (c) => c.query<R>(text, values));
const leaderNow = () => withClient(db.url, (c) => readLeader(c));
const rowCount = async () => Number((await sql<{ c: string }>('SELECT count(*) AS c FROM journal')).rows[0]?.c);

/** The server backends of this database's journal writers: pid and when their last statement started. */
async function writerBackends(): Promise<{ pid: number; query_start: Date }[]> {
  const { rows } = await withAdmin((c) =>
    c.query<{ pid: number; query_start: Date }>("SELECT pid, query_start FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'home-care-hub journal writer%'", [db.name]),
  );
  return rows;
}

/** Waits until the backend `pid` has started `count` more statements (the standby's polls, the leader's pings). */
async function statementsBy(pid: number, count: number, what: string): Promise<void> {
  const seen = new Set<number>();
  await waitFor(
    async () => {
      const backend = (await writerBackends()).find((b) => b.pid === pid);
      if (backend) seen.add(backend.query_start.getTime());
      return seen.size > count;
    },
    what,
    30_000,
  );
}

/** Ends every session of the test database but the asking one (what a server restart does to the hub). */
const terminateBackends = () => withAdmin((c) => c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name]));

describe('the cluster_leader row (migration 0003)', () => {
  it('has epoch 0 and no leader before anyone led; each new writer starts the next epoch with its identity; held only while the lock is', async () => {
    const database = new PgDatabase({ url: db.url });
    database.acquire();
    await database.ready();
    expect(await readLeader(database)).toEqual({ epoch: 0, nodeId: null, httpUrl: null, since: null, held: false });
    await database.release();

    const first = await openJournal({ identity: () => ({ nodeId: 'node-a', httpUrl: 'http://10.0.0.1:8080' }) });
    expect(first.leaderEpoch).toBe(1);
    expect(await leaderNow()).toEqual({ epoch: 1, nodeId: 'node-a', httpUrl: 'http://10.0.0.1:8080', since: expect.any(Date), held: true });
    expect(await first.readLeader()).toMatchObject({ epoch: 1, nodeId: 'node-a' });
    await first.close();
    expect(await leaderNow()).toMatchObject({ epoch: 1, nodeId: 'node-a', held: false });

    const second = await openJournal({ identity: () => ({ nodeId: 'node-b' }) });
    expect(second.leaderEpoch).toBe(2);
    expect(await leaderNow()).toMatchObject({ epoch: 2, nodeId: 'node-b', httpUrl: null, held: true });
  });

  it('stays one row: a second row is refused', async () => {
    await openJournal();
    await expect(sql('INSERT INTO cluster_leader (singleton, epoch) VALUES (false, 9)')).rejects.toThrow(/check constraint/);
    await expect(sql('INSERT INTO cluster_leader DEFAULT VALUES')).rejects.toThrow(/duplicate key/);
    expect((await sql('SELECT count(*)::int AS c FROM cluster_leader')).rows[0]).toEqual({ c: 1 });
  });
});

describe('a standby (waitForLeadership)', () => {
  it('waits past lockWaitMs without limit, says who leads, and takes over with the next epoch and the whole chain', async () => {
    const a = await openJournal({ identity: () => ({ nodeId: 'node-a', httpUrl: 'http://a:8080' }) });
    await a.append('a', 1).durable;
    const told: { holder: string; nodeId: string | null; epoch: number }[] = [];
    const b = journal({ waitForLeadership: true, lockWaitMs: 1, identity: () => ({ nodeId: 'node-b' }), onWaitingForLock: (holder, l) => told.push({ holder, nodeId: l.nodeId, epoch: l.epoch }) });
    const opening = b.open();
    await waitFor(() => told.length > 0, 'the standby to say who leads');
    expect(told).toEqual([{ holder: expect.stringMatching(/^server backend \d+, "home-care-hub journal writer/), nodeId: 'node-a', epoch: 1 }]);
    // Far past lockWaitMs (1 ms) it is still polling, not refused.
    const holderPid = Number(told[0]!.holder.match(/server backend (\d+)/)![1]);
    const standbyPid = (await writerBackends()).find((w) => w.pid !== holderPid)!.pid;
    await statementsBy(standbyPid, 5, 'the standby to keep polling');
    await a.append('a', 2).durable;
    await a.close();
    await opening;
    expect(b.leaderEpoch).toBe(2);
    expect(b.lastN).toBe(2);
    await b.append('b', 3).durable;
    expect(told).toHaveLength(1); // no new leader came between
    await withClient(db.url, async (c) => expect(await verifyPgJournal(c)).toEqual({ ok: true, lines: 3 }));
  });

  it('is told again when another node becomes leader while it waits', async () => {
    const a = await openJournal({ identity: () => ({ nodeId: 'node-a' }) });
    const heard = { b: [] as string[], c: [] as string[] };
    const standby = (name: 'b' | 'c') =>
      journal({ waitForLeadership: true, identity: () => ({ nodeId: `node-${name}` }), onWaitingForLock: (_h, l) => heard[name].push(`${l.nodeId}@${l.epoch}`) });
    const b = standby('b');
    const c = standby('c');
    const opens = [b.open(), c.open()];
    await waitFor(() => heard.b.length > 0 && heard.c.length > 0, 'both standbys waiting');
    await a.close();
    const winner = await Promise.race(opens.map((p, i) => p.then(() => [b, c][i]!)));
    const loser = winner === b ? 'c' : 'b';
    const winnerName = winner === b ? 'node-b' : 'node-c';
    await waitFor(() => heard[loser].length === 2, 'the other standby to hear of the new leader');
    expect(heard[loser]).toEqual(['node-a@1', `${winnerName}@2`]);
  });

  it('outlasts a lost connection while it waits, and stops waiting when closed', async () => {
    const a = await openJournal({ identity: () => ({ nodeId: 'node-a' }) });
    const waits: number[] = [];
    const b = journal({ waitForLeadership: true, onWaitingForLock: (_h, l) => waits.push(l.epoch) });
    const opening = b.open();
    await waitFor(() => waits.length === 1, 'the standby waiting');
    const holderPid = Number((await sql<{ pid: number }>(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)).rows[0]!.pid);
    await withAdmin((c) => c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'home-care-hub journal writer%' AND pid <> $2", [db.name, holderPid]));
    await waitFor(() => waits.length === 2, 'the standby waiting again on a new connection');
    await a.close();
    await opening;
    expect(b.leaderEpoch).toBe(2);
    const cWaits: number[] = [];
    const c = journal({ waitForLeadership: true, onWaitingForLock: (_h, l) => cWaits.push(l.epoch) });
    const cOpening = c.open().then(
      () => 'opened',
      (err: Error) => err.message,
    );
    await waitFor(() => cWaits.length === 1, 'a second standby waiting');
    await c.close(); // while it waits for b
    expect(await cOpening).toMatch(/ended while waiting for the lock/);
    expect((await writerBackends()).length).toBe(1);
  });
});

describe("the writer session's lease", () => {
  it('runs with the lease as idle timeouts, and the keep-alive holds the lock through several leases of idleness', async () => {
    const j = await openJournal({ leaseMs: 1_000 });
    const writer = (j as unknown as { writer: { query(t: string): Promise<pg.QueryResult> } }).writer;
    const settings = await writer.query("SELECT current_setting('idle_session_timeout') AS s, current_setting('idle_in_transaction_session_timeout') AS t");
    expect(settings.rows[0]).toEqual({ s: '1s', t: '1s' });
    const [backend] = await writerBackends();
    // Pings every ~200–400 ms: 8 of them span well over two leases with nothing else to do.
    await statementsBy(backend!.pid, 8, 'eight keep-alive pings');
    expect((await writerBackends()).map((b) => b.pid)).toEqual([backend!.pid]);
    expect(await leaderNow()).toMatchObject({ epoch: 1, held: true });
    await j.append('still', 'leading').durable;
    expect(j.healthy).toBe(true);
  });

  it('without pings (a frozen leader), the server ends the session within the lease: the lock is free and a leader in a cluster learns it lost', async () => {
    const lost: Error[] = [];
    const j = await openJournal({ leaseMs: 1_000, waitForLeadership: true });
    j.onLeadershipLost((err) => lost.push(err));
    // What a frozen process stops: its pings and its partitions' renewals, the session's only statements when idle.
    const writer = (j as unknown as { writer: { keepAlive: { stop(): void }; renewTimer: NodeJS.Timeout } }).writer;
    writer.keepAlive.stop();
    clearInterval(writer.renewTimer);
    const stoppedAt = Date.now();
    await waitFor(async () => !(await leaderNow()).held, 'the lock to be released by the server', 15_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(500);
    await waitFor(() => lost.length === 1, 'leadership lost');
    expect(lost[0]!.message).toMatch(/the leader's database session ended \(.*idle-session timeout.*\)/);
    await expect(j.append('late', 1).durable).rejects.toThrow(/session ended/);
    expect(await rowCount()).toBe(0);
  });

  it('a statement that gets no answer (packets dropped, nothing reset) shows within a fifth of the lease; a cluster leader then loses leadership at the lease, and the line is refused, not written', async () => {
    const lost: Error[] = [];
    const { j, proxy } = await journalThroughProxy({ leaseMs: 1_000, waitForLeadership: true });
    j.onLeadershipLost((err) => lost.push(err));
    await j.append('before', 1).durable;
    proxy.blackhole();
    const sentAt = Date.now();
    const line = j.append('into the void', 2).durable;
    line.catch(() => undefined); // looked at below
    await waitFor(() => !j.healthy, 'the journal to say the database does not answer', 5_000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(200);
    expect(j.lastError).toMatch(/PostgreSQL database .* has not answered the journal writer for \d+\.\d s/);
    await waitFor(() => lost.length === 1, 'leadership lost', 10_000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_000);
    expect(lost[0]!.message).toMatch(/did not answer within the lease \(1000 ms\)/);
    await expect(line).rejects.toThrow(/leadership lock went with it/);
    expect(await rowCount()).toBe(1);
  });

  it('a hub alone whose statement gets no answer drops the connection at the lease and commits the same line on a new one once the network is back', async () => {
    const { j, proxy } = await journalThroughProxy({ leaseMs: 1_000 });
    await j.append('before', 1).durable;
    proxy.blackhole();
    const line = j.append('through the outage', 2).durable;
    await waitFor(() => /did not answer within the lease/.test(j.lastError ?? ''), 'the silent connection to be dropped', 10_000);
    await proxy.restore();
    await line;
    expect(j.healthy).toBe(true);
    expect((await sql<{ type: string }>('SELECT type FROM journal ORDER BY n')).rows.map((r) => r.type)).toEqual(['before', 'through the outage']);
    expect(await leaderNow()).toMatchObject({ epoch: 1, held: true });
  });

  it('refuses a lease that is not a whole number of at least 1000 ms, before connecting', async () => {
    for (const leaseMs of [0, 999, 1_500.5, Number.NaN]) {
      expect(() => journal({ leaseMs }), String(leaseMs)).toThrow(/leader lease must be a whole number of milliseconds, at least 1000/);
    }
    expect(await writerBackends()).toEqual([]);
  });
});

describe('losing leadership', () => {
  it('a hub alone reconnects after its session was ended and keeps its epoch when nobody else led', async () => {
    const lost: Error[] = [];
    const j = await openJournal();
    j.onLeadershipLost((err) => lost.push(err));
    await j.append('a', 1).durable;
    await terminateBackends();
    await j.append('b', 2).durable;
    expect(j.leaderEpoch).toBe(1);
    expect(await leaderNow()).toMatchObject({ epoch: 1, held: true });
    expect(lost).toEqual([]);
  });

  it('a hub alone whose epoch moved while it was disconnected stops for good, tells the listener once, and writes nothing', async () => {
    const lost: Error[] = [];
    const errors: Error[] = [];
    // A long lease: no keep-alive ping may reconnect before the other leader below has come and gone.
    const j = await openJournal({ leaseMs: 60_000, onError: (e) => errors.push(e) });
    j.onLeadershipLost((err) => lost.push(err));
    await j.append('a', 1).durable;
    await terminateBackends();
    // Another leader came and went meanwhile: took the lock, started epoch 2, ended.
    await withClient(db.url, async (c) => {
      await c.query('SELECT pg_advisory_lock($1, $2)', [...JOURNAL_LOCK]);
      await c.query("UPDATE cluster_leader SET epoch = epoch + 1, node_id = 'node-z', since = now()");
    });
    await expect(j.append('b', 2).durable).rejects.toThrow(/node node-z leads the journal since .* \(epoch 2; this process led epoch 1\)/);
    expect(lost).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(j.healthy).toBe(false);
    expect(j.lastError).toMatch(/journal write failed/);
    await expect(j.append('c', 3).durable).rejects.toThrow(/journal is unhealthy/);
    expect(await rowCount()).toBe(1);
    const late: Error[] = [];
    j.onLeadershipLost((err) => late.push(err)); // registered after the fact: told at once
    expect(late).toEqual([lost[0]]);
  });

  it('a cluster leader whose session ends loses leadership at once, without reconnecting, and refuses appends', async () => {
    const lost: Error[] = [];
    const j = await openJournal({ waitForLeadership: true, identity: () => ({ nodeId: 'node-a' }) });
    j.onLeadershipLost((err) => lost.push(err));
    await j.append('a', 1).durable;
    await terminateBackends();
    await waitFor(() => lost.length === 1, 'leadership lost');
    expect(j.healthy).toBe(false);
    expect(j.lastError).toMatch(/the leader's database session ended/);
    await expect(j.append('b', 2).durable).rejects.toThrow(/leadership lock went with it/);
    expect(await leaderNow()).toMatchObject({ epoch: 1, nodeId: 'node-a', held: false });
    expect(await rowCount()).toBe(1);
  });
});
