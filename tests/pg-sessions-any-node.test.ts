/**
 * Sessions valid on every node, ended on every node at once (DESIGN.md §8,
 * §11; hub/auth/sessions.ts, hub/storage/postgres/sessions-pg.ts): two
 * nodes, each with its own connection pool, PgSessions and SessionStore, on
 * this file's fresh PostgreSQL database. A token created on one is accepted
 * by the other after one store lookup; a revocation on one reaches the
 * other's revoke listeners (what closes a WebSocket) through NOTIFY, waited
 * for as an event; unknown tokens cost at most the lookup budget in queries;
 * a revocation whose announcement was missed is caught up after the
 * listening connection comes back.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useLater } from './helpers/cleanup.js';
import { SessionStore, type RevokeReason, type Session } from '../hub/auth/sessions.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgSessions, SESSIONS_CHANNEL } from '../hub/storage/postgres/sessions-pg.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { waitFor } from './helpers/wait-for.js';

const database = usePgDatabase();
const later = useLater();

interface Node {
  sessions: SessionStore;
  store: PgSessions;
  /** Store lookups of one token (find) this node made. */
  finds: number;
  /** Holds every find until released (after the row was read), when set. */
  gate?: Promise<void>;
  revoked: { session: Session; reason: RevokeReason }[];
}

async function node(lookups = { perSec: 100, burst: 200 }): Promise<Node> {
  const db = new PgDatabase({ url: database.url });
  await db.ready();
  const store = new PgSessions(db);
  const n: Node = { sessions: new SessionStore({ store, unknownTokenLookups: lookups }), store, finds: 0, revoked: [] };
  const find = store.find.bind(store);
  store.find = async (digest, now) => {
    n.finds += 1;
    const found = await find(digest, now);
    await n.gate;
    return found;
  };
  n.sessions.onRevoked((session, reason) => n.revoked.push({ session, reason }));
  await n.sessions.start();
  later(() => n.sessions.stop()); // closes the store, which releases the database
  return n;
}

/** Resolves at this node's next revocation: what a WebSocket of the session hears (stream-server.ts closes it there). */
function nextRevocation(n: Node): Promise<{ session: Session; reason: RevokeReason }> {
  return new Promise((resolve) => {
    const off = n.sessions.onRevoked((session, reason) => {
      off();
      resolve({ session, reason });
    });
  });
}

const operator = { userId: 'u-op', username: 'op1', role: 'operator' as const, homeIds: [] };
const family = { userId: 'u-fam', username: 'fam1', role: 'family' as const, homeIds: ['home-1'] };
const digestOf = (token: string) => createHash('sha256').update(token).digest('base64url');

describe('sessions on every node (PostgreSQL)', () => {
  it('a login made on node A is accepted by node B, after one lookup', async () => {
    const a = await node();
    const b = await node();
    const { token } = await a.sessions.create(operator);
    expect(b.sessions.resolve(token)).toBeUndefined(); // not held: B started before the login
    const [first, second] = await Promise.all([b.sessions.lookup(token), b.sessions.lookup(token)]);
    expect(first).toMatchObject({ userId: 'u-op', role: 'operator' });
    expect(second).toEqual(first);
    expect(b.finds).toBe(1); // two requests at once: one query
    expect(b.sessions.resolve(token)).toMatchObject({ username: 'op1' }); // held now: the API's synchronous check accepts it
    await b.sessions.lookup(token);
    expect(b.finds).toBe(1);
  });

  it('a logout on A ends the session on B at once: its revoke listeners hear it, the token is refused', async () => {
    const a = await node();
    const b = await node();
    const { token } = await a.sessions.create(operator);
    await b.sessions.lookup(token);
    const heard = nextRevocation(b);
    await a.sessions.revoke(token);
    const { session, reason } = await heard;
    expect({ user: session.userId, reason }).toEqual({ user: 'u-op', reason: 'logged out' });
    expect(b.sessions.resolve(token)).toBeUndefined();
    expect(await b.sessions.lookup(token)).toBeUndefined();
  });

  it("a user disabled on A: every one of their sessions ends on B with A's reason", async () => {
    const a = await node();
    const b = await node();
    const tokens = await Promise.all([a.sessions.create(family), a.sessions.create(family), a.sessions.create(operator)]);
    for (const { token } of tokens) await b.sessions.lookup(token);
    await a.sessions.revokeUser('u-fam', 'user disabled');
    await waitFor(() => b.revoked.length === 2, "B hearing both of the family user's sessions end");
    expect(b.revoked.map((r) => [r.session.userId, r.reason])).toEqual([
      ['u-fam', 'user disabled'],
      ['u-fam', 'user disabled'],
    ]);
    expect(b.sessions.resolve(tokens[2]!.token)).toMatchObject({ userId: 'u-op' }); // another user's session stays
  });

  it('a session revoked while B was reading it is not taken in by B', async () => {
    const a = await node();
    const b = await node();
    const { token } = await a.sessions.create(operator);
    let release!: () => void;
    b.gate = new Promise((resolve) => (release = resolve));
    const lookup = b.sessions.lookup(token);
    await waitFor(() => b.finds === 1, 'B reading the session');
    // Let the read see the row, then end the session on A before B's answer is used.
    const noticesBefore = b.sessions.revocationCounts.notices;
    await a.sessions.revoke(token);
    await waitFor(() => b.sessions.revocationCounts.notices > noticesBefore, 'B hearing the logout');
    release();
    expect(await lookup).toBeUndefined();
    expect(b.sessions.holds(token)).toBe(false);
  });

  it('unknown tokens are refused and query the database no more than the lookup budget allows', async () => {
    const b = await node({ perSec: 1, burst: 5 });
    const answers = await Promise.all(Array.from({ length: 200 }, () => b.sessions.lookup(randomBytes(32).toString('base64url'))));
    expect(answers.every((s) => s === undefined)).toBe(true);
    // 5 at once, plus at most one per second the test took.
    expect(b.finds).toBeGreaterThanOrEqual(5);
    expect(b.finds).toBeLessThanOrEqual(6);
    expect(b.sessions.lookupCounts.overBudget).toBe(200 - b.finds);
    // Over the budget a real login is refused too, until the budget refills: the price of not letting strangers load the database.
    const a = await node();
    const { token } = await a.sessions.create(operator);
    await waitFor(async () => (await b.sessions.lookup(token)) !== undefined, 'the budget refilled for a real token', 5_000);
  });

  it('a revocation whose announcement B missed (its listening connection was down) is caught up when B listens again', async () => {
    const a = await node();
    const b = await node();
    const { token } = await a.sessions.create(operator);
    const other = await a.sessions.create(family);
    await b.sessions.lookup(token);
    await b.sessions.lookup(other.token);
    // Another node removes the row without an announcement B could hear (what a NOTIFY sent while B's LISTEN was down amounts to)…
    await database.query('DELETE FROM sessions WHERE digest = $1', [digestOf(token)]);
    expect(b.sessions.resolve(token)).toBeDefined();
    // …and B's listening connection is cut: it reconnects, then checks every session it holds.
    const checks = b.sessions.revocationCounts.checks;
    const heard = nextRevocation(b);
    const killed = await database.query<{ n: number }>(
      'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [`home-care-hub listen ${SESSIONS_CHANNEL}`],
    );
    expect(killed.rows[0]!.n).toBe(2); // A's and B's
    expect((await heard).session.userId).toBe('u-op');
    await waitFor(() => b.sessions.revocationCounts.checks > checks, "B's catch-up check done");
    expect(b.sessions.resolve(token)).toBeUndefined();
    expect(b.sessions.resolve(other.token)).toMatchObject({ userId: 'u-fam' }); // still stored: kept
    // Listening again: the next logout on A is heard as before.
    const next = nextRevocation(b);
    await a.sessions.revoke(other.token);
    expect((await next).reason).toBe('logged out');
  });

  it('a session created on a node while it catches up is not taken for ended', async () => {
    const b = await node();
    const { token } = await b.sessions.create(operator);
    const checks = b.sessions.revocationCounts.checks;
    await database.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', [`home-care-hub listen ${SESSIONS_CHANNEL}`]);
    const created = await b.sessions.create(family);
    await waitFor(() => b.sessions.revocationCounts.checks > checks, "B's catch-up check done");
    expect(b.revoked).toEqual([]);
    expect(b.sessions.resolve(token)).toBeDefined();
    expect(b.sessions.resolve(created.token)).toBeDefined();
  });
});
