/**
 * Drills (issue 13 item 8) over real sockets: a supervisor starts a drill for
 * a live home or a community; the drill alerts go through the whole path
 * (queue, stream, dispatch, family contact and organisation webhooks marked
 * drill); they change no report figure; the drill report measures answer,
 * dispatch and on-scene times against the targets; and drills survive a
 * restart. Bad input changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { closeGateway, LOOPBACK_GATEWAY_ENV, WebhookGateway } from './helpers/webhook-gateway.js';

const keep = useCleanup();
const S = 1_000;

async function supervisorOf(hub: TestHub): Promise<ApiClient> {
  const created = await hub.api.post('/api/v1/users', { username: 'sun.mei', password: 'supervisor-password', role: 'supervisor' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const client = new ApiClient(hub.httpUrl);
  await client.login('sun.mei', 'supervisor-password');
  return client;
}

async function home(hub: TestHub, opts: { community?: string; live?: boolean; contacts?: unknown[]; revoke?: boolean } = {}) {
  const res = await hub.api.post('/api/v1/homes', {
    name: `Home ${Math.random().toString(16).slice(2, 6)}`,
    address: '12 Jinjiang Rd',
    ...(opts.community ? { community: opts.community } : {}),
    resident: { name: 'Wang Lan', birthYear: 1941, contacts: opts.contacts ?? [] },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const device = await hub.api.post(`/api/v1/homes/${res.body.id}/devices`, { kind: 'bracelet', serial: `BR-${Math.random().toString(16).slice(2, 10)}` });
  if (opts.live !== false) expect((await hub.api.post(`/api/v1/homes/${res.body.id}/go-live`, { overrideReason: 'drill tests' })).status).toBe(200);
  // A revoked device has no watchdog: hours on a manual clock then raise no device_offline alert.
  if (opts.revoke) expect((await hub.api.post(`/api/v1/devices/${device.body.id}/revoke`, { reason: 'drill test' })).status).toBe(200);
  return { homeId: res.body.id as string, residentId: res.body.resident.id as string, device: { id: device.body.id as string, secret: device.body.secret as string } };
}

const alertsNow = async (hub: TestHub) => (await hub.api.get('/api/v1/alerts')).body.alerts as any[];

describe('drills', () => {
  it('runs a drill for one home through the whole path: queue, stream, dispatch, family and organisation webhooks marked drill', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const hub = keep(await startTestHub({ env: { ...LOOPBACK_GATEWAY_ENV, HUB_WEBHOOK_SECRET: 'hub-secret-0123456789' } }), closeHub);
    expect((await hub.api.post('/api/v1/notifications/webhooks', { name: 'SMS gateway', url: `${gateway.url}/org`, secret: 'org-secret-0123456789' })).status).toBe(201);
    const h = await home(hub, { contacts: [{ name: 'Li Wei', phone: '+86 138 0000 0001', notify: { webhookUrl: `${gateway.url}/family` } }] });
    const supervisor = await supervisorOf(hub);
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);

    const started = await supervisor.post('/api/v1/drills', { kind: 'sos', homeId: h.homeId, note: 'monthly drill' });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({ kind: 'sos', scope: { homeId: h.homeId }, homeIds: [h.homeId], startedBy: 'user:sun.mei', targets: { answerSec: 60, dispatchSec: 300, onSceneSec: 900 } });
    const [alertId] = started.body.alertIds as string[];

    const [queued] = await alertsNow(hub);
    expect(queued).toMatchObject({ id: alertId, kind: 'sos', severity: 'critical', status: 'open', drill: { drillId: started.body.id } });
    expect(queued.title).toMatch(/^DRILL 演练 — /);
    const raised = await stream.next((m) => m.type === 'alert.raised' && m.alert?.id === alertId);
    expect(raised.alert.drill).toEqual({ drillId: started.body.id });

    const both = await gateway.waitFor(2, (r) => r.body?.event === 'alert.raised');
    for (const req of both) {
      expect(req.body.drill).toBe(true);
      expect(req.body.alert).toMatchObject({ id: alertId, drill: true });
      expect(req.body.alert.title).toMatch(/^DRILL/);
    }
    expect(both.map((r) => r.path).sort()).toEqual(['/family', '/org']);

    // An operator handles it like any alert.
    expect((await hub.api.post(`/api/v1/alerts/${alertId}/acknowledge`, {})).status).toBe(200);
    const dispatched = await hub.api.post(`/api/v1/alerts/${alertId}/dispatch`, { responders: [{ kind: 'community_worker', name: 'Zhou Jie' }] });
    expect(dispatched.status).toBe(200);
    expect(dispatched.body.drill).toEqual({ drillId: started.body.id });

    // A real SOS during the drill opens a real alert: it never joins the drill's.
    const client = keep(await connectDevice(hub.mqttUrl, h.device.id, h.device.secret), endClient);
    await client.publishAsync(`hc/v1/${h.device.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const real = (await alertsNow(hub)).filter((a) => a.kind === 'sos' && !a.drill);
    expect(real).toHaveLength(1);
    expect(real[0].status).toBe('open');
    expect((await hub.api.get(`/api/v1/alerts/${alertId}`)).body.occurrences).toBe(1);
  });

  it('drills every live home of a community, ends the drill and keeps it across a restart', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const a = await home(hub, { community: 'Jinjiang' });
    const b = await home(hub, { community: 'Jinjiang' });
    await home(hub, { community: 'Jinjiang', live: false });
    await home(hub, { community: 'Siming' });
    const supervisor = await supervisorOf(hub);

    const started = await supervisor.post('/api/v1/drills', { kind: 'smoke', community: 'Jinjiang' });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect([...started.body.homeIds].sort()).toEqual([a.homeId, b.homeId].sort());
    expect((await alertsNow(hub)).filter((x) => x.drill).map((x) => x.homeId).sort()).toEqual([a.homeId, b.homeId].sort());
    // The same homes cannot be in two running drills.
    expect((await supervisor.post('/api/v1/drills', { kind: 'sos', homeId: a.homeId })).status).toBe(409);

    const ended = await supervisor.post(`/api/v1/drills/${started.body.id}/end`, {});
    expect(ended.status).toBe(200);
    expect(ended.body.endedBy).toBe('user:sun.mei');
    expect((await alertsNow(hub)).filter((x) => x.drill).every((x) => x.status === 'resolved')).toBe(true);
    expect((await supervisor.post(`/api/v1/drills/${started.body.id}/end`, {})).status).toBe(409);
    const report = (await supervisor.get(`/api/v1/drills/${started.body.id}`)).body;
    expect(report.totals.answer).toEqual({ met: 0, of: 2 });
    expect(report.alerts[0].answer).toMatchObject({ seconds: null, met: false });

    await hub.hub.stop();
    const again = keep(await startTestHub({ dataDir: hub.dataDir }), closeHub);
    const listed = (await again.api.get('/api/v1/drills')).body.drills;
    expect(listed).toEqual([ended.body]);
    expect((await again.api.get(`/api/v1/drills/${started.body.id}`)).body).toEqual(report);
    expect((await again.api.get('/api/v1/audit')).body.entries.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['drill.started', 'drill.ended']));
  });

  it('reports answer, dispatch and on-scene times against the targets, and changes no report figure', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const h = await home(hub, { revoke: true });
    const from = new Date(clock.now() - 3600 * S).toISOString();
    const to = new Date(clock.now() + 30 * 86_400 * S).toISOString();
    // A real alert (a visitor's follow-up), handled, so the report has figures a drill could disturb.
    const visit = await hub.api.post('/api/v1/visits', { residentId: h.residentId, visitedAt: new Date(clock.now()).toISOString(), condition: 'well', followUp: true });
    expect(visit.status, JSON.stringify(visit.body)).toBe(201);
    const [real] = await alertsNow(hub);
    clock.advance(40 * S);
    await hub.api.post(`/api/v1/alerts/${real.id}/acknowledge`, {});
    await hub.api.post(`/api/v1/alerts/${real.id}/resolve`, { outcome: 'resident_ok' });
    const supervisor = await supervisorOf(hub);
    // Every figure but the time the report was made.
    const summary = async () => ({ ...(await supervisor.get(`/api/v1/reports/summary?from=${from}&to=${to}`)).body, generatedAt: undefined });
    const csv = async () => (await supervisor.get(`/api/v1/reports/answer-times.csv?from=${from}&to=${to}`)).body;
    const before = { summary: await summary(), csv: await csv() };
    expect(before.summary.alerts.total).toBe(1);

    const started = await supervisor.post('/api/v1/drills', { kind: 'fall', homeId: h.homeId, targets: { dispatchSec: 120 } });
    const alertId = started.body.alertIds[0];
    clock.advance(30 * S);
    await hub.api.post(`/api/v1/alerts/${alertId}/acknowledge`, {});
    const running = (await supervisor.get(`/api/v1/drills/${started.body.id}`)).body;
    expect(running.alerts[0]).toMatchObject({ answer: { seconds: 30, targetSec: 60, met: true }, dispatch: { seconds: null, targetSec: 120, met: null } });
    clock.advance(100 * S);
    const responder = (await hub.api.post(`/api/v1/alerts/${alertId}/dispatch`, { responders: [{ kind: 'doctor', name: 'Dr Wu' }] })).body.responders[0];
    clock.advance(1_000 * S);
    await hub.api.request('PATCH', `/api/v1/alerts/${alertId}/responders/${responder.id}`, { state: 'on_scene' });
    await hub.api.post(`/api/v1/alerts/${alertId}/resolve`, { outcome: 'resident_ok' });
    await supervisor.post(`/api/v1/drills/${started.body.id}/end`, {});

    const report = (await supervisor.get(`/api/v1/drills/${started.body.id}`)).body;
    expect(report.alerts[0]).toMatchObject({
      answer: { seconds: 30, targetSec: 60, met: true },
      dispatch: { seconds: 130, targetSec: 120, met: false },
      onScene: { seconds: 1130, targetSec: 900, met: false },
    });
    expect(report.totals).toEqual({ answer: { met: 1, of: 1 }, dispatch: { met: 0, of: 1 }, onScene: { met: 0, of: 1 } });
    // Resolved "resident OK", yet a drill owes the resident no call-back (only the visit's own is listed).
    const callbacks = (await hub.api.get('/api/v1/callbacks?view=all')).body.callbacks as { alertId?: string }[];
    expect(callbacks.map((c) => c.alertId)).toEqual([real.id]);
    expect(await summary()).toEqual(before.summary);
    expect(await csv()).toEqual(before.csv);
  });

  it('refuses bad input with a clear error and changes nothing; only supervisors run drills', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const live = await home(hub, { community: 'Jinjiang' });
    const installing = await home(hub, { live: false });
    const supervisor = await supervisorOf(hub);

    const both = await supervisor.post('/api/v1/drills', { kind: 'sos', homeId: live.homeId, community: 'Jinjiang' });
    expect(both.status).toBe(400);
    expect(both.body.error.issues).toEqual([expect.objectContaining({ path: 'homeId', message: 'give exactly one: homeId (one live home) or community (its every live home)' })]);
    const badKind = await supervisor.post('/api/v1/drills', { kind: 'door_open', homeId: live.homeId });
    expect(badKind.status).toBe(400);
    expect(badKind.body.error.issues[0].path).toBe('kind');
    const notLive = await supervisor.post('/api/v1/drills', { kind: 'sos', homeId: installing.homeId });
    expect(notLive.status).toBe(409);
    expect(notLive.body.error.message).toContain('not live');
    const neither = await supervisor.post('/api/v1/drills', { kind: 'sos' });
    expect(neither.status).toBe(400);
    expect(neither.body.error.issues).toEqual([expect.objectContaining({ path: 'homeId', message: 'give exactly one: homeId (one live home) or community (its every live home)' })]);
    const noCommunity = await supervisor.post('/api/v1/drills', { kind: 'sos', community: 'Nowhere' });
    expect(noCommunity.status).toBe(404);
    expect(noCommunity.body.error.message).toContain('Nowhere');
    expect((await supervisor.post('/api/v1/drills/dr-none/end', {})).status).toBe(404);
    // The admin may read drills but not run them (route-role-matrix.test.ts checks every role).
    expect((await hub.api.post('/api/v1/drills', { kind: 'sos', homeId: live.homeId })).status).toBe(403);
    // CSRF: a supervisor's session cookie riding a write from another site is refused (hub/auth/same-origin.ts).
    const crossSite = await hub.hub.httpApp!.request('http://hub.example/api/v1/drills', {
      method: 'POST',
      headers: { host: 'hub.example', cookie: `hc_session=${supervisor.token}`, 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ kind: 'sos', homeId: live.homeId }),
    });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe('cross_origin');

    expect((await supervisor.get('/api/v1/drills')).body.drills).toEqual([]);
    expect(await alertsNow(hub)).toEqual([]);
  });
});
