/**
 * Issue 12 item 4, consoles on any node: a follower's front (LeaderProxy)
 * before a real hub as the leader, both on real sockets. A login through the
 * follower is the leader's session; cookie writes pass the leader's CSRF
 * check because Host and Origin arrive unchanged; the stream through the
 * follower carries the snapshot and live alerts and resumes from
 * lastEventId; no leader is 503 and a dead leader 502, in the API's error
 * shape; a stream ends when its leader stops; malformed upgrades are refused
 * per request and the front keeps serving.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { FOLLOWER_ID, startFollowerFront, type FollowerFront } from './helpers/follower-front.js';
import { startHubProcess } from './helpers/hub-process.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { rawHttp, upgradeRequest } from './helpers/raw-http.js';
import { StreamClient } from './helpers/stream-client.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();
let leader: TestHub;
let leaderUrl: string | undefined;
let front: FollowerFront;

beforeAll(async () => {
  leader = await startTestHub();
  leaderUrl = leader.httpUrl;
  front = await startFollowerFront(() => leaderUrl);
});

afterAll(async () => {
  await front?.close();
  await leader?.stop();
});

const useLeader = (url: string | undefined) => {
  leaderUrl = url;
  keep(undefined, () => (leaderUrl = leader.httpUrl));
};

async function sos(hub: TestHub, deviceId: string, secret: string, seq: number): Promise<void> {
  const device = keep(await connectDevice(hub.mqttUrl, deviceId, secret), endClient);
  await device.publishAsync(`hc/v1/${deviceId}/event`, JSON.stringify({ type: 'sos', seq, ts: Date.now() }), { qos: 1 });
}

/** A port nothing listens on: a server's, just closed. */
async function deadPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('HTTP through a follower', () => {
  it('logs in through the follower and uses the session cookie there, and on the leader', async () => {
    const login = await fetch(`${front.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    expect(login.status).toBe(200);
    const setCookie = login.headers.getSetCookie();
    expect(setCookie).toHaveLength(1);
    const cookie = setCookie[0]!.split(';')[0]!;
    expect(cookie).toMatch(/^hc_session=/);
    // The leader's own headers come through too (hono's secureHeaders on the leader).
    expect(login.headers.get('content-security-policy')).toContain("default-src 'self'");

    for (const base of [front.url, leader.httpUrl]) {
      const me = await fetch(`${base}/api/v1/auth/me`, { headers: { cookie } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { user: { username: string } }).user.username).toBe('admin');
    }
    const wrong = await fetch(`${front.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'nope' }) });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: 'bad_credentials', message: 'wrong username or password' } });
  });

  it('answers /api/v1/health and /metrics itself, with its own view', async () => {
    const health = await fetch(`${front.url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, node: { id: FOLLOWER_ID, role: 'follower' } });
    expect(await (await fetch(`${front.url}/metrics`)).text()).toBe(`hub_follower_up{node="${FOLLOWER_ID}"} 1\n`);
  });

  it("passes a cookie write with the follower's own Origin through the leader's CSRF check, and refuses another origin", async () => {
    const { homeId, devices } = await leader.provisionHome({ kinds: ['bracelet'] });
    await sos(leader, devices[0]!.id, devices[0]!.secret, 1);
    const alert = (await leader.api.get(`/api/v1/alerts?status=open`)).body.alerts.find((a: { homeId: string }) => a.homeId === homeId);
    const note = (origin: string) =>
      fetch(`${front.url}/api/v1/alerts/${alert.id}/notes`, {
        method: 'POST',
        headers: { cookie: `hc_session=${leader.api.token}`, origin, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'called the resident' }),
      });
    const same = await note(front.url);
    expect(same.status).toBe(200);
    // Had the follower rewritten Host to the leader's, this would pass and the one above fail.
    const other = await note(leader.httpUrl);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('cross_origin');
  });

  it("passes the leader's 413 for a body over its limit, in the API's error shape", async () => {
    const res = await fetch(`${front.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('closes the client connection when the leader answered before the upload ended: the rest of the body is never read', async () => {
    // Headers announcing 2 MiB, then 64 KiB of it: the leader refuses on Content-Length at once.
    const head = `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${front.port}\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`;
    const exchange = await rawHttp(front.port, [head, Buffer.alloc(64 * 1024, 0x78)], { lingerMs: 5_000 });
    expect(exchange.status).toBe(413);
    // Said to the client, and done: kept alive, the connection was reset seconds later, failing the
    // next request a client made on it.
    expect(exchange.reply).toMatch(/\r\nConnection: close\r\n/i);
    expect(exchange.closedBy).toBe('hub');
  });

  it('answers 503 no_leader without a leader, and 502 leader_unreachable when the leader is down', async () => {
    useLeader(undefined);
    const none = await fetch(`${front.url}/api/v1/alerts`, { headers: { authorization: `Bearer ${leader.api.token}` } });
    expect(none.status).toBe(503);
    expect(none.headers.get('retry-after')).toBe('2');
    expect(((await none.json()) as { error: { code: string; message: string } }).error).toEqual({ code: 'no_leader', message: expect.stringContaining('retry') });

    leaderUrl = 'not a url';
    expect((await fetch(`${front.url}/api/v1/alerts`)).status).toBe(503);

    leaderUrl = `http://127.0.0.1:${await deadPort()}`;
    const down = await fetch(`${front.url}/api/v1/alerts`);
    expect(down.status).toBe(502);
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe('leader_unreachable');
    // Its own health still answers: a load balancer asks each node about itself.
    expect((await fetch(`${front.url}/api/v1/health`)).status).toBe(200);
  });

  it('answers 502 when the leader takes the request but does not begin to answer in time', async () => {
    const silent = createServer(() => undefined).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    keep(silent, (s) => new Promise((resolve) => (s.closeAllConnections(), s.close(resolve))));
    const impatient = keep(await startFollowerFront(() => `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, { responseTimeoutMs: 300 }), (f) => f.close());
    const res = await fetch(`${impatient.url}/api/v1/alerts`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('leader_unreachable');
  });

  it('sends a bodyless request again when its kept-alive connection to the leader was closed meanwhile, and a write on a new connection', async () => {
    // A leader that answers each connection's first request and drops the connection at its second:
    // what a reused connection looks like when the leader closed it just as the agent handed it out.
    const seen: string[] = [];
    const flaky = createNetServer((socket) => {
      let requests = 0;
      socket.on('data', (data) => {
        seen.push(data.toString('latin1').split(' ', 2).join(' '));
        if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=60\r\n\r\nok');
        else socket.destroy();
      });
    });
    flaky.listen(0, '127.0.0.1');
    await once(flaky, 'listening');
    keep(flaky, (s) => new Promise((resolve) => s.close(resolve)));
    const viaFlaky = keep(await startFollowerFront(() => `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`), (f) => f.close());
    expect((await fetch(`${viaFlaky.url}/api/v1/alerts`)).status).toBe(200);
    expect((await fetch(`${viaFlaky.url}/api/v1/alerts?again`)).status).toBe(200);
    expect(seen).toEqual(['GET /api/v1/alerts', 'GET /api/v1/alerts?again', 'GET /api/v1/alerts?again']);
    // A write never takes a kept-alive connection (it could not be sent again): a new one, answered.
    expect((await fetch(`${viaFlaky.url}/api/v1/alerts/x/notes`, { method: 'POST', body: '{"text":"once"}' })).status).toBe(200);
    expect(seen.filter((line) => line.startsWith('POST'))).toHaveLength(1);
  });

  it('refuses a request another node already forwarded (a stale cluster_leader naming a follower)', async () => {
    const looped = await fetch(`${front.url}/api/v1/alerts`, { headers: { 'x-hub-forwarded-by': 'node-b' } });
    expect(looped.status).toBe(503);
    const piped = await rawHttp(front.port, [upgradeRequest('/api/v1/stream', ['X-Hub-Forwarded-By: node-b'])], { until: (r) => r.endsWith('}') });
    expect(piped.status).toBe(503);
  });
});

describe('forwarded headers', () => {
  let echo: Server;
  let seen: IncomingMessage['headers'][];
  beforeAll(async () => {
    seen = [];
    echo = createServer((req, res) => {
      seen.push(req.headers);
      res.end('{}');
    });
    echo.on('upgrade', (req, socket) => {
      seen.push(req.headers);
      socket.end('HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
  });
  afterAll(() => new Promise((resolve) => echo.close(resolve)));

  it('keeps Host, Origin and Cookie and appends the address the follower saw to X-Forwarded-For, on requests and upgrades', async () => {
    useLeader(`http://127.0.0.1:${(echo.address() as AddressInfo).port}`);
    // The last one: a byte above 0x7f (obs-text), which must arrive as the same byte.
    const extra = ['Origin: http://console.example', 'Cookie: hc_session=abc', 'X-Forwarded-For: 6.6.6.6', 'X-Note: caf\u00e9'];
    const plain = await rawHttp(front.port, [Buffer.from(`GET /api/v1/alerts HTTP/1.1\r\nHost: console.example\r\n${extra.join('\r\n')}\r\nConnection: close\r\n\r\n`, 'latin1')], {
      localAddress: '127.0.0.7',
      until: (r) => r.endsWith('{}'),
    });
    expect(plain.status).toBe(200);
    const upgradeHead = Buffer.from(upgradeRequest('/api/v1/stream', extra).replace('Host: 127.0.0.1', 'Host: console.example'), 'latin1');
    const upgrade = await rawHttp(front.port, [upgradeHead], { localAddress: '127.0.0.7', until: (r) => r.includes('\r\n\r\n') });
    expect(upgrade.status).toBe(418);
    expect(seen).toHaveLength(2);
    for (const headers of seen) {
      expect(headers).toMatchObject({
        host: 'console.example',
        origin: 'http://console.example',
        cookie: 'hc_session=abc',
        'x-forwarded-for': '6.6.6.6, 127.0.0.7',
        'x-forwarded-proto': 'http',
        'x-hub-forwarded-by': FOLLOWER_ID,
        'x-note': 'caf\u00e9', // Node reads header bytes as latin1: é here is the one byte 0xe9
      });
    }
    expect(seen[1]).toMatchObject({ upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });
  });
});

describe('the stream through a follower', () => {
  it('carries the snapshot and a live alert, and resumes from lastEventId through another follower', async () => {
    // Two homes: a second SOS in the same home would only update the first alert.
    const { homeId, devices: [first] } = await leader.provisionHome({ kinds: ['bracelet'] });
    const { devices: [second] } = await leader.provisionHome({ kinds: ['bracelet'] });
    const devices = [first!, second!];
    // As the console opens it: the session cookie and the page's (the follower's) Origin.
    const headers = { cookie: `hc_session=${leader.api.token}`, origin: front.url };
    const stream = keep(await StreamClient.open(front.url, '', headers), closeStream);
    const snapshot = await stream.next((m) => m.type === 'snapshot');
    expect(snapshot.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(expect.arrayContaining(devices.map((d) => d.id)));

    await sos(leader, devices[0]!.id, devices[0]!.secret, 1);
    const raised = await stream.next((m) => m.type === 'alert.raised' && m.alert.deviceId === devices[0]!.id);
    expect(raised.alert).toMatchObject({ homeId, kind: 'sos', status: 'open' });

    // Gone for a while (its node went away); an alert is raised meanwhile; back through another
    // follower with what it had: what it missed, not a new snapshot.
    stream.close();
    await once(stream.socket, 'close');
    await sos(leader, devices[1]!.id, devices[1]!.secret, 1);
    const otherFront = keep(await startFollowerFront(() => leaderUrl), (f) => f.close());
    const resumeQuery = `streamId=${snapshot.streamId}&lastEventId=${raised.eventId}`;
    const resumed = keep(await StreamClient.open(otherFront.url, resumeQuery, { ...headers, origin: otherFront.url }), closeStream);
    const missed = await resumed.next((m) => m.type === 'alert.raised' && m.alert.deviceId === devices[1]!.id);
    expect(missed.eventId).toBeGreaterThan(raised.eventId);
    expect(resumed.messages.some((m) => m.type === 'snapshot')).toBe(false);
  });

  it("is refused by the leader's own checks: no session 401, another page's Origin 403", async () => {
    const ask = (headers: string[]) => rawHttp(front.port, [upgradeRequest('/api/v1/stream', headers)], { until: (r) => r.includes('\r\n\r\n') });
    expect((await ask([])).status).toBe(401);
    expect((await ask([`Authorization: Bearer ${leader.api.token}`, 'Origin: http://evil.example'])).status).toBe(403);
  });

  it('closes the console socket when its leader stops, and when the leader changes', async () => {
    const other = keep(await startTestHub(), closeHub);
    useLeader(other.httpUrl);
    const stream = keep(await StreamClient.open(front.url, `token=${other.api.token}`), closeStream);
    await stream.next((m) => m.type === 'snapshot');
    expect(front.proxy.openStreams).toBe(1);
    const closed = once(stream.socket, 'close');
    await other.stop();
    await closed;
    expect(front.proxy.openStreams).toBe(0);

    leaderUrl = leader.httpUrl;
    const moved = keep(await StreamClient.open(front.url, `token=${leader.api.token}`), closeStream);
    await moved.next((m) => m.type === 'snapshot');
    const movedClosed = once(moved.socket, 'close');
    front.proxy.leaderChanged(); // same leader: nothing closes
    leaderUrl = other.httpUrl; // cluster_leader now names another node
    front.proxy.leaderChanged();
    await movedClosed;
  });

  it('closes the console socket when its leader is killed (kill -9), and answers 502 until another leads', async () => {
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const doomed = await startHubProcess({ HUB_DATA_DIR: temp.path, HUB_ADMIN_PASSWORD: ADMIN_PASSWORD });
    keep(doomed, async (h) => {
      if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
      await h.exited;
    });
    useLeader(`http://127.0.0.1:${doomed.httpPort}`);
    const login = await fetch(`${front.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    const { token } = (await login.json()) as { token: string };
    const stream = keep(await StreamClient.open(front.url, `token=${token}`), closeStream);
    await stream.next((m) => m.type === 'snapshot');
    const closed = once(stream.socket, 'close');
    doomed.child.kill('SIGKILL');
    await closed;
    expect(front.proxy.openStreams).toBe(0);
    expect((await fetch(`${front.url}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(502);
  });

  it('answers 503 and 502 to upgrades without a reachable leader, with the error body', async () => {
    useLeader(undefined);
    const none = await rawHttp(front.port, [upgradeRequest('/api/v1/stream')], { until: (r) => r.endsWith('}') });
    expect(none.status).toBe(503);
    expect(JSON.parse(none.reply.slice(none.reply.indexOf('\r\n\r\n') + 4)).error.code).toBe('no_leader');
    leaderUrl = `http://127.0.0.1:${await deadPort()}`;
    const down = await rawHttp(front.port, [upgradeRequest('/api/v1/stream')], { until: (r) => r.endsWith('}') });
    expect(down.status).toBe(502);
    expect(JSON.parse(down.reply.slice(down.reply.indexOf('\r\n\r\n') + 4)).error.code).toBe('leader_unreachable');
  });
});

describe('malformed upgrades fail closed per request (as tests/http-upgrade-safety.test.ts on the leader)', () => {
  const ask = (request: string) => rawHttp(front.port, [request], { until: (r) => r.includes('\r\n\r\n') });
  const alive = async () => expect((await fetch(`${front.url}/api/v1/health`)).status).toBe(200);

  it('refuses targets that are not the stream here, and forwards broken credentials for the leader to refuse', async () => {
    expect((await ask(upgradeRequest('//['))).status).toBe(404);
    expect((await ask(upgradeRequest('http://[::1'))).status).toBe(400);
    expect((await ask(upgradeRequest('/api/v1/alerts'))).status).toBe(404);
    expect((await ask(upgradeRequest('/api/v1/stream', ['Cookie: x=%']))).status).toBe(401);
    expect((await ask(upgradeRequest('/api/v1/stream?token=%'))).status).toBe(401);
    expect((await ask(upgradeRequest('/api/v1/stream', ['Authorization: Bearer %%%']))).status).toBe(401);
    expect((await ask(upgradeRequest('/api/v1/stream?lastEventId=%ZZ&streamId=%', [`Authorization: Bearer ${leader.api.token}`]))).status).toBe(101);
    await alive();
  });

  it('survives a client that resets mid-upgrade, bytes above 0x7f in a header, and a Host-less request before an upgrade', async () => {
    const reset = await rawHttp(front.port, [upgradeRequest('/api/v1/stream', [`Authorization: Bearer ${leader.api.token}`])], { lingerMs: 0 });
    expect(reset.closedBy).not.toBe('error');
    const latin1 = Buffer.from(upgradeRequest('/api/v1/stream', ['X-Name: caf\u00e9']), 'latin1');
    expect((await rawHttp(front.port, [latin1], { until: (r) => r.includes('\r\n\r\n') })).status).toBe(401);
    const pipelined = await rawHttp(front.port, [`GET /api/v1/health HTTP/1.1\r\nX-No-Host: 1\r\n\r\n${upgradeRequest('/api/v1/stream')}`], {
      until: (r) => (r.match(/HTTP\/1\.1 \d{3}/g) ?? []).length === 2,
    });
    expect(pipelined.reply.match(/HTTP\/1\.1 \d{3}/g)?.[0]).toBe('HTTP/1.1 400');
    await alive();
  });
});

describe('login limits count the client behind a follower (HUB_TRUSTED_PROXIES)', () => {
  const login = (port: number, from: string, username: string, password: string, extra = '') => {
    const body = JSON.stringify({ username, password });
    const head = `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Content-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
    return rawHttp(port, [head + body], { localAddress: from, until: (r) => r.endsWith('}') });
  };

  it('audits and locks the console address, not the follower, and ignores the header sent straight to the leader', async () => {
    const trusting = keep(await startTestHub({ env: { HUB_TRUSTED_PROXIES: '127.0.0.1' } }), closeHub);
    useLeader(trusting.httpUrl);
    const leaderPort = Number(new URL(trusting.httpUrl).port);
    expect((await login(front.port, '127.0.0.7', 'nobody', 'x')).status).toBe(401);
    expect((await login(leaderPort, '127.0.0.8', 'nobody', 'x')).status).toBe(401);
    expect((await login(leaderPort, '127.0.0.9', 'nobody', 'x', 'X-Forwarded-For: 6.6.6.6\r\n')).status).toBe(401);
    const ips = () => trusting.hub.audit.recent().filter((e) => e.action === 'auth.login_failed').map((e) => (e.detail as { ip: string }).ip);
    expect(ips()).toEqual(['127.0.0.7', '127.0.0.8', '127.0.0.9']);

    // Ten typos from one console lock that console, not every console behind the same follower.
    for (let i = 1; i < 10; i++) await login(front.port, '127.0.0.7', `typo-${i}`, 'x');
    expect((await login(front.port, '127.0.0.7', 'admin', ADMIN_PASSWORD)).status).toBe(429);
    expect((await login(front.port, '127.0.0.10', 'admin', ADMIN_PASSWORD)).status).toBe(200);
  });
});
