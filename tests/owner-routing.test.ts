/**
 * A node's front routes a home's writes to the owner of the home's partition
 * (issue 12 step 3 item 4; hub/cluster/home-of-request.ts, owner-router.ts,
 * leader-proxy.ts `owners`). Real HTTP servers on 127.0.0.1 port 0: a leader
 * stand-in, and two nodes A and B, each a LeaderProxy front whose own API is a
 * small real handler saying which node ran the request and whether its
 * session was known there. The end-to-end case runs on PostgreSQL: leases
 * taken by two real balancers, addresses announced in cluster_node, read by
 * each node's PgPartitionDirectory, and a session created on another node.
 */
import { once } from 'node:events';
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { describe, expect, it } from 'vitest';
import { useLater } from './helpers/cleanup.js';
import { SessionStore } from '../hub/auth/sessions.js';
import { sessionCookieFrom, tokenFrom } from '../hub/auth/session-token.js';
import { holdBody, type HeldBody } from '../hub/cluster/held-body.js';
import { bodyHomeRoute, HOME_WRITE_ROUTES, homeOfRequest, LEADER_WRITE_ROUTES, registryRecordOfRequest, routedPath, type BodyHomeRoute, type HomeLookups, type PathHomeRoute } from '../hub/cluster/home-of-request.js';
import { LeaderProxy, type LeaderProxyDeps, type OwnerRouting } from '../hub/cluster/leader-proxy.js';
import { ownerRouter } from '../hub/cluster/owner-router.js';
import { silentLogger } from '../hub/core/logger.js';
import { FixedPartitionDirectory, type PartitionDirectory } from '../hub/core/partition-directory.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { NodeAnnouncer } from '../hub/storage/postgres/cluster-node-pg.js';
import { PgPartitionDirectory } from '../hub/storage/postgres/partition-directory-pg.js';
import { PartitionOwner } from '../hub/storage/postgres/partition-owner.js';
import { PgSessions } from '../hub/storage/postgres/sessions-pg.js';
import { createPgDatabase } from './helpers/pg-database.js';
import { rawHttp } from './helpers/raw-http.js';
import { settle } from './helpers/settle-owners.js';
import { startTestHub } from './helpers/test-hub.js';

const later = useLater();

/** What a server saw: who ran it, and the request as it arrived. */
interface Seen {
  served: string;
  method: string;
  url: string;
  forwardedBy: string | null;
  body: string;
  /** The Content-Length it came with (null: chunked). */
  length: string | null;
  signedIn?: boolean;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  later(async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A real handler standing for an API: answers what it saw (and, with sessions, 401 for a token neither held nor found in the store, as requireSession does). */
function recordingApi(name: string, seen: Seen[], sessions?: SessionStore) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const token = tokenFrom(req.headers.authorization, sessionCookieFrom(req.headers.cookie));
      const signedIn = sessions && token ? (sessions.resolve(token) ?? (await sessions.lookup(token))) !== undefined : undefined;
      const entry: Seen = { served: name, method: req.method!, url: req.url!, forwardedBy: (req.headers['x-hub-forwarded-by'] as string | undefined) ?? null, body: Buffer.concat(chunks).toString(), length: req.headers['content-length'] ?? null, ...(signedIn === undefined ? {} : { signedIn }) };
      seen.push(entry);
      const status = sessions && !signedIn ? 401 : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(entry));
    });
  };
}

const LOOKUPS: HomeLookups = {
  alertHome: (id) => ({ 'alr-a': 'home-a', 'alr-b': 'home-b', 'alr-orphan': 'home-orphan' })[id],
  deviceHome: (id) => ({ 'dev-a': 'home-a', 'dev-b': 'home-b' })[id],
  residentHome: (id) => ({ 'res-a': 'home-a', 'res-b': 'home-b' })[id],
  callbackHome: (id) => ({ 'cb-b': 'home-b' })[id],
  planHome: (id) => ({ 'plan-b': 'home-b' })[id],
};

/** home-a's partition is node-a's, home-orphan's nobody's, every other node-b's. */
const OWNERS = new FixedPartitionDirectory((p) => (p === partitionOfHome('home-a') ? 'node-a' : p === partitionOfHome('home-orphan') ? undefined : 'node-b'));

interface Cluster {
  leader: Seen[];
  a: Seen[];
  b: Seen[];
  urls: { leader: string; a: string; b: string };
  fronts: { a: LeaderProxy; b: LeaderProxy };
}

/** The leader stand-in and two fronts; `directoryOf` lets a node have its own (stale) view of the leases. */
async function cluster(directoryOf: (node: string) => PartitionDirectory = () => OWNERS, homeBody?: LeaderProxyDeps['homeBody']): Promise<Cluster> {
  const c: Cluster = { leader: [], a: [], b: [], urls: { leader: '', a: '', b: '' }, fronts: {} as Cluster['fronts'] };
  c.urls.leader = (await listen(recordingApi('leader', c.leader))).url;
  for (const node of ['a', 'b'] as const) {
    const nodeId = `node-${node}`;
    const owners: OwnerRouting = {
      route: ownerRouter({ nodeId, homeOf: (m, p) => homeOfRequest(m, p, LOOKUPS), directory: directoryOf(nodeId), urlOf: (id) => c.urls[id.slice(5) as 'a' | 'b'], leading: () => false }),
      local: recordingApi(nodeId, c[node]),
    };
    c.fronts[node] = front(nodeId, () => c.urls.leader, owners, homeBody);
    c.urls[node] = (await listen(c.fronts[node].requestListener)).url;
  }
  return c;
}

function front(nodeId: string, leaderUrl: () => string | undefined, owners?: OwnerRouting, homeBody?: LeaderProxyDeps['homeBody']): LeaderProxy {
  const proxy = new LeaderProxy({ nodeId, leaderUrl, health: (ctx: Context) => ctx.json({ ok: true }), log: silentLogger(), owners, homeBody });
  later(() => proxy.stop());
  return proxy;
}

async function send(url: string, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...init.headers }, ...(init.body === undefined ? {} : { body: init.body }) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as Seen & { error?: { code: string } } };
}

describe('the front routes a home’s writes to its owner', () => {
  it("a write for an alert of a home node B owns, sent to A, runs on B, body and all; one of A's home runs on A itself; a home-less write and a read go to the leader", async () => {
    const c = await cluster();
    const toB = await send(c.urls.a, 'POST', '/api/v1/alerts/alr-b/acknowledge', { body: '{"note":"on it"}' });
    expect(toB.status).toBe(200);
    expect(toB.json).toMatchObject({ served: 'node-b', url: '/api/v1/alerts/alr-b/acknowledge', forwardedBy: 'node-a', body: '{"note":"on it"}' });

    const local = await send(c.urls.a, 'POST', '/api/v1/alerts/alr-a/resolve', { body: '{"outcome":"resident_ok"}' });
    expect(local.json).toMatchObject({ served: 'node-a', forwardedBy: null, body: '{"outcome":"resident_ok"}' });

    expect((await send(c.urls.a, 'POST', '/api/v1/devices/dev-b/configure', { body: '{}' })).json.served).toBe('node-b');
    expect((await send(c.urls.b, 'PUT', '/api/v1/homes/home-a/geo', { body: '{}' })).json).toMatchObject({ served: 'node-a', forwardedBy: 'node-b' });
    expect((await send(c.urls.b, 'PATCH', '/api/v1/residents/res-b/profile', { body: '{}' })).json).toMatchObject({ served: 'node-b', forwardedBy: null });

    expect((await send(c.urls.a, 'POST', '/api/v1/users', { body: '{}' })).json).toMatchObject({ served: 'leader', forwardedBy: 'node-a' });
    expect((await send(c.urls.a, 'GET', '/api/v1/alerts/alr-b')).json.served).toBe('leader');
    expect(c.fronts.a.ownerCounts).toEqual({ local: 2, toOwner: 2, noOwner: 0 }); // local: its own alert, and B's write for home-a
  });

  it('an unknown alert id, an id nobody knows, and malformed paths go to the leader (which answers its 404), never a throw', async () => {
    const c = await cluster();
    for (const path of [
      '/api/v1/alerts/alr-unknown/acknowledge',
      '/api/v1/alerts/%E0%A4%A/acknowledge',
      '/api/v1/alerts//acknowledge',
      '/api/v1/alerts/alr-b/acknowledge/',
      '/api/v1/alerts/alr-b/acknowledge/extra',
      '/api/v1/devices/dev-unknown/revoke',
      '/api/v1/residents/%/away',
      '/api/v2/alerts/alr-b/acknowledge',
      '/alerts/alr-b/acknowledge',
    ]) {
      const answer = await send(c.urls.a, 'POST', path, { body: '{}' });
      expect({ path, served: answer.json.served }).toEqual({ path, served: 'leader' });
    }
    expect(c.a.length + c.b.length).toBe(0);
  });

  it('a forwarded request is never forwarded again: two nodes with opposite views of a lease do not bounce it', async () => {
    // A believes home-b is B's; B believes it is A's (a lease that just moved, read a second apart).
    const stale = new FixedPartitionDirectory((p) => (p === partitionOfHome('home-b') ? 'node-a' : 'node-b'));
    const c = await cluster((node) => (node === 'node-b' ? stale : OWNERS));
    const answer = await send(c.urls.a, 'POST', '/api/v1/alerts/alr-b/dispatch', { body: '{}' });
    expect(answer.status).toBe(503);
    expect(answer.retryAfter).toBe('2');
    expect(answer.json.error?.code).toBe('no_owner');
    expect([c.a.length, c.b.length, c.leader.length]).toEqual([0, 0, 0]);

    // Sent to B already marked by another node: B runs what it owns, refuses the rest, and a home-less one as before.
    const marked = { headers: { 'x-hub-forwarded-by': 'node-z' }, body: '{}' };
    expect((await send(c.urls.b, 'POST', '/api/v1/alerts/alr-a/dispatch', marked)).json).toMatchObject({ served: 'node-b', forwardedBy: 'node-z' }); // B's view: home-a is B's
    expect((await send(c.urls.a, 'POST', '/api/v1/alerts/alr-b/dispatch', marked)).status).toBe(503); // A's view: B's; not passed on
    const homeless = await send(c.urls.a, 'POST', '/api/v1/users', marked);
    expect([homeless.status, homeless.json.error?.code]).toEqual([503, 'no_leader']);
    expect(c.leader).toEqual([]);
  });

  it('nobody owning the partition is a 503 no_owner; an owner that does not answer a 502 owner_unreachable', async () => {
    const c = await cluster();
    const orphan = await send(c.urls.a, 'POST', '/api/v1/alerts/alr-orphan/acknowledge', { body: '{}' });
    expect([orphan.status, orphan.retryAfter, orphan.json.error?.code]).toEqual([503, '2', 'no_owner']);
    c.urls.b = 'http://127.0.0.1:1'; // nothing listens there
    const down = await send(c.urls.a, 'POST', '/api/v1/alerts/alr-b/acknowledge', { body: '{}' });
    expect([down.status, down.retryAfter, down.json.error?.code]).toEqual([502, '2', 'owner_unreachable']);
    expect(c.fronts.a.ownerCounts.noOwner).toBe(1);
  });

  it('without the owners option everything goes to the leader, as before', async () => {
    const leader: Seen[] = [];
    const leaderUrl = (await listen(recordingApi('leader', leader))).url;
    const plain = (await listen(front('node-a', () => leaderUrl).requestListener)).url;
    expect((await send(plain, 'POST', '/api/v1/alerts/alr-b/acknowledge', { body: '{}' })).json.served).toBe('leader');
    expect((await send(plain, 'POST', '/api/v1/homes/home-a/go-live', { body: '{}' })).json.served).toBe('leader');
    const marked = await send(plain, 'POST', '/api/v1/alerts/alr-b/acknowledge', { headers: { 'x-hub-forwarded-by': 'node-z' }, body: '{}' });
    expect([marked.status, marked.json.error?.code]).toEqual([503, 'no_leader']);
  });

  it('the leader itself, with owners, runs the home-less requests and its own homes locally and passes the others to their owners', async () => {
    const mine: Seen[] = [];
    const b: Seen[] = [];
    const bUrl = (await listen(recordingApi('node-b', b))).url;
    const owners: OwnerRouting = {
      route: ownerRouter({ nodeId: 'node-a', homeOf: (m, p) => homeOfRequest(m, p, LOOKUPS), directory: OWNERS, urlOf: () => bUrl, leading: () => true }),
      local: recordingApi('node-a', mine),
    };
    const url = (await listen(front('node-a', () => undefined, owners).requestListener)).url;
    expect((await send(url, 'POST', '/api/v1/users', { body: '{}' })).json.served).toBe('node-a');
    expect((await send(url, 'GET', '/api/v1/homes')).json.served).toBe('node-a');
    expect((await send(url, 'POST', '/api/v1/alerts/alr-a/notes', { body: '{}' })).json.served).toBe('node-a');
    expect((await send(url, 'POST', '/api/v1/alerts/alr-b/notes', { body: '{}' })).json.served).toBe('node-b');
  });
});

/** A POST sent chunked (no Content-Length), in these pieces. */
async function sendChunked(url: string, path: string, pieces: string[], contentType = 'application/json') {
  const req = httpRequest(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, agent: false });
  for (const piece of pieces) req.write(piece);
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode, json: JSON.parse(Buffer.concat(chunks).toString()) as Seen };
}

/** A JSON body of exactly `size` bytes naming `home` (padded in a note). */
function sized(field: string, home: string, size: number): string {
  const bare = JSON.stringify({ [field]: home, note: '' });
  return JSON.stringify({ [field]: home, note: 'n'.repeat(size - Buffer.byteLength(bare)) });
}

describe('writes naming their home only in the body (held-body.ts)', () => {
  const BODY_ROUTES = [
    { path: '/api/v1/callbacks', field: 'homeId', a: 'home-a', b: 'home-b', rest: { dueAt: '2026-11-24T08:00:00+08:00', note: '回电 ☎' } },
    { path: '/api/v1/wellbeing-plans', field: 'homeId', a: 'home-a', b: 'home-b', rest: { everyDays: 7, firstDueAt: '2026-11-24T08:00:00+08:00' } },
    { path: '/api/v1/visits', field: 'residentId', a: 'res-a', b: 'res-b', rest: { visitedAt: '2026-11-24T08:00:00+08:00', condition: 'well', followUp: true } },
  ];

  it.each(BODY_ROUTES.map((r) => [r.path, r] as const))("POST %s reaches the owner of the home its body names, body intact; this node's own home runs here", async (_name, r) => {
    const c = await cluster();
    const toB = JSON.stringify({ ...r.rest, [r.field]: r.b });
    const viaA = await send(c.urls.a, 'POST', r.path, { body: toB });
    expect(viaA.status).toBe(200);
    expect(viaA.json).toMatchObject({ served: 'node-b', method: 'POST', url: r.path, forwardedBy: 'node-a', body: toB, length: String(Buffer.byteLength(toB)) });

    const toA = JSON.stringify({ [r.field]: r.a, ...r.rest });
    expect((await send(c.urls.a, 'POST', r.path, { body: toA, headers: { 'content-type': 'Application/JSON; charset=utf-8' } })).json).toMatchObject({ served: 'node-a', forwardedBy: null, body: toA });
    // Sent to B: B's own home runs on B, A's goes to A.
    expect((await send(c.urls.b, 'POST', r.path, { body: toB })).json).toMatchObject({ served: 'node-b', forwardedBy: null, body: toB });
    expect((await send(c.urls.b, 'POST', r.path, { body: toA })).json).toMatchObject({ served: 'node-a', forwardedBy: 'node-b', body: toA });

    // Chunked, up to the bound itself: read whole, sent on with its length.
    const atBound = sized(r.field, r.b, 16 * 1024);
    const chunked = await sendChunked(c.urls.a, r.path, [atBound.slice(0, 5), atBound.slice(5, 9000), atBound.slice(9000)]);
    expect(chunked.json).toMatchObject({ served: 'node-b', forwardedBy: 'node-a', body: atBound, length: String(16 * 1024) });

    expect(c.leader).toEqual([]);
    // A ran its own home and B's forward for it (read again on A: it runs there only if A owns the home).
    expect(c.fronts.a.ownerCounts).toEqual({ local: 2, toOwner: 2, noOwner: 0 });
    expect(c.fronts.a.bodyCounts).toEqual({ whole: 4, overBound: 0, timedOut: 0 });
  });

  it("routes by the body's field, never by a query the client wrote; a forwarded one runs only on the home's owner", async () => {
    const c = await cluster();
    const body = JSON.stringify({ homeId: 'home-b', dueAt: '2026-11-24T08:00:00+08:00' });
    expect((await send(c.urls.a, 'POST', '/api/v1/callbacks?homeId=home-a', { body })).json).toMatchObject({ served: 'node-b', url: '/api/v1/callbacks?homeId=home-a', body });
    const forged = await send(c.urls.a, 'POST', '/api/v1/callbacks?homeId=home-a', { body: '{"dueAt":"2026-11-24T08:00:00+08:00"}' });
    expect(forged.json).toMatchObject({ served: 'leader', forwardedBy: 'node-a' });

    // Already passed on by another node: B runs what it owns, refuses the rest (503, retry), passes nothing on.
    const marked = { 'x-hub-forwarded-by': 'node-z' };
    expect((await send(c.urls.b, 'POST', '/api/v1/visits', { headers: marked, body: '{"residentId":"res-b"}' })).json).toMatchObject({ served: 'node-b', forwardedBy: 'node-z', body: '{"residentId":"res-b"}' });
    const moved = await send(c.urls.b, 'POST', '/api/v1/visits', { headers: marked, body: '{"residentId":"res-a"}' });
    expect([moved.status, moved.retryAfter, moved.json.error?.code]).toEqual([503, '2', 'no_owner']);
    const homeless = await send(c.urls.b, 'POST', '/api/v1/visits', { headers: marked, body: '{"residentId":"res-nobody"}' });
    expect([homeless.status, homeless.json.error?.code]).toEqual([503, 'no_leader']);
    expect([c.a.length, c.leader.length]).toEqual([0, 1]);

    // Nobody holds the home's partition: 503 no_owner, as for a home in the path.
    const orphan = await send(c.urls.a, 'POST', '/api/v1/wellbeing-plans', { body: '{"homeId":"home-orphan"}' });
    expect([orphan.status, orphan.json.error?.code]).toEqual([503, 'no_owner']);
  });

  it('a body over the bound, not JSON, malformed, without its field, or naming nobody goes to the leader as it came', async () => {
    const c = await cluster();
    const cases: { name: string; path: string; body: string; type?: string }[] = [
      { name: 'over the bound by Content-Length', path: '/api/v1/callbacks', body: sized('homeId', 'home-b', 16 * 1024 + 1) },
      { name: 'far over the bound', path: '/api/v1/wellbeing-plans', body: sized('homeId', 'home-b', 300 * 1024) },
      { name: 'not JSON by its type', path: '/api/v1/callbacks', body: '{"homeId":"home-b"}', type: 'text/plain' },
      { name: 'a JSON-like type', path: '/api/v1/callbacks', body: '{"homeId":"home-b"}', type: 'application/merge-patch+json' },
      { name: 'malformed', path: '/api/v1/callbacks', body: '{"homeId":"home-b"' },
      { name: 'not JSON at all', path: '/api/v1/visits', body: '\u0000\u00ff residentId=res-b' },
      { name: 'an array', path: '/api/v1/visits', body: '[{"residentId":"res-b"}]' },
      { name: 'without the field', path: '/api/v1/wellbeing-plans', body: '{"everyDays":7}' },
      { name: 'the field not a string', path: '/api/v1/callbacks', body: '{"homeId":["home-b"]}' },
      { name: 'an unknown resident', path: '/api/v1/visits', body: '{"residentId":"res-nobody"}' },
      { name: 'a lone surrogate', path: '/api/v1/callbacks', body: '{"homeId":"\\ud800"}' },
      { name: 'empty', path: '/api/v1/visits', body: '' },
    ];
    for (const { name, path, body, type } of cases) {
      const answer = await send(c.urls.a, 'POST', path, { body, ...(type ? { headers: { 'content-type': type } } : {}) });
      expect({ name, status: answer.status, served: answer.json.served, intact: answer.json.body === body }).toEqual({ name, status: 200, served: 'leader', intact: true });
    }
    // Chunked past the bound: the front stops reading at 16 KiB and passes that and the rest on, streamed.
    const big = sized('homeId', 'home-b', 64 * 1024);
    const pieces = [big.slice(0, 10_000), big.slice(10_000, 20_000), big.slice(20_000)];
    const chunked = await sendChunked(c.urls.a, '/api/v1/callbacks', pieces);
    expect(chunked.json).toMatchObject({ served: 'leader', forwardedBy: 'node-a', length: null });
    expect(chunked.json.body === big).toBe(true);
    expect(c.a.length + c.b.length).toBe(0);
    // Read: the malformed, non-JSON, array, field-less, wrong-typed, unknown, surrogate (7) and the chunked one; the rest never read.
    expect(c.fronts.a.bodyCounts).toEqual({ whole: 7, overBound: 1, timedOut: 0 });
  });

  it('holds at most the bound: the chunk that would cross it is put back, and read on from the request', async () => {
    const req = Readable.from([Buffer.alloc(10_000, 'a'), Buffer.alloc(10_000, 'b'), Buffer.alloc(10_000, 'c')], { objectMode: false });
    const read = await holdBody(req as unknown as IncomingMessage, { maxBytes: 16 * 1024, timeoutMs: 1_000 });
    expect(read).toMatchObject({ complete: false });
    expect((read as HeldBody).bytes.toString()).toBe('a'.repeat(10_000));
    const rest = Buffer.concat((await req.toArray()) as Buffer[]).toString();
    expect(rest).toBe('b'.repeat(10_000) + 'c'.repeat(10_000));
  });

  it('a Content-Length shorter than the body: the body is what it says, never more, the rest a bad request; nobody crashes', async () => {
    const c = await cluster();
    const port = Number(new URL(c.urls.a).port);
    const body = '{"homeId":"home-b","dueAt":"2026-11-24T08:00:00+08:00"}';
    const head = `POST /api/v1/callbacks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n`;
    const exchange = await rawHttp(port, [head + body], { lingerMs: 3_000 });
    // The leader's answer to '{"homeId":"h' (malformed), or Node's 400 for the rest first; then the connection is closed.
    expect(exchange.closedBy).toBe('hub');
    expect([200, 400]).toContain(exchange.status);
    expect(c.leader.map((seen) => seen.body).every((seen) => seen === body.slice(0, 12))).toBe(true);
    expect(c.a.length + c.b.length).toBe(0);
    expect((await send(c.urls.a, 'POST', '/api/v1/callbacks', { body })).json.served).toBe('node-b');
  });

  it('a client that sends its headers and then stops is answered 408 within the read timeout, its connection closed; one that leaves is forgotten', async () => {
    const c = await cluster(undefined, { timeoutMs: 300 });
    const port = Number(new URL(c.urls.a).port);
    const lengthSaid = `POST /api/v1/visits HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{"residentId":"res-b"`;
    const chunkedSaid = `POST /api/v1/callbacks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    for (const request of [lengthSaid, chunkedSaid]) {
      const started = Date.now();
      const exchange = await rawHttp(port, [request], { lingerMs: 10_000 });
      const took = Date.now() - started;
      expect(exchange.closedBy).toBe('hub');
      expect(exchange.status).toBe(408);
      expect(exchange.reply).toMatch(/connection: close/i);
      expect(exchange.reply).toContain('"code":"request_timeout"');
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(5_000);
    }
    // A client gone mid-body: no answer, nothing passed on.
    const left = await rawHttp(port, [lengthSaid], { lingerMs: 50 });
    expect(left.closedBy).toBe('us');
    await new Promise((r) => setTimeout(r, 400));
    expect(c.fronts.a.bodyCounts).toEqual({ whole: 0, overBound: 0, timedOut: 2 });
    expect(c.leader.length + c.a.length + c.b.length).toBe(0);
    expect((await send(c.urls.a, 'POST', '/api/v1/visits', { body: '{"residentId":"res-b"}' })).json.served).toBe('node-b');
  });

  it("the leader with owners runs the home-less ones itself, an over-bound body streamed to its own API after the bytes read; hono's listener reads the replay", async () => {
    const b: Seen[] = [];
    const bUrl = (await listen(recordingApi('node-b', b))).url;
    const app = new Hono();
    app.post('/api/v1/*', async (ctx) => ctx.json({ served: 'node-a', url: ctx.req.url, forwardedBy: ctx.req.header('x-hub-forwarded-by') ?? null, body: await ctx.req.text(), length: ctx.req.header('content-length') ?? null, address: getConnInfo(ctx).remote.address }));
    const owners: OwnerRouting = {
      route: ownerRouter({ nodeId: 'node-a', homeOf: (m, p) => homeOfRequest(m, p, LOOKUPS), directory: OWNERS, urlOf: () => bUrl, leading: () => true }),
      local: getRequestListener(app.fetch),
    };
    const url = (await listen(front('node-a', () => undefined, owners).requestListener)).url;
    const mine = JSON.stringify({ homeId: 'home-a', dueAt: '2026-11-24T08:00:00+08:00' });
    expect((await send(url, 'POST', '/api/v1/callbacks', { body: mine })).json).toMatchObject({ served: 'node-a', body: mine, length: String(mine.length), address: '127.0.0.1' });
    expect((await send(url, 'POST', '/api/v1/visits', { body: '{"residentId":"res-b"}' })).json).toMatchObject({ served: 'node-b', body: '{"residentId":"res-b"}' });
    const big = sized('homeId', 'home-b', 80 * 1024);
    const chunked = await sendChunked(url, '/api/v1/wellbeing-plans', [big.slice(0, 1000), big.slice(1000, 17_000), big.slice(17_000)]);
    expect(chunked.json).toMatchObject({ served: 'node-a', length: null });
    expect(chunked.json.body === big).toBe(true);
    // The same connection serves on after a replayed request.
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    later(() => agent.destroy());
    for (let i = 0; i < 3; i++) {
      const req = httpRequest(`${url}/api/v1/callbacks`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } });
      req.end(mine);
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      const text = (await res.toArray()).join('');
      expect(JSON.parse(text)).toMatchObject({ served: 'node-a', body: mine });
    }
  });
});

describe('the home of a request (home-of-request.ts)', () => {
  const SAMPLE: Record<string, string> = { alertHome: 'alr-b', deviceHome: 'dev-b', residentHome: 'res-b', callbackHome: 'cb-b', planHome: 'plan-b', home: 'home-b' };
  const concrete = (path: string, param: string, by: string) => `/api/v1${path.replaceAll(`{${param}}`, SAMPLE[by]!).replace(/\{[^}]+\}/g, 'x-1')}`;

  const inPath = HOME_WRITE_ROUTES.filter((r): r is PathHomeRoute => 'param' in r);
  const inBody = HOME_WRITE_ROUTES.filter((r): r is BodyHomeRoute => 'body' in r);

  it.each(inPath.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: the home of its id', (_name, route) => {
    const path = concrete(route.path, route.param, route.by);
    expect(homeOfRequest(route.method, path, LOOKUPS)).toBe('home-b');
    // The same path read, or written with another method: not routed.
    expect(homeOfRequest('GET', path, LOOKUPS)).toBeUndefined();
    // An id nobody knows: the leader's (its 404), except a home named in the path, whose owner answers the same 404.
    const unknown = `/api/v1${route.path.replaceAll(`{${route.param}}`, 'nobody').replace(/\{[^}]+\}/g, 'x-1')}`;
    expect(homeOfRequest(route.method, unknown, LOOKUPS)).toBe(route.by === 'home' ? 'nobody' : undefined);
  });

  it('the three writes naming their home only in the body are the body routes', () => {
    expect(inBody.map((r) => `${r.method} ${r.path} ${r.body.field}`)).toEqual(['POST /callbacks homeId', 'POST /wellbeing-plans homeId', 'POST /visits residentId']);
  });

  it.each(inBody.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: the home of the id in its body', (_name, route) => {
    const path = `/api/v1${route.path}`;
    const asked = (body: string, method: string = route.method) => homeOfRequest(method, routedPath(path, route, Buffer.from(body)), LOOKUPS);
    const field = route.body.field;
    expect(bodyHomeRoute(route.method, path)).toBe(route);
    expect(bodyHomeRoute('GET', path)).toBeUndefined();
    expect(bodyHomeRoute(route.method, `${path}/x`)).toBeUndefined();
    expect(asked(JSON.stringify({ [field]: SAMPLE[route.by], note: 'x' }))).toBe('home-b');
    expect(asked(`\uFEFF${JSON.stringify({ [field]: SAMPLE[route.by] })}`)).toBe('home-b'); // a BOM, dropped as fetch's text() drops it
    expect(asked(`{"${field}":"nobody","${field}":"${SAMPLE[route.by]}"}`)).toBe('home-b'); // the last of two, as JSON.parse (and so the API) reads it
    expect(asked(JSON.stringify({ [field]: SAMPLE[route.by] }), 'GET')).toBeUndefined();
    // Not read (no query), or read without a home in it: the leader's.
    expect(homeOfRequest(route.method, path, LOOKUPS)).toBeUndefined();
    for (const body of ['', 'not json', `{"${field}":"home-b"`, '[]', 'null', '"home-b"', '{}', `{"${field}":5}`, `{"${field}":""}`, `{"${field}":null}`, `{"other":"${SAMPLE[route.by]}"}`, `{"${field}":"\\ud800"}`]) {
      expect({ body, home: asked(body) }).toEqual({ body, home: undefined });
      expect(routedPath(path, route, Buffer.from(body))).toBe(path);
    }
    // An id nobody knows: the leader's (its 404), except a home, whose owner answers the same 404.
    expect(asked(JSON.stringify({ [field]: 'nobody' }))).toBe(route.by === 'home' ? 'nobody' : undefined);
    // Any characters survive the query form.
    if (route.by === 'home') expect(asked(JSON.stringify({ [field]: 'a&b=c?d/%é 1' }))).toBe('a&b=c?d/%é 1');
  });

  it("reads the body's id as the route's schema does (a visit's resident trimmed), and only the query the front writes", () => {
    const visits = bodyHomeRoute('POST', '/api/v1/visits')!;
    expect(homeOfRequest('POST', routedPath('/api/v1/visits', visits, Buffer.from('{"residentId":"  res-b\\n"}')), LOOKUPS)).toBe('home-b');
    const callbacks = bodyHomeRoute('POST', '/api/v1/callbacks')!;
    expect(routedPath('/api/v1/callbacks', callbacks, Buffer.from('{"homeId":" home-b"}'))).toBe('/api/v1/callbacks?homeId=%20home-b');
    for (const path of ['/api/v1/callbacks?residentId=res-b', '/api/v1/callbacks?homeId=', '/api/v1/callbacks?homeId=%E0%A4%A', '/api/v1/users?homeId=home-b', '/api/v1/alerts/alr-b/resolve?x=1']) {
      expect({ path, home: homeOfRequest('POST', path, LOOKUPS) }).toEqual({ path, home: undefined });
    }
    const throwing: HomeLookups = { ...LOOKUPS, residentHome: () => { throw new Error('registry closed'); } };
    expect(homeOfRequest('POST', '/api/v1/visits?residentId=res-b', throwing)).toBeUndefined();
  });

  it.each(LEADER_WRITE_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("%s: the leader's", (_name, route) => {
    expect(homeOfRequest(route.method, `/api/v1${route.path.replace(/\{[^}]+\}/g, 'home-b')}`, LOOKUPS)).toBeUndefined();
  });

  it("a node's own leases outrank the directory's older read: just taken runs here, just lost is retried, never run here", () => {
    const mine = new Set<string>();
    const route = ownerRouter({ nodeId: 'node-a', homeOf: (m, p) => homeOfRequest(m, p, LOOKUPS), directory: OWNERS, ownership: { owns: (h) => mine.has(h) }, urlOf: () => 'http://127.0.0.1:9', leading: () => false });
    expect(route('POST', '/api/v1/alerts/alr-a/resolve')).toEqual({ owner: undefined }); // the directory says A, A's leases do not
    mine.add('home-a');
    expect(route('POST', '/api/v1/alerts/alr-a/resolve')).toBe('local');
    mine.add('home-b');
    expect(route('POST', '/api/v1/alerts/alr-b/resolve')).toBe('local'); // the directory still says B
    expect(route('POST', '/api/v1/users')).toBe('leader');
  });

  it('decodes a path id as the API does, and a lookup that throws is no home', () => {
    expect(homeOfRequest('PUT', '/api/v1/homes/home%2Db/geo', LOOKUPS)).toBe('home-b');
    const throwing: HomeLookups = { ...LOOKUPS, alertHome: () => { throw new Error('store closed'); } };
    expect(homeOfRequest('POST', '/api/v1/alerts/alr-b/resolve', throwing)).toBeUndefined();
  });

  it("covers every write route of the API: each is a home's or the leader's (a new one must be placed)", async () => {
    const hub = await startTestHub();
    later(() => hub.stop());
    const doc = (await hub.api.get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const writes = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const placed = [...HOME_WRITE_ROUTES, ...LEADER_WRITE_ROUTES].map((r) => `${r.method} ${r.path}`).sort();
    expect(writes.length).toBeGreaterThan(40);
    expect(placed).toEqual(writes);
  });
});

describe('owners on PostgreSQL, end to end', () => {
  it('leases from two real balancers, URLs from cluster_node: a write through A for a home B owns runs on B, which accepts a session it never saw', async () => {
    const database = await createPgDatabase('hub_test_owner_routing');
    later(() => database.drop());
    let live = ['node-a', 'node-b'];
    const nodes: Record<string, { db: PgDatabase; owner: PartitionOwner; directory: PgPartitionDirectory; sessions: SessionStore; seen: Seen[]; url: string }> = {};
    for (const nodeId of ['node-a', 'node-b']) {
      const db = new PgDatabase({ url: database.url });
      await db.ready();
      db.acquire(); // held by this test until its cleanup; the session store holds its own share
      const sessions = new SessionStore({ store: new PgSessions(db) });
      await sessions.start();
      const owner = new PartitionOwner({ db, nodeId, liveNodes: () => live });
      const directory = new PgPartitionDirectory({ db, refreshEveryMs: 100 });
      const seen: Seen[] = [];
      const proxy = front(nodeId, () => undefined, {
        route: ownerRouter({
          nodeId,
          homeOf: (m, p) => homeOfRequest(m, p, LOOKUPS),
          directory,
          ownership: { owns: (home) => owner.held.homePartitions.includes(partitionOfHome(home)) },
          urlOf: (id) => directory.urlOf(id),
          leading: () => false,
        }),
        local: recordingApi(nodeId, seen, sessions),
      });
      const { url } = await listen(proxy.requestListener);
      const announcer = new NodeAnnouncer({ db, nodeId, httpUrl: () => url });
      await announcer.start();
      later(async () => {
        announcer.stop();
        directory.stop();
        await owner.stop();
        await sessions.stop();
        await db.release();
      });
      nodes[nodeId] = { db, owner, directory, sessions, seen, url };
    }
    const a = nodes['node-a']!;
    const b = nodes['node-b']!;
    await settle([a, b]);
    await Promise.all([a.directory.start(), b.directory.start()]);

    // A home of each node's, by the leases the balancers took.
    const homeOwnedBy = (owner: PartitionOwner) => {
      for (let i = 0; ; i++) if (owner.held.homePartitions.includes(partitionOfHome(`home-${i}`))) return `home-${i}`;
    };
    const homeOfB = homeOwnedBy(b.owner);
    const homeOfA = homeOwnedBy(a.owner);

    // The login was made elsewhere (the leader): neither node holds the session yet.
    const leaderDb = new PgDatabase({ url: database.url });
    await leaderDb.ready();
    const leaderSessions = new SessionStore({ store: new PgSessions(leaderDb) });
    await leaderSessions.start();
    later(() => leaderSessions.stop());
    const { token } = await leaderSessions.create({ userId: 'u-op', username: 'op1', role: 'operator', homeIds: [] });
    const auth = { authorization: `Bearer ${token}` };

    const viaA = await send(a.url, 'PUT', `/api/v1/homes/${homeOfB}/geo`, { headers: auth, body: '{"lat":31.2,"lon":121.5}' });
    expect(viaA.status).toBe(200);
    expect(viaA.json).toMatchObject({ served: 'node-b', forwardedBy: 'node-a', signedIn: true, body: '{"lat":31.2,"lon":121.5}' });
    const local = await send(a.url, 'PUT', `/api/v1/homes/${homeOfA}/geo`, { headers: auth, body: '{}' });
    expect(local.json).toMatchObject({ served: 'node-a', signedIn: true });
    // A logout on the leader: refused on B at once (B's revoke listeners heard it), through whichever node.
    const heard = new Promise((resolve) => b.sessions.onRevoked(resolve));
    await leaderSessions.revoke(token);
    await heard;
    expect((await send(a.url, 'PUT', `/api/v1/homes/${homeOfB}/geo`, { headers: auth, body: '{}' })).status).toBe(401);

    // A leaves, releasing its leases: once B has taken them, A's home is B's, and A passes its writes there.
    await a.owner.stop({ release: true });
    live = ['node-b'];
    await b.owner.round();
    await b.owner.round();
    await a.directory.refresh();
    expect(a.directory.ownerOf(partitionOfHome(homeOfA))).toBe('node-b');
    // B's own directory may still say A (read up to 100 ms ago): its own leases decide, so B runs it.
    expect((await send(a.url, 'POST', `/api/v1/homes/${homeOfA}/go-live`, { body: '{}' })).json).toMatchObject({ served: 'node-b', forwardedBy: 'node-a' });
  }, 30_000);
});

describe('the owner holds the registry record a write names before running it (a record another node made a moment ago)', () => {
  it('names the home, device or resident of a home write, by path or by body; nothing for other writes and reads', () => {
    expect(registryRecordOfRequest('POST', '/api/v1/homes/home-9/devices')).toEqual({ kind: 'homes', id: 'home-9' });
    expect(registryRecordOfRequest('POST', '/api/v1/devices/brc%2D1/configure')).toEqual({ kind: 'devices', id: 'brc-1' });
    expect(registryRecordOfRequest('PATCH', '/api/v1/residents/res-4')).toEqual({ kind: 'residents', id: 'res-4' });
    expect(registryRecordOfRequest('POST', '/api/v1/callbacks?homeId=home-3')).toEqual({ kind: 'homes', id: 'home-3' });
    expect(registryRecordOfRequest('POST', '/api/v1/visits?residentId=res-5')).toEqual({ kind: 'residents', id: 'res-5' });
    expect(registryRecordOfRequest('POST', '/api/v1/alerts/alr-a/acknowledge')).toBeUndefined(); // the journal's, not the registry's
    expect(registryRecordOfRequest('GET', '/api/v1/homes/home-9')).toBeUndefined();
    expect(registryRecordOfRequest('POST', '/api/v1/homes')).toBeUndefined();
  });

  it("runs a home's write here only once the catch-up for its record is done, with the routed path of a body route", async () => {
    const mine: Seen[] = [];
    const asked: string[] = [];
    let release!: () => void;
    const caughtUp = new Promise<void>((resolve) => (release = resolve));
    let called!: () => void;
    const catchUpCalled = new Promise<void>((resolve) => (called = resolve));
    const owners: OwnerRouting = {
      route: ownerRouter({ nodeId: 'node-a', homeOf: (m, p) => homeOfRequest(m, p, LOOKUPS), directory: OWNERS, urlOf: () => undefined, leading: () => true }),
      local: recordingApi('node-a', mine),
      catchUp: (method, path) => {
        asked.push(`${method} ${path}`);
        const record = registryRecordOfRequest(method, path);
        if (!record) return undefined;
        called();
        return caughtUp;
      },
    };
    const url = (await listen(front('node-a', () => undefined, owners).requestListener)).url;
    const answer = send(url, 'POST', '/api/v1/homes/home-a/devices', { body: '{"kind":"bracelet"}' });
    await catchUpCalled;
    expect(mine).toEqual([]); // held until the record is here
    release();
    expect((await answer).json).toMatchObject({ served: 'node-a', body: '{"kind":"bracelet"}' });
    // A body route is asked with the home it names; a home-less write runs at once.
    expect((await send(url, 'POST', '/api/v1/callbacks', { body: '{"homeId":"home-a"}' })).json.served).toBe('node-a');
    expect((await send(url, 'POST', '/api/v1/users', { body: '{}' })).json.served).toBe('node-a');
    expect(asked).toEqual(['POST /api/v1/homes/home-a/devices', 'POST /api/v1/callbacks?homeId=home-a', 'POST /api/v1/users']);
  });
});
