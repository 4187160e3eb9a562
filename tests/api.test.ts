/**
 * The HTTP API's contract over real HTTP: login, roles, the one error shape,
 * 400 naming the field, 415, 404, 409, secrets shown once, and a family user
 * who sees only their own relative's home.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { hashPassword } from '../hub/auth/passwords.js';
import type { Role } from '../hub/registry/records.js';
import { ApiClient } from './helpers/api-client.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

let hub: TestHub;
const keep = useCleanup();

beforeEach(async () => {
  hub = keep(await startTestHub(), closeHub);
});

async function userClient(role: Role, homeIds: string[] = []): Promise<ApiClient> {
  const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
  await hub.hub.registry.createUser({ username, role, passwordHash: await hashPassword('password-123'), homeIds });
  const client = new ApiClient(hub.httpUrl);
  await client.login(username, 'password-123');
  return client;
}

const validHome = { name: 'Home', address: '12 Jinjiang Rd', resident: { name: 'Zhang Min', birthYear: 1940, conditions: ['dementia'] } };

describe('authentication', () => {
  it('answers a wrong password and an unknown user alike with 401, and audits both', async () => {
    const anon = new ApiClient(hub.httpUrl);
    const wrong = await anon.post('/api/v1/auth/login', { username: 'admin', password: 'nope' });
    const unknown = await anon.post('/api/v1/auth/login', { username: 'ghost', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('bad_credentials');
    expect(hub.hub.audit.recent().filter((e) => e.action === 'auth.login_failed')).toHaveLength(2);
  });

  it('refuses requests without a session or with a forged token (401), and after logout', async () => {
    const anon = new ApiClient(hub.httpUrl);
    expect((await anon.get('/api/v1/alerts')).status).toBe(401);
    expect((await anon.get('/api/v1/homes')).status).toBe(401);
    anon.token = 'forged-token';
    const forged = await anon.get('/api/v1/alerts');
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('unauthenticated');

    const token = hub.api.token;
    expect((await hub.api.post('/api/v1/auth/logout')).status).toBe(200);
    const after = new ApiClient(hub.httpUrl);
    after.token = token;
    expect((await after.get('/api/v1/alerts')).status).toBe(401);
  });

  it('sets an HttpOnly SameSite=Strict session cookie for the browser', async () => {
    const res = await new ApiClient(hub.httpUrl).post('/api/v1/auth/login', { username: 'admin', password: 'admin-pass-for-tests' });
    expect(res.headers.get('set-cookie')).toMatch(/hc_session=.*HttpOnly.*SameSite=Strict/i);
  });
});

describe('bad input', () => {
  it('gives 400 naming the field, 400 for bad JSON, 415 for non-JSON, and creates nothing', async () => {
    const missing = await hub.api.post('/api/v1/homes', { ...validHome, resident: { birthYear: 1940 } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('invalid_body');
    expect(missing.body.error.message).toContain('resident.name');
    expect(missing.body.error.issues).toContainEqual(expect.objectContaining({ path: 'resident.name', code: 'invalid_type' }));

    const badJson = await hub.api.request('POST', '/api/v1/homes', undefined, { headers: { 'content-type': 'application/json' }, raw: '{"name": ' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('bad_json');

    const form = await hub.api.request('POST', '/api/v1/homes', undefined, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: 'name=x' });
    expect(form.status).toBe(415);

    expect((await hub.api.get('/api/v1/homes')).body.homes).toEqual([]);
  });

  it('rejects an unknown device kind, a duplicate serial (409) and a missing home (404)', async () => {
    const home = (await hub.api.post('/api/v1/homes', validHome)).body;
    const toaster = await hub.api.post(`/api/v1/homes/${home.id}/devices`, { kind: 'toaster', serial: 'T1' });
    expect(toaster.status).toBe(400);
    expect(toaster.body.error.message).toContain('bracelet, gas_alarm, smoke_sensor, door_sensor');
    expect((await hub.api.post(`/api/v1/homes/${home.id}/devices`, { kind: 'bracelet', serial: 'B1' })).status).toBe(201);
    const dup = await hub.api.post(`/api/v1/homes/${home.id}/devices`, { kind: 'bracelet', serial: 'B1' });
    expect(dup.status).toBe(409);
    expect((await hub.api.post('/api/v1/homes/home-missing/devices', { kind: 'bracelet', serial: 'B2' })).status).toBe(404);
    expect((await hub.api.get(`/api/v1/homes/${home.id}/devices`)).body.devices).toHaveLength(1);
  });

  it('rejects an unknown alert status filter and unknown routes with the JSON error shape', async () => {
    const bad = await hub.api.get('/api/v1/alerts?status=burning');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('status');
    const missing = await hub.api.get('/api/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'not_found', message: 'no route GET /api/v1/nothing-here' } });
  });
});

describe('provisioning', () => {
  it('shows a device secret once, stores only its hash, and goes live only with devices', async () => {
    const home = await hub.api.post('/api/v1/homes', validHome);
    expect(home.status).toBe(201);
    expect(home.body).toMatchObject({ status: 'installing', resident: { name: 'Zhang Min', conditions: ['dementia'] } });
    expect((await hub.api.post(`/api/v1/homes/${home.body.id}/go-live`)).status).toBe(409);

    const device = await hub.api.post(`/api/v1/homes/${home.body.id}/devices`, { kind: 'smoke_sensor', serial: 'SMK-7' });
    expect(device.status).toBe(201);
    expect(device.headers.get('cache-control')).toBe('no-store');
    expect(device.body).toMatchObject({
      kind: 'smoke_sensor',
      mqtt: { host: '127.0.0.1', port: hub.mqttPort, username: device.body.id, topics: { event: `hc/v1/${device.body.id}/event`, cmd: `hc/v1/${device.body.id}/cmd` } },
    });
    expect(device.body.secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);

    const listed = await hub.api.get(`/api/v1/homes/${home.body.id}`);
    expect(JSON.stringify(listed.body)).not.toContain(device.body.secret);
    expect(listed.body.devices[0].secretHash).toBeUndefined();
    const onDisk = await readFile(join(hub.dataDir, 'registry', 'devices.json'), 'utf8');
    expect(onDisk).toContain(device.body.id);
    expect(onDisk).not.toContain(device.body.secret);

    const refused = await hub.api.post(`/api/v1/homes/${home.body.id}/go-live`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('commissioning not complete');
    const live = await hub.api.post(`/api/v1/homes/${home.body.id}/go-live`, { overrideReason: 'smoke sensor mounted, test tomorrow' });
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('live');
    expect((await hub.api.post(`/api/v1/homes/${home.body.id}/go-live`)).status).toBe(409);
  });

  it('lets only admins and installers provision', async () => {
    const operator = await userClient('operator');
    const res = await operator.post('/api/v1/homes', validHome);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    const installer = await userClient('installer');
    expect((await installer.post('/api/v1/homes', validHome)).status).toBe(201);
    expect((await installer.get('/api/v1/alerts')).status).toBe(403);
  });
});

describe('a family user', () => {
  it('sees only their own home and its alerts, over REST and WebSocket', async () => {
    const mine = await hub.provisionHome({ kinds: ['bracelet'] });
    const other = await hub.provisionHome({ kinds: ['bracelet'] });
    const family = await userClient('family', [mine.homeId]);

    expect((await family.get('/api/v1/homes')).body.homes.map((h: { id: string }) => h.id)).toEqual([mine.homeId]);
    expect((await family.get(`/api/v1/homes/${other.homeId}`)).status).toBe(404);
    expect((await family.get(`/api/v1/homes/${other.homeId}/devices`)).status).toBe(404);
    expect((await family.get(`/api/v1/alerts?homeId=${other.homeId}`)).status).toBe(404);
    expect((await family.post('/api/v1/homes', validHome)).status).toBe(403);

    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${family.token}`), closeStream);
    await stream.next((m) => m.type === 'snapshot');
    for (const home of [other, mine]) {
      const d = home.devices[0]!;
      const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
      await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    }
    const raised = await stream.next((m) => m.type === 'alert.raised');
    expect(raised.alert.homeId).toBe(mine.homeId);
    await new Promise((r) => setTimeout(r, 100));
    expect(stream.messages.filter((m) => m.type === 'alert.raised' || m.type === 'device.status').every((m) => (m.alert?.homeId ?? m.homeId) === mine.homeId)).toBe(true);

    const alerts = (await family.get('/api/v1/alerts')).body.alerts;
    expect(alerts.map((a: { homeId: string }) => a.homeId)).toEqual([mine.homeId]);
    const otherAlert = (await hub.api.get(`/api/v1/alerts?homeId=${other.homeId}`)).body.alerts[0];
    expect((await family.get(`/api/v1/alerts/${otherAlert.id}`)).status).toBe(404);
  });
});

describe('the stream', () => {
  it('refuses a socket without a session or from another origin', async () => {
    await expect(StreamClient.open(hub.httpUrl, '')).rejects.toThrow('refused: 401');
    await expect(StreamClient.open(hub.httpUrl, 'token=forged')).rejects.toThrow('refused: 401');
    await expect(StreamClient.open(hub.httpUrl, `token=${hub.api.token}`, { origin: 'http://evil.example' })).rejects.toThrow('refused: 403');
  });

  it('sends a reconnecting client what it missed instead of a new snapshot', async () => {
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const first = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    const snapshot = await first.next((m) => m.type === 'snapshot');
    first.close(); // closing twice (here and in cleanup) is harmless

    const d = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });

    const again = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}&streamId=${snapshot.streamId}&lastEventId=${snapshot.eventId}`), closeStream);
    const missed = await again.next((m) => m.type === 'alert.raised');
    expect(missed.alert.deviceId).toBe(d.id);
    expect(again.messages.some((m) => m.type === 'snapshot')).toBe(false);
  });

  it('answers a ping and rejects any other client message without closing', async () => {
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    stream.socket.send('{"type":"ping"}');
    await stream.next((m) => m.type === 'pong');
    stream.socket.send('{"type":"delete-everything"}');
    const error = await stream.next((m) => m.type === 'error');
    expect(error.error.code).toBe('bad_message');
    expect(stream.socket.readyState).toBe(stream.socket.OPEN);
  });
});
