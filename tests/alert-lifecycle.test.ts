/**
 * The alert lifecycle over real HTTP and MQTT: open → acknowledged →
 * dispatched → resolved, checked transitions (409), responders moving
 * forward, notes, outcomes, the timeline and the audit with the operator's
 * name, one journal line per transition, and help_coming to the bracelet.
 */
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { journalLines } from './helpers/journal-lines.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function operator(hub: TestHub, username = 'li.na'): Promise<ApiClient> {
  await hub.hub.registry.createUser({ username, role: 'operator', passwordHash: await hashPassword('operator-pass'), displayName: 'Li Na' });
  const api = new ApiClient(hub.httpUrl);
  await api.login(username, 'operator-pass');
  return api;
}

async function raiseSos(hub: TestHub, seq = 1) {
  const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  const d = devices[0]!;
  const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
  await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq }), { qos: 1 });
  const alert = (await hub.api.get('/api/v1/alerts?status=open')).body.alerts.find((a: { homeId: string }) => a.homeId === homeId);
  return { homeId, device: d, client, alert };
}

describe('alert lifecycle', () => {
  it('walks acknowledge → dispatch → responder states → note → resolve, each step with its actor', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const op = await operator(hub);
    const { client, device, alert } = await raiseSos(hub);
    await client.subscribeAsync(`hc/v1/${device.id}/cmd`, { qos: 1 });
    const command = new Promise<any>((resolve) => client.on('message', (_t, payload) => resolve(JSON.parse(payload.toString()))));
    const before = (await journalLines(hub.dataDir)).length;

    const acked = await op.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'user:li.na' });
    expect(await command).toEqual({ cmd: 'help_coming', cmdId: expect.stringMatching(/^cmd-/), alertId: alert.id });

    const again = await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain('already acknowledged by user:li.na');

    const dispatched = await op.post(`/api/v1/alerts/${alert.id}/dispatch`, { responders: [{ kind: 'community_worker', name: 'Zhou Jie', phone: '+86 138 0000 0000' }] });
    expect(dispatched.status).toBe(200);
    expect(dispatched.body.status).toBe('dispatched');
    const responder = dispatched.body.responders[0];
    expect(responder).toMatchObject({ kind: 'community_worker', name: 'Zhou Jie', state: 'notified', addedBy: 'user:li.na' });

    const accepted = await op.request('PATCH', `/api/v1/alerts/${alert.id}/responders/${responder.id}`, { state: 'on_scene' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.responders[0].state).toBe('on_scene');
    const backwards = await op.request('PATCH', `/api/v1/alerts/${alert.id}/responders/${responder.id}`, { state: 'accepted' });
    expect(backwards.status).toBe(409);
    expect((await op.request('PATCH', `/api/v1/alerts/${alert.id}/responders/rsp-nope`, { state: 'done' })).status).toBe(404);

    expect((await op.post(`/api/v1/alerts/${alert.id}/notes`, { text: 'Resident on the floor, conscious' })).status).toBe(200);
    const noOutcome = await op.post(`/api/v1/alerts/${alert.id}/resolve`, {});
    expect(noOutcome.status).toBe(400);
    expect(noOutcome.body.error.message).toContain('outcome');
    const resolved = await op.post(`/api/v1/alerts/${alert.id}/resolve`, { outcome: 'resident_ok', note: 'helped up, no injury' });
    expect(resolved.body).toMatchObject({ status: 'resolved', outcome: 'resident_ok', resolvedBy: 'user:li.na' });
    expect((await op.post(`/api/v1/alerts/${alert.id}/resolve`, { outcome: 'false_alarm' })).status).toBe(409);

    const detail = (await op.get(`/api/v1/alerts/${alert.id}`)).body;
    // The command's own steps (tests/commands.test.ts) land whenever the device answers.
    const steps = detail.timeline.filter((e: { type: string }) => e.type !== 'command_updated');
    expect(steps.map((e: { type: string; actor: string }) => `${e.type}:${e.actor}`)).toEqual([
      `raised:device:${device.id}`,
      'acknowledged:user:li.na',
      'dispatched:user:li.na',
      'responder_updated:user:li.na',
      'note_added:user:li.na',
      'resolved:user:li.na',
    ]);

    // One journal line per transition (the failed attempts wrote nothing).
    const lines = (await journalLines(hub.dataDir)).slice(before);
    expect(lines.map((l) => l.type).filter((t) => t.startsWith('alert.') && t !== 'alert.command_updated')).toEqual([
      'alert.acknowledged',
      'alert.dispatched',
      'alert.responder_updated',
      'alert.note_added',
      'alert.resolved',
    ]);
    const audit = hub.hub.audit.recent().filter((e) => e.target === alert.id).map((e) => `${e.action}:${e.actor}`);
    expect(audit).toEqual(expect.arrayContaining(['alert.acknowledged:user:li.na', 'alert.dispatched:user:li.na', 'alert.resolved:user:li.na']));
  });

  it('refuses dispatch and resolve before acknowledgement, and actions on unknown alerts', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { alert } = await raiseSos(hub);
    const dispatch = await hub.api.post(`/api/v1/alerts/${alert.id}/dispatch`, { responders: [{ kind: 'family', name: 'Son' }] });
    expect(dispatch.status).toBe(409);
    expect(dispatch.body.error.message).toContain('acknowledge it first');
    expect((await hub.api.post(`/api/v1/alerts/${alert.id}/resolve`, { outcome: 'false_alarm' })).status).toBe(409);
    expect((await hub.api.post('/api/v1/alerts/al-missing/acknowledge', {})).status).toBe(404);
    const badKind = await hub.api.post(`/api/v1/alerts/${alert.id}/dispatch`, { responders: [{ kind: 'plumber', name: 'x' }] });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.message).toContain('responders.0.kind');
    expect((await hub.api.get(`/api/v1/alerts/${alert.id}`)).body.status).toBe('open');
  });

  it('opens a new alert of the same kind only after the previous one is resolved', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { client, device, alert } = await raiseSos(hub);
    const topic = `hc/v1/${device.id}/event`;
    await client.publishAsync(topic, JSON.stringify({ type: 'sos', seq: 2 }), { qos: 1 });
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toHaveLength(1);
    await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    await hub.api.post(`/api/v1/alerts/${alert.id}/resolve`, { outcome: 'false_alarm' });
    await client.publishAsync(topic, JSON.stringify({ type: 'sos', seq: 3 }), { qos: 1 });
    const all = (await hub.api.get('/api/v1/alerts')).body.alerts;
    expect(all).toHaveLength(2);
    expect(all.map((a: { status: string }) => a.status).sort()).toEqual(['open', 'resolved']);
  });

  it('silences only alerts with a siren', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { alert } = await raiseSos(hub);
    const res = await hub.api.post(`/api/v1/alerts/${alert.id}/silence`, {});
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('no siren');
  });

  it('keeps the lifecycle across a restart', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { alert } = await raiseSos(hub);
    await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    await hub.api.post(`/api/v1/alerts/${alert.id}/dispatch`, { responders: [{ kind: 'doctor', name: 'Dr Wu' }] });
    await hub.hub.stop();
    const again = keep(await startTestHub({ dataDir: hub.dataDir }), closeHub);
    const detail = (await again.api.get(`/api/v1/alerts/${alert.id}`)).body;
    expect(detail).toMatchObject({ status: 'dispatched', acknowledgedBy: 'user:admin', responders: [expect.objectContaining({ name: 'Dr Wu', state: 'notified' })] });
    expect((await again.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {})).status).toBe(409);
  });
});

describe('alert list filters', () => {
  it('filters by status, severity, kind, home and time range, and pages', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const first = await raiseSos(hub);
    const second = await raiseSos(hub);
    await hub.api.post(`/api/v1/alerts/${first.alert.id}/acknowledge`, {});
    const q = async (query: string) => (await hub.api.get(`/api/v1/alerts?${query}`)).body;
    expect((await q('status=open')).alerts.map((a: { id: string }) => a.id)).toEqual([second.alert.id]);
    expect((await q('status=unresolved')).total).toBe(2);
    expect((await q('severity=critical&kind=sos')).total).toBe(2);
    expect((await q('severity=low')).total).toBe(0);
    expect((await q(`homeId=${first.homeId}`)).alerts[0].id).toBe(first.alert.id);
    expect((await q(`from=${encodeURIComponent(second.alert.raisedAt)}`)).alerts.map((a: { id: string }) => a.id)).toEqual([second.alert.id]);
    expect((await q(`to=${encodeURIComponent(second.alert.raisedAt)}`)).alerts.map((a: { id: string }) => a.id)).toEqual([first.alert.id]);
    const page = await q('limit=1&offset=1');
    expect(page).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(page.alerts).toHaveLength(1);
    const bad = await hub.api.get('/api/v1/alerts?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('from');
  });
});
