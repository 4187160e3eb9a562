/**
 * Couples (issue 13 item 12): a home with two residents, each with their own
 * profile, thresholds and bracelet, through the real HTTP API and real MQTT.
 * An alert names the resident whose bracelet raised it and was judged against
 * that resident's thresholds; a shared device's alarm names the home.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type ProvisionedDevice, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';
import { closeGateway, LOOPBACK_GATEWAY_ENV, WebhookGateway } from './helpers/webhook-gateway.js';

const keep = useCleanup();

interface Resident {
  id: string;
  name: string;
}

/** A live home with the first resident's bracelet and a smoke sensor, then a second resident and their own bracelet. */
async function couple(env: Record<string, string> = {}, contactsOfSecond: object[] = []) {
  const hub = keep(await startTestHub({ env }), closeHub);
  const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet', 'smoke_sensor'], live: true });
  const [braceletA, smoke] = devices as [ProvisionedDevice, ProvisionedDevice];
  const added = await hub.api.post(`/api/v1/homes/${homeId}/residents`, { name: 'Li Wei', birthYear: 1942, conditions: ['hypertension'], contacts: contactsOfSecond });
  expect(added.status).toBe(201);
  const home = (await hub.api.get(`/api/v1/homes/${homeId}`)).body;
  const [first, second] = home.residents as [Resident, Resident];
  const registered = await hub.api.post(`/api/v1/homes/${homeId}/devices`, { kind: 'bracelet', serial: 'BR-LI-WEI', residentId: second.id });
  expect(registered.status).toBe(201);
  const braceletB: ProvisionedDevice = { id: registered.body.id, kind: 'bracelet', secret: registered.body.secret, homeId };
  return { hub, homeId, first, second, braceletA, braceletB, smoke };
}

async function publish(hub: TestHub, device: ProvisionedDevice, channel: 'event' | 'telemetry', payloads: object[]) {
  const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
  // QoS 1: each PUBACK comes after the rules ran and any alarm line is durable.
  for (const p of payloads) await client.publishAsync(`hc/v1/${device.id}/${channel}`, JSON.stringify(p), { qos: 1 });
  await endClient(client);
}

async function alertsOf(hub: TestHub, kind: string) {
  return (await hub.api.get(`/api/v1/alerts?kind=${kind}`)).body.alerts as { id: string; residentId?: string; deviceId: string }[];
}

describe('couples', () => {
  it('adds a second resident; the home lists both, and its earlier bracelet becomes the first resident\u2019s', async () => {
    const { hub, homeId, first, second, braceletA, braceletB } = await couple();
    expect(first.id).toBe((await hub.api.get(`/api/v1/homes/${homeId}`)).body.resident.id);
    expect(second).toMatchObject({ name: 'Li Wei', homeId, conditions: ['hypertension'] });
    const devices = (await hub.api.get(`/api/v1/homes/${homeId}/devices`)).body.devices as { id: string; kind: string; residentId?: string }[];
    expect(devices.find((d) => d.id === braceletA.id)?.residentId).toBe(first.id);
    expect(devices.find((d) => d.id === braceletB.id)?.residentId).toBe(second.id);
    expect(devices.find((d) => d.kind === 'smoke_sensor')?.residentId).toBeUndefined();
    expect(hub.hub.audit.recent().map((e) => e.action)).toEqual(expect.arrayContaining(['resident.added']));
  });

  it('judges each bracelet against its own wearer\u2019s heart-rate range and names that wearer', async () => {
    const { hub, second, braceletA, braceletB } = await couple();
    const set = await hub.api.request('PUT', `/api/v1/residents/${second.id}/rule-settings/heart_rate`, { max: 100 });
    expect(set.body.params).toMatchObject({ max: 100 });
    // 110 bpm is normal for the first resident (default max 120)…
    await publish(hub, braceletA, 'telemetry', [110, 110, 110].map((heartRate) => ({ heartRate, worn: true })));
    expect(await alertsOf(hub, 'heart_rate')).toEqual([]);
    // …and high for the second, whose own max is 100.
    await publish(hub, braceletB, 'telemetry', [110, 110, 110].map((heartRate) => ({ heartRate, worn: true })));
    expect(await alertsOf(hub, 'heart_rate')).toEqual([expect.objectContaining({ residentId: second.id, deviceId: braceletB.id })]);
  });

  it('raises one SOS per resident, each naming its wearer; a smoke alarm names the home, not one of them', async () => {
    const { hub, first, second, braceletA, braceletB, smoke } = await couple();
    await publish(hub, braceletA, 'event', [{ type: 'sos', seq: 1 }]);
    await publish(hub, braceletB, 'event', [{ type: 'sos', seq: 1 }]);
    await publish(hub, braceletB, 'event', [{ type: 'sos', seq: 2 }]);
    const sos = await alertsOf(hub, 'sos');
    expect(sos.map((a) => a.residentId).sort()).toEqual([first.id, second.id].sort());
    const full = (await hub.api.get(`/api/v1/alerts/${sos.find((a) => a.residentId === second.id)!.id}`)).body;
    expect(full.occurrences).toBe(2);
    await publish(hub, smoke, 'event', [{ type: 'smoke', seq: 1 }]);
    const [fire] = await alertsOf(hub, 'smoke');
    expect(fire).toBeDefined();
    expect(fire!.residentId).toBeUndefined();
  });

  it('refuses a bracelet without a wearer, a wearer from another home and a wearer for a shared sensor, changing nothing', async () => {
    const { hub, homeId, second, smoke } = await couple();
    const before = (await hub.api.get(`/api/v1/homes/${homeId}/devices`)).body.devices.length;
    const noWearer = await hub.api.post(`/api/v1/homes/${homeId}/devices`, { kind: 'bracelet', serial: 'BR-NOBODY' });
    expect(noWearer.status).toBe(400);
    expect(noWearer.body.error.message).toMatch(/residentId: this home has 2 residents/);
    const other = await hub.provisionHome({ kinds: [], live: false });
    const otherResident = (await hub.api.get(`/api/v1/homes/${other.homeId}`)).body.resident.id;
    const stranger = await hub.api.post(`/api/v1/homes/${homeId}/devices`, { kind: 'bracelet', serial: 'BR-STRANGER', residentId: otherResident });
    expect(stranger.status).toBe(400);
    expect(stranger.body.error.message).toContain(`${otherResident} is not a resident of home ${homeId}`);
    const shared = await hub.api.request('PUT', `/api/v1/homes/${homeId}/devices/${smoke.id}/resident`, { residentId: second.id });
    expect(shared.status).toBe(400);
    expect(shared.body.error.message).toContain('belongs to the whole home');
    const devices = (await hub.api.get(`/api/v1/homes/${homeId}/devices`)).body.devices as { id: string; residentId?: string }[];
    expect(devices).toHaveLength(before);
    expect(devices.find((d) => d.id === smoke.id)?.residentId).toBeUndefined();
  });

  it('gives a bracelet to the other resident, and lets only admins, supervisors and installers change a household', async () => {
    const { hub, homeId, first, braceletB } = await couple();
    const moved = await hub.api.request('PUT', `/api/v1/homes/${homeId}/devices/${braceletB.id}/resident`, { residentId: first.id });
    expect(moved.body).toMatchObject({ id: braceletB.id, residentId: first.id });
    expect(moved.body.secretHash).toBeUndefined();
    await publish(hub, braceletB, 'event', [{ type: 'sos', seq: 1 }]);
    expect((await alertsOf(hub, 'sos')).map((a) => a.residentId)).toEqual([first.id]);

    await hub.api.post('/api/v1/users', { username: 'op1', password: 'operator-password', role: 'operator' });
    const operator = new ApiClient(hub.httpUrl);
    await operator.login('op1', 'operator-password');
    const refused = await operator.post(`/api/v1/homes/${homeId}/residents`, { name: 'Someone', birthYear: 1950 });
    expect(refused.status).toBe(403);
    expect((await hub.api.get(`/api/v1/homes/${homeId}`)).body.residents).toHaveLength(2);
  });

  it('notifies a home alarm to both residents\u2019 contacts naming both, and a bracelet\u2019s alert naming its wearer', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const daughter = { name: 'Li Na', relation: 'daughter', phone: '+86 139 0000 0002', notify: { webhookUrl: `${gateway.url}/li-na` } };
    const { hub, first, braceletB, smoke } = await couple({ ...LOOPBACK_GATEWAY_ENV, HUB_WEBHOOK_SECRET: 'hub-secret-for-couples-1' }, [daughter]);
    const son = { name: 'Wang Jun', relation: 'son', phone: '+86 139 0000 0001', notify: { webhookUrl: `${gateway.url}/wang-jun` } };
    expect((await hub.api.request('PATCH', `/api/v1/residents/${first.id}/profile`, { contacts: [son] })).status).toBe(200);

    await publish(hub, smoke, 'event', [{ type: 'smoke', seq: 1 }]);
    const smokeFor = (path: string) => (r: { path: string; body: any }) => r.path === path && r.body?.alert?.kind === 'smoke';
    const [toSon] = await gateway.waitFor(1, smokeFor('/wang-jun'));
    const [toDaughter] = await gateway.waitFor(1, smokeFor('/li-na'));
    expect(toSon!.body.alert.residentName).toBe(`${first.name} & Li Wei`);
    expect(toDaughter!.body.alert.residentName).toBe(`${first.name} & Li Wei`);

    await publish(hub, braceletB, 'event', [{ type: 'sos', seq: 1 }]);
    const [sos] = await gateway.waitFor(1, (r) => r.path === '/li-na' && r.body?.alert?.kind === 'sos');
    expect(sos!.body.alert.residentName).toBe('Li Wei');
  });

  it('shows a linked family member both residents of the home', async () => {
    const { hub, homeId } = await couple();
    const user = (await hub.api.post('/api/v1/users', { username: 'li.na', password: 'family-password', role: 'family' })).body as { id: string };
    await hub.api.request('PUT', `/api/v1/homes/${homeId}/family/${user.id}`, {});
    const family = new ApiClient(hub.httpUrl);
    await family.login('li.na', 'family-password');
    const [home] = (await family.get('/api/v1/homes')).body.homes;
    expect(home.residents.map((r: Resident) => r.name)).toEqual([expect.any(String), 'Li Wei']);
  });

  it('schedules the call-back after "resident OK" for the resident the alert named', async () => {
    const { hub, second, braceletB } = await couple();
    await publish(hub, braceletB, 'event', [{ type: 'sos', seq: 1 }]);
    const [sos] = await alertsOf(hub, 'sos');
    await hub.api.post(`/api/v1/alerts/${sos!.id}/acknowledge`, {});
    await hub.api.post(`/api/v1/alerts/${sos!.id}/resolve`, { outcome: 'resident_ok' });
    const list = async () => (await hub.api.get('/api/v1/callbacks?view=all')).body.callbacks as { alertId?: string; residentId: string }[];
    await waitFor(async () => (await list()).some((c) => c.alertId === sos!.id), 'the call-back');
    expect((await list()).find((c) => c.alertId === sos!.id)?.residentId).toBe(second.id);
  });
});
