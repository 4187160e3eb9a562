/**
 * Issue 13 item 4, location: a bracelet's fix over real MQTT is captured on
 * the alert it raises (or a door sensor raises), each newer fix updates the
 * open alert on REST and the stream, a restart keeps it, bad location payloads
 * are counted and change nothing, and a home's coordinates are validated and
 * editable by installers and admins only.
 */
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const HOME = { lat: 30.657, lon: 104.066 };
const OUTSIDE = { lat: 30.6612, lon: 104.0721, accuracyM: 20 };

async function setUp(clock?: ManualClock) {
  const hub = keep(await startTestHub(clock ? { clock } : {}), closeHub);
  const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet', 'door_sensor'], conditions: ['dementia'] });
  const [braceletDevice, doorDevice] = devices as [(typeof devices)[0], (typeof devices)[0]];
  const bracelet = keep(await connectDevice(hub.mqttUrl, braceletDevice.id, braceletDevice.secret), endClient);
  const door = keep(await connectDevice(hub.mqttUrl, doorDevice.id, doorDevice.secret), endClient);
  return { hub, homeId, braceletId: braceletDevice.id, doorId: doorDevice.id, bracelet, door };
}

function sendFix(client: MqttClient, deviceId: string, location: unknown) {
  return client.publishAsync(`hc/v1/${deviceId}/telemetry`, JSON.stringify({ heartRate: 80, worn: true, location }), { qos: 1 });
}

async function alertOf(hub: TestHub, kind: string) {
  const alerts = (await hub.api.get('/api/v1/alerts?status=open')).body.alerts as { id: string; kind: string }[];
  const found = alerts.find((a) => a.kind === kind);
  if (!found) throw new Error(`no open ${kind} alert`);
  return (await hub.api.get(`/api/v1/alerts/${found.id}`)).body;
}

describe('alert location', () => {
  it('captures the room at the raise, then follows GPS fixes live on REST and the stream, and keeps them over a restart', async () => {
    const { hub, braceletId, bracelet } = await setUp();
    await sendFix(bracelet, braceletId, { room: 'bedroom' });
    await waitFor(() => hub.hub.locations.locate(hub.hub.registry.getDevice(braceletId)!.homeId, braceletId) !== undefined, 'the fix to be noted');
    await bracelet.publishAsync(`hc/v1/${braceletId}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const raised = await alertOf(hub, 'sos');
    expect(raised.location).toMatchObject({ deviceId: braceletId, room: 'bedroom' });
    expect(Date.now() - Date.parse(raised.location.at)).toBeLessThan(60_000);

    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    await stream.next((m) => m.type === 'snapshot');
    await sendFix(bracelet, braceletId, OUTSIDE);
    const pushed = await stream.next((m) => m.type === 'alert.updated' && m.alert.location?.lat === OUTSIDE.lat, 5_000);
    expect(pushed.alert.location).toMatchObject({ deviceId: braceletId, ...OUTSIDE });
    const moved = await alertOf(hub, 'sos');
    expect(moved.location).toMatchObject(OUTSIDE);
    expect(moved.timeline.filter((e: { type: string }) => e.type === 'location')).toEqual([expect.objectContaining({ actor: `device:${braceletId}`, lat: OUTSIDE.lat, lon: OUTSIDE.lon, accuracyM: 20 })]);

    // The same place again within 30 s: no line, no timeline entry (a jitter is not news).
    await sendFix(bracelet, braceletId, { ...OUTSIDE, lat: OUTSIDE.lat + 0.00005 });
    const same = await alertOf(hub, 'sos');
    expect(same.location.at).toBe(moved.location.at);
    expect(same.timeline).toHaveLength(moved.timeline.length);

    await endClient(bracelet);
    await hub.hub.stop();
    const again = keep(await startTestHub({ dataDir: hub.dataDir }), closeHub);
    expect((await alertOf(again, 'sos')).location).toMatchObject({ deviceId: braceletId, ...OUTSIDE });
  });

  it('refreshes a fix of the same place after 30 s (its age starts again) without a timeline entry', async () => {
    const clock = new ManualClock(Date.now());
    const { hub, braceletId, bracelet } = await setUp(clock);
    await sendFix(bracelet, braceletId, { room: 'bathroom' });
    await bracelet.publishAsync(`hc/v1/${braceletId}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const raised = await alertOf(hub, 'sos');
    clock.advance(10_000);
    await sendFix(bracelet, braceletId, { room: 'bathroom' });
    expect((await alertOf(hub, 'sos')).location.at).toBe(raised.location.at);
    clock.advance(25_000);
    await sendFix(bracelet, braceletId, { room: 'bathroom' });
    await waitFor(async () => (await alertOf(hub, 'sos')).location.at !== raised.location.at, 'the refresh to be written');
    const refreshed = await alertOf(hub, 'sos');
    expect(refreshed.location).toEqual({ deviceId: braceletId, room: 'bathroom', at: new Date(clock.now()).toISOString() });
    expect(refreshed.timeline.map((e: { type: string }) => e.type)).toEqual(['raised']);
    await sendFix(bracelet, braceletId, { room: 'kitchen' });
    await waitFor(async () => (await alertOf(hub, 'sos')).location.room === 'kitchen', 'the move to be written at once');
    expect((await alertOf(hub, 'sos')).timeline.map((e: { type: string; room?: string }) => `${e.type}${e.room ? `:${e.room}` : ''}`)).toEqual(['raised', 'location:kitchen']);
  });

  it('takes the fix an SOS event carries itself over older telemetry', async () => {
    const { hub, homeId, braceletId, bracelet } = await setUp();
    expect((await hub.api.request('PUT', `/api/v1/homes/${homeId}/geo`, HOME)).status).toBe(200);
    await sendFix(bracelet, braceletId, { room: 'bedroom' });
    await bracelet.publishAsync(`hc/v1/${braceletId}/event`, JSON.stringify({ type: 'sos', seq: 1, location: OUTSIDE }), { qos: 1 });
    const alert = await alertOf(hub, 'sos');
    expect(alert.location).toMatchObject({ deviceId: braceletId, ...OUTSIDE, distanceM: expect.any(Number) });
    expect(alert.timeline.map((e: { type: string }) => e.type)).toEqual(['raised']);
    // A bad location on an event refuses the whole event, as for telemetry: counted, no alert.
    await bracelet.publishAsync(`hc/v1/${braceletId}/event`, JSON.stringify({ type: 'fall', seq: 2, location: { lat: -91, lon: 0 } }), { qos: 1 });
    await waitFor(() => hub.hub.ingest.dropped.invalid_payload === 1, 'the bad fall to be counted');
    expect((await hub.api.get('/api/v1/alerts')).body.alerts.map((a: { kind: string }) => a.kind)).toEqual(['sos']);
  });

  it('puts the freshest bracelet fix on a night exit raised by the door sensor', async () => {
    const { hub, homeId, braceletId, bracelet, door, doorId } = await setUp();
    expect((await hub.api.request('PUT', `/api/v1/homes/${homeId}/geo`, HOME)).status).toBe(200);
    // A night window covering the whole day, so the test does not depend on the hour it runs at.
    expect((await hub.api.request('PUT', `/api/v1/homes/${homeId}/rule-settings/night_exit`, { nightStart: '00:00', nightEnd: '23:59' })).status).toBe(200);
    await sendFix(bracelet, braceletId, OUTSIDE);
    await waitFor(() => hub.hub.locations.locate(homeId, doorId) !== undefined, 'the fix to be noted');
    await door.publishAsync(`hc/v1/${doorId}/event`, JSON.stringify({ type: 'open', seq: 1 }), { qos: 1 });
    const alert = await alertOf(hub, 'night_exit');
    expect(alert.deviceId).toBe(doorId);
    expect(alert.location).toMatchObject({ deviceId: braceletId, ...OUTSIDE });
    // About 700 m north-east of home, worked out once by the hub.
    expect(alert.location.distanceM).toBeGreaterThan(650);
    expect(alert.location.distanceM).toBeLessThan(800);
  });

  it('refuses bad location payloads with a count per device and changes nothing', async () => {
    const { hub, braceletId, bracelet } = await setUp();
    await sendFix(bracelet, braceletId, { room: 'kitchen' });
    await bracelet.publishAsync(`hc/v1/${braceletId}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const before = await alertOf(hub, 'sos');
    const droppedBefore = hub.hub.ingest.dropped.invalid_payload;
    const bad = [{ lat: 91, lon: 10 }, { lat: 30, lon: 181 }, { lat: 30 }, {}, 'kitchen', { room: '' }, { lat: 30, lon: 104, accuracyM: -1 }, { room: 'x'.repeat(65) }];
    for (const location of bad) await sendFix(bracelet, braceletId, location);
    await waitFor(() => hub.hub.ingest.dropped.invalid_payload === droppedBefore + bad.length, 'every bad payload to be counted');
    const device = (await hub.api.get(`/api/v1/devices/${braceletId}`)).body;
    expect(device.badPayloads).toBe(bad.length);
    expect(device.lastBadPayload.reason).toBe('invalid_payload');
    const after = await alertOf(hub, 'sos');
    expect(after.location).toEqual(before.location);
    expect(after.timeline).toEqual(before.timeline);
    expect(hub.hub.locations.locate(before.homeId, braceletId)).toMatchObject({ room: 'kitchen' });
  });

  it('lets installers and admins set and clear home coordinates, validated, audited, and shows them to the family of that home only', async () => {
    const { hub, homeId } = await setUp();
    const other = await hub.provisionHome({ kinds: ['bracelet'] });
    const bad = await hub.api.request('PUT', `/api/v1/homes/${homeId}/geo`, { lat: 95, lon: 'east' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toMatch(/lat/);
    expect(JSON.stringify(bad.body.error)).toMatch(/lon/);
    expect((await hub.api.get(`/api/v1/homes/${homeId}`)).body.geo).toBeUndefined();

    const users = [['inst', 'installer'], ['oper', 'operator'], ['fam', 'family']] as const;
    const clients: Record<string, ApiClient> = {};
    for (const [username, role] of users) {
      const user = (await hub.api.post('/api/v1/users', { username, password: `${username}-password-1`, role, displayName: username })).body;
      if (role === 'family') await hub.api.request('PUT', `/api/v1/homes/${homeId}/family/${user.id}`, {});
      clients[username] = new ApiClient(hub.httpUrl);
      await clients[username]!.login(username, `${username}-password-1`);
    }
    expect((await clients.oper!.request('PUT', `/api/v1/homes/${homeId}/geo`, HOME)).status).toBe(403);
    expect((await clients.fam!.request('PUT', `/api/v1/homes/${homeId}/geo`, HOME)).status).toBe(403);
    const set = await clients.inst!.request('PUT', `/api/v1/homes/${homeId}/geo`, HOME);
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ homeId, geo: HOME });
    expect((await clients.fam!.get(`/api/v1/homes/${homeId}`)).body.geo).toEqual(HOME);
    expect((await clients.fam!.get(`/api/v1/homes/${other.homeId}`)).status).toBe(404); // not even its existence
    const audit = (await hub.api.get('/api/v1/audit?action=home.geo_set')).body;
    expect(JSON.stringify(audit)).toContain('user:inst');

    const cleared = await hub.api.request('DELETE', `/api/v1/homes/${homeId}/geo`);
    expect(cleared.body).toEqual({ homeId, geo: null });
    expect((await hub.api.get(`/api/v1/homes/${homeId}`)).body.geo).toBeUndefined();
  });
});
