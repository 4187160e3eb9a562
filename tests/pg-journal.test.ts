/**
 * What only the PostgreSQL journal has to get right (issue 11), against this
 * machine's real server: the insert-only rows, synchronous_commit, a
 * database that goes away and comes back (pg_terminate_backend and refused
 * connections — the same batch retried, nothing lost), a retry after a
 * COMMIT whose outcome was unknown, the unique device message key, and the
 * start-up refusals (unreachable, newer schema). The contract shared with the
 * files is in journal-store.test.ts.
 */
import { readdir } from 'node:fs/promises';
import pgLib from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupError } from '../hub/core/data-dir.js';
import { formatEntry, GENESIS_PREV, hashLine } from '../hub/storage/journal-format.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal, type PgJournalOptions } from '../hub/storage/postgres/journal-pg.js';
import { JOURNAL_LOCK } from '../hub/storage/postgres/journal-writer-connection.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { waitFor } from './helpers/wait-for.js';
import { usePgDatabase } from './helpers/pg-database.js';

const { Client } = pgLib;
const pg = usePgDatabase();
const opened: PgJournal[] = [];
const AT = Date.parse('2024-03-01T08:00:00.000Z');

afterEach(async () => {
  await pg.allowConnections(true);
  await Promise.all(opened.splice(0).map((j) => j.close()));
  await pg.resetSchema();
});

async function openJournal(options: Partial<PgJournalOptions> = {}): Promise<PgJournal> {
  const db = new PgDatabase({ url: pg.url, probeEveryMs: { healthy: 200, unhealthy: 50 } });
  const j = new PgJournal({ db, now: () => AT, retryDelayMs: { min: 10, max: 100 }, closeTimeoutMs: 2_000, ...options });
  opened.push(j);
  await j.open();
  return j;
}

async function rowCount(): Promise<number> {
  return Number((await pg.query<{ c: string }>('SELECT count(*) AS c FROM journal')).rows[0]?.c);
}

describe('audit rows are insert-only', () => {
  it("refuses UPDATE, DELETE and TRUNCATE on the hub's own connection, and leaves the rows as they were", async () => {
    const j = await openJournal({ messageKeyOf: () => ({ deviceId: 'br-1', seq: 1 }) });
    await j.append('audit', { action: 'login' }).durable;
    const db = (j as unknown as { db: PgDatabase }).db;
    for (const sql of [
      "UPDATE journal SET data = '{\"action\":\"logout\"}' WHERE n = 1",
      'DELETE FROM journal WHERE n = 1',
      'TRUNCATE journal CASCADE',
      'UPDATE device_messages SET seq = 2',
      'DELETE FROM device_messages',
    ]) {
      await expect(db.query(sql), sql).rejects.toThrow(/insert-only/);
    }
    expect(await rowCount()).toBe(1);
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 1 });
  });

  it('runs every hub connection with synchronous_commit on', async () => {
    const j = await openJournal();
    const db = (j as unknown as { db: PgDatabase }).db;
    const results = await Promise.all([1, 2, 3].map(() => db.query<{ synchronous_commit: string }>('SHOW synchronous_commit')));
    expect(results.map((r) => r.rows[0]?.synchronous_commit)).toEqual(['on', 'on', 'on']);
  });
});

describe('a database that goes away and comes back', () => {
  it('reconnects after its backends are terminated while idle, and loses nothing', async () => {
    const j = await openJournal();
    await j.append('a', 1).durable;
    expect(await pg.terminateBackends()).toBeGreaterThan(0);
    await j.append('b', 2).durable;
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 2 });
  });

  it('holds the durable promises while connections are refused, reports it, and commits the same lines once they are allowed', async () => {
    const j = await openJournal();
    await j.append('before', 0).durable;
    await pg.allowConnections(false);
    await pg.terminateBackends();
    await waitFor(() => !j.healthy, 'journal unhealthy');
    expect(j.lastError).toMatch(new RegExp(`PostgreSQL database ${pg.name} on 127\\.0\\.0\\.1:5432 unreachable`));

    let settled = false;
    const pending = Array.from({ length: 20 }, (_, i) => j.append('during', { i }));
    void Promise.all(pending.map((p) => p.durable)).finally(() => (settled = true));
    await waitFor(() => j.stats.flushes === 1 && (j as unknown as { stalled?: string }).stalled !== undefined, 'the flush to fail at least once');
    expect(settled).toBe(false);
    expect(j.durableN).toBe(1);

    await pg.allowConnections(true);
    await Promise.all(pending.map((p) => p.durable));
    await waitFor(() => j.healthy, 'journal healthy again');
    expect(j.durableN).toBe(21);
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 21 });
  });

  it('asks whether a batch went in before sending it again after a lost reply (the COMMIT went through): written once, numbered as committed', async () => {
    const j = await openJournal();
    await pg.allowConnections(false);
    await pg.terminateBackends();
    await waitFor(() => !j.healthy, 'journal unhealthy');
    const { entry, durable } = j.append('alert.raised', { id: 'al-1' });
    await waitFor(() => (j as unknown as { stalled?: string }).stalled !== undefined, 'a failed attempt');
    // What the lost COMMIT left behind: this writer session's batch 1, committed through another connection.
    const session = (j as unknown as { session: string }).session;
    const lease = (await pg.query<{ owner: string; epoch: string }>('SELECT owner, epoch FROM partition_lease WHERE partition = -1')).rows[0]!;
    await pg.query(
      "SELECT * FROM journal_append_batch($1, '{-1}', ARRAY[$2::bigint], $3, 1, ARRAY[$4], '{alert.raised}', ARRAY['\"alert.raised\"'], ARRAY[$5], '{-1}', '{}', '{}', '{}', '{}', false)",
      [lease.owner, lease.epoch, session, entry.at, JSON.stringify(entry.data)],
    );
    await pg.allowConnections(true);
    await durable;
    expect(j.healthy).toBe(true);
    expect(entry.n).toBe(1);
    expect(entry.prev).toBe(GENESIS_PREV);
    expect(await rowCount()).toBe(1); // not sent a second time
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 1 });
    const next = j.append('alert.acked', { id: 'al-1' });
    await next.durable;
    expect(next.entry.n).toBe(2);
    expect(next.entry.prev).toBe(hashLine(formatEntry(entry)));
  });

  it('gives up for good when rows were written without moving the counter (the numbers it hands out are taken), and says so', async () => {
    const errors: Error[] = [];
    const j = await openJournal({ onError: (e) => errors.push(e) });
    await pg.query('INSERT INTO journal (n, at, type, data, prev, hash) VALUES (1, now(), $1, $2, $3, $4)', ['other', '{}', GENESIS_PREV, 'f'.repeat(64)]);
    const { durable } = j.append('alert.raised', { id: 'al-1' });
    await expect(durable).rejects.toThrow(/rows were written into the journal without moving its counter.*restart the hub, which moves the counter to the last line when it opens/);
    expect(errors).toHaveLength(1);
    expect(j.healthy).toBe(false);
    expect(await rowCount()).toBe(1);
    await expect(j.append('later', 1).durable).rejects.toThrow(/journal is unhealthy/);
    // Whoever waits for "everything appended so far" (a PUBACK that appended nothing) hears it too.
    await expect(j.whenDurable()).rejects.toThrow(/journal is unhealthy/);
    // What the message says to do works: restarted, the journal numbers its next line after the hand-written one.
    await j.close();
    const restarted = await openJournal();
    const next = restarted.append('after.restart', 1);
    await next.durable;
    expect(next.entry.n).toBe(2);
  });
});

describe('one writer per database (the advisory lock)', () => {
  it('refuses a second journal on the same database after waiting, in one line naming the holder, and changes nothing', async () => {
    const first = await openJournal();
    await first.append('a', 1).durable;
    const waited: string[] = [];
    const second = openJournal({ lockWaitMs: 300, onWaitingForLock: (holder) => waited.push(holder) });
    await expect(second).rejects.toThrow(StartupError);
    await expect(second).rejects.toThrow(/being written by another process \(server backend \d+, "home-care-hub journal writer \(pid \d+\)"/);
    expect(waited).toHaveLength(1);
    // The first writer is untouched and carries on.
    await first.append('b', 2).durable;
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 2 });
  });

  it('opens as soon as the holder ends, replays what it wrote, and continues the chain', async () => {
    const first = await openJournal();
    await first.append('a', 1).durable;
    let waiting!: () => void;
    const isWaiting = new Promise<void>((resolve) => (waiting = resolve));
    const second = openJournal({ lockWaitMs: 60_000, onWaitingForLock: () => waiting() });
    await isWaiting;
    first.append('b', 2); // still pending when close() starts: close writes it, then lets the lock go
    await first.close();
    const j = await second;
    expect(j.lastN).toBe(2);
    await j.append('c', 3).durable;
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 3 });
  });

  it('stops writing for good when another session took the lock while its connection was down', async () => {
    const errors: Error[] = [];
    // A long lease: no keep-alive ping (every lease/5 when idle) may reconnect before the thief takes the lock.
    const j = await openJournal({ lockWaitMs: 200, leaseMs: 60_000, onError: (e) => errors.push(e) });
    await j.append('a', 1).durable;
    await pg.terminateBackends();
    const [classId, objId] = JOURNAL_LOCK;
    const thief = new Client({ connectionString: pg.url });
    await thief.connect();
    try {
      await thief.query('SELECT pg_advisory_lock($1, $2)', [classId, objId]);
      await expect(j.append('b', 2).durable).rejects.toThrow(/being written by another process/);
      expect(errors).toHaveLength(1);
      expect(await rowCount()).toBe(1);
    } finally {
      await thief.end();
    }
  });
});

describe('the unique device message key', () => {
  const keyOf = (_type: string, data: unknown) => data as { deviceId: string; seq: number; ts?: number };

  it('is claimed with the lines of a message, once, and is found by isJournaled only once they are committed', async () => {
    const j = await openJournal({ messageKeyOf: keyOf });
    const key = { deviceId: 'br-1', seq: 7, ts: 1_700_000_000_000 };
    expect(await j.isJournaled(key)).toBe(false);
    // Two rules on one event: two lines, one message.
    const a = j.append('alert.raised', key);
    const b = j.append('alert.raised', key);
    await Promise.all([a.durable, b.durable]);
    expect(await j.isJournaled(key)).toBe(true);
    expect(await j.isJournaled({ ...key, ts: key.ts + 1 })).toBe(false); // same seq, new ts: a restarted counter
    expect(await j.isJournaled({ deviceId: 'br-1', seq: 7 })).toBe(false);
    expect((await pg.query('SELECT device_id, seq::int, ts::text, n::int FROM device_messages')).rows).toEqual([{ device_id: 'br-1', seq: 7, ts: String(key.ts), n: 1 }]);
  });

  it('treats a message without ts as one message (NULLS NOT DISTINCT), and stores a repeat in the chain with a warning', async () => {
    const warnings: string[] = [];
    const j = await openJournal({ messageKeyOf: keyOf, onWarning: (m) => warnings.push(m) });
    await j.append('alert.raised', { deviceId: 'br-2', seq: 3 }).durable;
    expect(await j.isJournaled({ deviceId: 'br-2', seq: 3 })).toBe(true);
    await j.append('alert.occurrence', { deviceId: 'br-2', seq: 3 }).durable;
    expect(warnings).toEqual([expect.stringMatching(/device br-2 message seq=3 was already journaled; line n=2/)]);
    expect(await rowCount()).toBe(2);
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 2 });
  });
});

describe('skipping the look-up for keys newer than any held (one writer knows them all)', () => {
  const keyOf = (_type: string, data: unknown) => data as { deviceId: string; seq: number; ts?: number };

  it('answers from what it wrote and, after a reopen, from what it replayed; anything not newer goes to the look-up', async () => {
    const j = await openJournal({ messageKeyOf: keyOf });
    expect(j.isSurelyNew({ deviceId: 'br-1', seq: 1, ts: 1_000 })).toBe(true); // nothing held for br-1
    await j.append('alert.raised', { deviceId: 'br-1', seq: 5, ts: 2_000 }).durable;
    await j.append('alert.raised', { deviceId: 'sm-1', seq: 9 }).durable;
    await j.close();

    const again = await openJournal({ messageKeyOf: keyOf });
    const answers = [
      { deviceId: 'br-1', seq: 5, ts: 2_000 }, // the very key: a retransmission
      { deviceId: 'br-1', seq: 6, ts: 1_999 }, // older ts: could be an old message
      { deviceId: 'br-1', seq: 1, ts: 2_001 }, // later ts: a new message (or a restarted counter)
      { deviceId: 'sm-1', seq: 9 }, // no ts, same seq
      { deviceId: 'sm-1', seq: 10 }, // no ts, higher seq
      { deviceId: 'sm-2', seq: 0 }, // a device with nothing held
    ].map((k) => again.isSurelyNew(k));
    expect(answers).toEqual([false, false, true, false, true, true]);
    // Where it says "not sure", the database decides.
    expect(await again.isJournaled({ deviceId: 'br-1', seq: 5, ts: 2_000 })).toBe(true);
    expect(await again.isJournaled({ deviceId: 'br-1', seq: 6, ts: 1_999 })).toBe(false);
  });
});

describe('start-up', () => {
  it('stops with one line naming HUB_DATABASE_URL when the database cannot be reached', async () => {
    const db = new PgDatabase({ url: 'postgres://hub:secret-pw@127.0.0.1:1/nowhere' });
    const err = await db.ready().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/^cannot connect to HUB_DATABASE_URL \(PostgreSQL database nowhere on 127\.0\.0\.1:1\): .*ECONNREFUSED.*; start the database server/);
    expect((err as Error).message).not.toContain('secret-pw');
    expect((err as Error).message).not.toContain('\n');
    db.acquire();
    await db.release();
  });

  it('refuses a database migrated by a newer release, in one line, and changes nothing', async () => {
    await (await openJournal()).close();
    await pg.query("INSERT INTO pgmigrations (name, run_on) VALUES ('0002_from-the-future', now())");
    const before = (await pg.query("SELECT count(*)::int AS c FROM information_schema.tables WHERE table_schema = 'public'")).rows[0];
    const db = new PgDatabase({ url: pg.url });
    const err = await db.ready().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toMatch(/has schema migration 0002_from-the-future, newer than this hub understands .*run the newer hub, or restore a backup/);
    expect((await pg.query("SELECT count(*)::int AS c FROM information_schema.tables WHERE table_schema = 'public'")).rows[0]).toEqual(before);
    db.acquire();
    await db.release();
  });

  it('records the applied migrations and does not run them twice', async () => {
    await (await openJournal()).close();
    await (await openJournal()).close();
    const names = (await pg.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id')).rows.map((r) => r.name);
    expect(names[0]).toBe('0001_registry-and-journal');
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength((await readdir(new URL('../hub/storage/postgres/migrations/', import.meta.url))).filter((f) => f.endsWith('.sql')).length);
  });
});

describe('verifying the chain in the database', () => {
  it('finds an edited row even when it was changed around the trigger', async () => {
    const j = await openJournal();
    for (let i = 0; i < 3; i++) await j.append('audit', { i }).durable;
    // A superuser can switch triggers off; the hash chain still shows the edit.
    const client = await pg.query("SET session_replication_role = replica; UPDATE journal SET data = '{\"i\":99}' WHERE n = 2; SET session_replication_role = origin;").catch((e: Error) => e);
    expect(client).not.toBeInstanceOf(Error);
    expect(await verifyPgJournal(pg)).toEqual({ ok: false, lines: 1, n: 2, reason: expect.stringMatching(/hash column does not match/) });
  });
});
