/**
 * Thresholds per resident and per home through the API, validated against the
 * rule's own parameters, and applied by the running rules engine.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function setUp() {
  const hub = keep(await startTestHub(), closeHub);
  const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  const residentId = (await hub.api.get(`/api/v1/homes/${homeId}`)).body.resident.id as string;
  return { hub, homeId, residentId, bracelet: devices[0]! };
}

async function sendHeartRates(hub: TestHub, bracelet: { id: string; secret: string }, rates: number[]) {
  const client = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
  for (const heartRate of rates) await client.publishAsync(`hc/v1/${bracelet.id}/telemetry`, JSON.stringify({ heartRate, worn: true }), { qos: 1 });
  return (await hub.api.get('/api/v1/alerts?kind=heart_rate')).body.alerts;
}

describe('rule settings', () => {
  it('lists the catalogue with defaults', async () => {
    const { hub } = await setUp();
    const rules = (await hub.api.get('/api/v1/rules')).body.rules;
    expect(rules.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(['sos', 'fall', 'heart_rate', 'inactivity', 'night_exit']));
    expect(rules.find((r: { id: string }) => r.id === 'heart_rate').defaults).toMatchObject({ min: 45, max: 120, readings: 3 });
  });

  it('applies a resident\u2019s own heart-rate range, over the home\u2019s, over the default', async () => {
    const { hub, homeId, residentId, bracelet } = await setUp();
    const home = await hub.api.request('PUT', `/api/v1/homes/${homeId}/rule-settings/heart_rate`, { max: 130 });
    expect(home.body.params).toMatchObject({ min: 45, max: 130 });
    const res = await hub.api.request('PUT', `/api/v1/residents/${residentId}/rule-settings/heart_rate`, { max: 100 });
    expect(res.status).toBe(200);
    expect(res.body.params).toMatchObject({ min: 45, max: 100, readings: 3 });
    expect(await sendHeartRates(hub, bracelet, [110, 110, 110])).toEqual([expect.objectContaining({ kind: 'heart_rate', severity: 'high' })]);
  });

  it('uses the default range when nothing is set', async () => {
    const { hub, bracelet } = await setUp();
    expect(await sendHeartRates(hub, bracelet, [110, 110, 110])).toEqual([]);
  });

  it('refuses unknown parameters, bad values and inconsistent ranges with 400, keeping the old settings', async () => {
    const { hub, residentId } = await setUp();
    await hub.api.request('PUT', `/api/v1/residents/${residentId}/rule-settings/heart_rate`, { max: 100 });
    const unknown = await hub.api.request('PUT', `/api/v1/residents/${residentId}/rule-settings/heart_rate`, { maximum: 90 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('maximum');
    const bad = await hub.api.request('PUT', `/api/v1/residents/${residentId}/rule-settings/heart_rate`, { max: 'fast' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('max');
    const crossed = await hub.api.request('PUT', `/api/v1/residents/${residentId}/rule-settings/heart_rate`, { min: 110, max: 100 });
    expect(crossed.status).toBe(400);
    expect(crossed.body.error.message).toContain('min must be below max');
    expect((await hub.api.get(`/api/v1/residents/${residentId}/rule-settings/heart_rate`)).body.params).toMatchObject({ min: 45, max: 100 });
    expect((await hub.api.request('PUT', `/api/v1/residents/${residentId}/rule-settings/no_such_rule`, {})).status).toBe(404);

    const cleared = await hub.api.request('DELETE', `/api/v1/residents/${residentId}/rule-settings/heart_rate`, {});
    expect(cleared.body.params).toMatchObject({ max: 120 });
  });

  it('marks a resident away and back, audited', async () => {
    const { hub, residentId } = await setUp();
    const until = new Date(Date.now() + 7 * 86_400_000);
    const away = await hub.api.post(`/api/v1/residents/${residentId}/away`, { away: true, until: until.toISOString() });
    expect(away.body.away).toMatchObject({ by: 'user:admin', until: until.toISOString() });
    const back = await hub.api.post(`/api/v1/residents/${residentId}/away`, { away: false });
    expect(back.body.away).toBeUndefined();
    expect(hub.hub.audit.recent().map((e) => e.action)).toEqual(expect.arrayContaining(['resident.away', 'resident.back']));
  });

  it('plans an away period from a later date until another, and refuses an end before its start or in the past (issue 13)', async () => {
    const { hub, residentId } = await setUp();
    const day = 86_400_000;
    const from = new Date(Date.now() + 2 * day).toISOString();
    const until = new Date(Date.now() + 9 * day).toISOString();
    const planned = await hub.api.post(`/api/v1/residents/${residentId}/away`, { away: true, from, until });
    expect(planned.status).toBe(200);
    expect(planned.body.away).toMatchObject({ since: from, until });
    const backwards = await hub.api.post(`/api/v1/residents/${residentId}/away`, { away: true, from: until, until: from });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.issues).toEqual([expect.objectContaining({ path: 'until', message: 'must be after from' })]);
    const past = await hub.api.post(`/api/v1/residents/${residentId}/away`, { away: true, until: new Date(Date.now() - day).toISOString() });
    expect(past.status).toBe(400);
    expect(past.body.error.message).toContain('until: must be in the future');
    // Neither refusal changed the planned period.
    expect((await hub.api.get(`/api/v1/residents/${residentId}`)).body.away).toMatchObject({ since: from, until });
  });
});
