/**
 * Issue 7 item 5: what the existing authorization tests did not cover yet —
 * a family user swept over every route open to families with another home's
 * ids (403/404, and lists that never mention the other home), sessions
 * expiring after 12 h on the hub's clock (HTTP and WebSocket), and devices
 * publishing to wildcard or `$SYS` topics. (Covered elsewhere: A as B and
 * wildcard/$SYS subscriptions, CONNACK 2 with B staying connected —
 * broker-security.test.ts; route × role — route-role-matrix.test.ts; wrong
 * Origin, no session and forged tokens — api.test.ts; 10 failed logins —
 * users-and-login.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { RawClient } from './conformance/raw-client.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, closeStream, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function raiseSos(hub: TestHub, d: { id: string; secret: string }): Promise<void> {
  const c = keep(await RawClient.open({ port: hub.mqttPort }), (x) => x.destroy());
  expect((await c.connect({ clientId: d.id, username: d.id, password: Buffer.from(d.secret) })).returnCode).toBe(0);
  await c.publish(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
}

describe('family users and other homes', () => {
  it('get 403/404 on every family route with another home\u2019s ids, and lists never mention it', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const mine = await hub.provisionHome({ kinds: ['bracelet'] });
    const other = await hub.provisionHome({ kinds: ['bracelet'] });
    await raiseSos(hub, mine.devices[0]!);
    await raiseSos(hub, other.devices[0]!);
    const alerts = (await hub.api.get('/api/v1/alerts')).body.alerts as { id: string; homeId: string }[];
    const otherAlert = alerts.find((a) => a.homeId === other.homeId)!;
    const otherHome = (await hub.api.get(`/api/v1/homes/${other.homeId}`)).body;
    const user = (await hub.api.post('/api/v1/users', { username: 'daughter', password: 'family-password', role: 'family' })).body;
    await hub.api.request('PUT', `/api/v1/homes/${mine.homeId}/family/${user.id}`, {});
    const family = new ApiClient(hub.httpUrl);
    await family.login('daughter', 'family-password');

    const ids: Record<string, string> = {
      homeId: other.homeId,
      deviceId: other.devices[0]!.id,
      alertId: otherAlert.id,
      id: otherHome.resident.id,
      residentId: otherHome.resident.id,
    };
    const secrets = Object.values(ids);
    const doc = (await hub.api.get('/api/v1/openapi.json')).body;
    const familyRoutes = Object.entries<Record<string, { 'x-roles': string[] }>>(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        // /auth/* (logout) would end the session being tested.
        .filter(([, op]) => op['x-roles'].includes('family') && !path.startsWith('/auth/'))
        .map(([method]) => ({ method: method.toUpperCase(), path })),
    );
    expect(familyRoutes.length).toBeGreaterThan(3);
    const leaks: string[] = [];
    for (const route of familyRoutes) {
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const url = `/api/v1${route.path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? `unknown-${name}`)}`;
      const res = await family.request(route.method, url, route.method === 'GET' ? undefined : {});
      const text = JSON.stringify(res.body ?? '');
      if (params.length > 0 && params.some((p) => ids[p])) {
        // An object of another home: refused, and the refusal names nothing of it.
        if (res.status !== 403 && res.status !== 404) leaks.push(`${route.method} ${route.path}: ${res.status}`);
      } else if (res.status < 300 && secrets.some((s) => text.includes(s))) {
        leaks.push(`${route.method} ${route.path} mentions another home's object`);
      }
    }
    expect(leaks).toEqual([]);
  });
});

describe('sessions', () => {
  it('expire after 12 hours on the hub\u2019s clock: the API and the WebSocket answer 401', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    expect((await hub.api.get('/api/v1/alerts')).status).toBe(200);
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    await stream.next((m) => m.type === 'snapshot');
    clock.advance(12 * 60 * 60 * 1000 - 1000);
    expect((await hub.api.get('/api/v1/alerts')).status).toBe(200);
    clock.advance(2000);
    const expired = await hub.api.get('/api/v1/alerts');
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('unauthenticated');
    await expect(StreamClient.open(hub.httpUrl, `token=${hub.api.token}`)).rejects.toThrow('refused: 401');
  });

  it('refuses a token of the right shape that the hub never issued', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const forged = new ApiClient(hub.httpUrl);
    forged.token = hub.api.token!.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    expect((await forged.get('/api/v1/alerts')).status).toBe(401);
  });
});

describe('devices and wildcard or $SYS topics', () => {
  it.each([['hc/v1/+/event'], ['hc/v1/#'], ['$SYS/broker/x'], ['$SYS/#']])('disconnects a device publishing to %s and raises nothing', async (topic) => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    const c = keep(await RawClient.open({ port: hub.mqttPort }), (x) => x.destroy());
    expect((await c.connect({ clientId: d.id, username: d.id, password: Buffer.from(d.secret) })).returnCode).toBe(0);
    c.send({ cmd: 'publish', topic, payload: JSON.stringify({ type: 'sos', seq: 1 }), qos: 1, messageId: 1, retain: false, dup: false });
    await c.waitClosed(3_000);
    expect(c.received.some((p) => p.cmd === 'puback')).toBe(false);
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toEqual([]);
  });
});
