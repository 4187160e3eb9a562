/**
 * What the console needs from the API: who am I, display names next to
 * actors, homes with their devices, a 24 h bucketed chart series, and a
 * stream that carries to each role only what it may see.
 */
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.js';
import type { Role } from '../hub/registry/records.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function userOf(hub: TestHub, username: string, role: Role, displayName: string) {
  await hub.hub.registry.createUser({ username, role, displayName, passwordHash: await hashPassword('user-password') });
  const client = new ApiClient(hub.httpUrl);
  await client.login(username, 'user-password');
  return client;
}

describe('console API', () => {
  it('tells the browser who is logged in', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const me = await hub.api.get('/api/v1/auth/me');
    expect(me.body.user).toMatchObject({ username: 'admin', role: 'admin', displayName: 'Administrator' });
    expect(Date.parse(me.body.expiresAt)).toBeGreaterThan(Date.now());
    expect((await new ApiClient(hub.httpUrl).get('/api/v1/auth/me')).status).toBe(401);
  });

  it('names the people in timelines and the audit', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const op = await userOf(hub, 'li.na', 'operator', 'Li Na');
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const alert = (await hub.api.get('/api/v1/alerts')).body.alerts[0];
    const acked = (await op.post(`/api/v1/alerts/${alert.id}/acknowledge`, {})).body;
    expect(acked).toMatchObject({ acknowledgedBy: 'user:li.na', acknowledgedByName: 'Li Na' });
    expect(acked.timeline.find((e: { type: string }) => e.type === 'acknowledged')).toMatchObject({ actor: 'user:li.na', actorName: 'Li Na' });
    expect(acked.timeline[0].actorName).toBeUndefined(); // raised by a device
    const audit = (await hub.api.get('/api/v1/audit?action=alert.acknowledged')).body.entries;
    expect(audit[0]).toMatchObject({ actor: 'user:li.na', actorName: 'Li Na' });
  });

  it('lists homes with their devices on request', async () => {
    const hub = keep(await startTestHub(), closeHub);
    await hub.provisionHome({ kinds: ['bracelet', 'door_sensor'] });
    expect((await hub.api.get('/api/v1/homes')).body.homes[0].devices).toBeUndefined();
    const homes = (await hub.api.get('/api/v1/homes?include=devices')).body.homes;
    expect(homes[0].devices.map((d: { kind: string }) => d.kind).sort()).toEqual(['bracelet', 'door_sensor']);
    expect(homes[0].devices[0].secretHash).toBeUndefined();
    expect(homes[0].devices[0].lastEvent).toBeNull();
    expect((await hub.api.get('/api/v1/homes?include=everything')).status).toBe(400);
  });

  it('serves 24 h of heart rate and steps in 10-minute buckets', async () => {
    const clock = new ManualClock(Date.parse('2026-11-24T00:00:00Z'));
    const hub = keep(await startTestHub({ clock }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    const send = (v: Record<string, unknown>) => client.publishAsync(`hc/v1/${d.id}/telemetry`, JSON.stringify(v), { qos: 1 });
    await send({ heartRate: 60, steps: 10 });
    clock.advance(60_000);
    await send({ heartRate: 80, steps: 25 });
    clock.advance(10 * 60_000);
    await send({ heartRate: 70 });
    const series = (await hub.api.get(`/api/v1/devices/${d.id}/series?hours=24`)).body;
    expect(series.bucketMs).toBe(600_000);
    expect(series.points).toEqual([
      { at: '2026-11-24T00:00:00.000Z', heartRate: { min: 60, avg: 70, max: 80 }, steps: 25 },
      { at: '2026-11-24T00:10:00.000Z', heartRate: { min: 70, avg: 70, max: 70 }, steps: null },
    ]);
    clock.advance(25 * 3_600_000);
    await hub.api.login('admin', ADMIN_PASSWORD); // the session expired meanwhile
    expect((await hub.api.get(`/api/v1/devices/${d.id}/series`)).body.points).toEqual([]);
  });

  it('refuses the stream to visitors and gives installers device health but no alerts', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const visitor = await userOf(hub, 'visitor1', 'visitor', 'Visitor');
    const installer = await userOf(hub, 'fitter', 'installer', 'Fitter');
    await expect(StreamClient.open(hub.httpUrl, `token=${visitor.token}`)).rejects.toThrow('refused: 403');
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${installer.token}`), closeStream);
    expect((await stream.next((m) => m.type === 'snapshot')).alerts).toEqual([]);
    await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'fall', seq: 2 }), { qos: 1 });
    await client.publishAsync(`hc/v1/${d.id}/status`, 'offline', { qos: 1 });
    await stream.next((m) => m.type === 'device.status' && m.online === false);
    expect(stream.messages.some((m) => m.type === 'alert.raised' || m.type === 'alert.updated')).toBe(false);
  });
});
