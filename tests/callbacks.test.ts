/**
 * Call-backs and proactive calls (issue 13 item 6), clocked: a cancelled fall,
 * a "resident OK" resolution and a visit follow-up each schedule one call-back
 * with its due time; the agenda lists today's and overdue calls; each call's
 * outcome is logged (no answer: due again later; needs help: an alert);
 * weekly wellbeing calls roll on; all of it survives a restart and the
 * reports count call-backs done on time.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { personWith, raiseAlert } from './helpers/shift-people.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const MIN = 60_000;
const HOUR = 60 * MIN;
/** 2026-11-24 10:00 in Shanghai. */
const START = Date.UTC(2026, 10, 24, 2, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const callbacks = async (hub: TestHub, view = 'all') => (await hub.api.get(`/api/v1/callbacks?view=${view}`)).body.callbacks as any[];
const oneFor = async (hub: TestHub, alertId: string) => {
  await waitFor(async () => (await callbacks(hub)).some((c) => c.alertId === alertId), `call-back for ${alertId}`);
  return (await callbacks(hub)).find((c) => c.alertId === alertId);
};

describe('call-backs', () => {
  it('a cancelled fall, a resident-OK resolution and a visit follow-up each get one call-back with its due time', async () => {
    const clock = new ManualClock(START);
    const hub = keep(await startTestHub({ clock }), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const deviceId = devices[0]!.id;

    const fall = await raiseAlert(hub, clock.now(), homeId, deviceId, 'fall');
    hub.hub.intake.submit({ kind: 'fall', severity: 'medium', title: 'Fall cancelled — call back', homeId, deviceId, effect: 'set_severity', note: 'cancelled' }, { deviceId, eventType: 'fall_cancelled', at: iso(clock.now()) });
    expect(await oneFor(hub, fall.id)).toMatchObject({ reason: 'fall_cancelled', dueAt: iso(START + 15 * MIN), status: 'pending', homeId });
    // Resolving the same fall as resident OK adds no second call.
    await hub.api.post(`/api/v1/alerts/${fall.id}/acknowledge`, {});
    await hub.api.post(`/api/v1/alerts/${fall.id}/resolve`, { outcome: 'resident_ok' });

    const sos = await raiseAlert(hub, clock.now(), homeId, deviceId, 'sos');
    await hub.api.post(`/api/v1/alerts/${sos.id}/acknowledge`, {});
    clock.advance(5 * MIN);
    await hub.api.post(`/api/v1/alerts/${sos.id}/resolve`, { outcome: 'resident_ok' });
    expect(await oneFor(hub, sos.id)).toMatchObject({ reason: 'resident_ok', dueAt: iso(START + 5 * MIN + 24 * HOUR) });

    const residentId = (await hub.api.get(`/api/v1/homes/${homeId}`)).body.resident.id;
    const visit = await hub.api.post('/api/v1/visits', { residentId, visitedAt: iso(clock.now()), condition: 'needs_help', followUp: true, notes: 'Short of breath' });
    expect(visit.status).toBe(201);
    const followUp = await oneFor(hub, visit.body.followUpAlertId);
    expect(followUp).toMatchObject({ reason: 'visit_follow_up', dueAt: iso(START + 5 * MIN + 24 * HOUR) });
    expect((await callbacks(hub)).filter((c) => c.alertId === fall.id)).toHaveLength(1);

    // Today's agenda (Shanghai): only the fall's call, overdue once 15 min have passed.
    expect((await callbacks(hub, 'agenda')).map((c) => c.reason)).toEqual(['fall_cancelled']);
  });

  it('logs outcomes: no answer is due again later, needs help raises an alert, reached closes it; bad input changes nothing', async () => {
    const clock = new ManualClock(START);
    const hub = keep(await startTestHub({ clock }), closeHub);
    const { homeId } = await hub.provisionHome({ kinds: ['bracelet'] });
    const operator = await personWith(hub, 'operator', 'li.na');
    const family = await personWith(hub, 'family', 'li.ming', [homeId]);
    const made = await operator.post('/api/v1/callbacks', { homeId, dueAt: iso(START + HOUR), note: 'Ask about the new medication' });
    expect(made.status).toBe(201);
    const id = made.body.id;

    expect((await operator.post(`/api/v1/callbacks/${id}/outcome`, { outcome: 'maybe' })).status).toBe(400);
    expect((await family.get('/api/v1/callbacks')).status).toBe(403);
    expect((await family.post(`/api/v1/callbacks/${id}/outcome`, { outcome: 'reached_ok' })).status).toBe(403);
    expect((await callbacks(hub)).find((c) => c.id === id).attempts).toEqual([]);

    clock.advance(HOUR);
    const noAnswer = await operator.post(`/api/v1/callbacks/${id}/outcome`, { outcome: 'no_answer' });
    expect(noAnswer.body).toMatchObject({ status: 'pending', dueAt: iso(START + HOUR + 30 * MIN), firstDueAt: iso(START + HOUR) });
    const worried = await operator.post(`/api/v1/callbacks/${id}/outcome`, { outcome: 'needs_help', note: 'Dizzy since the morning' });
    expect(worried.body).toMatchObject({ status: 'done', outcome: 'needs_help' });
    expect(worried.body.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['no_answer', 'needs_help']);
    const alerts = (await hub.api.get('/api/v1/alerts?status=open&kind=callback_needs_help')).body.alerts;
    expect(alerts).toEqual([expect.objectContaining({ severity: 'medium', homeId, title: 'Call-back: the resident needs help — Dizzy since the morning' })]);
    expect((await operator.post(`/api/v1/callbacks/${id}/outcome`, { outcome: 'reached_ok' })).status).toBe(409);
  });

  it('runs weekly wellbeing calls, keeps everything over a restart, and reports call-backs done on time', async () => {
    const clock = new ManualClock(START);
    const first = keep(await startTestHub({ clock }), closeHub);
    const { homeId } = await first.provisionHome({ kinds: ['bracelet'] });
    const plan = await first.api.post('/api/v1/wellbeing-plans', { homeId, everyDays: 7, firstDueAt: iso(START + 30 * MIN), note: 'Weekly chat' });
    expect(plan.status).toBe(201);
    expect((await first.api.post('/api/v1/wellbeing-plans', { homeId, everyDays: 0, firstDueAt: iso(START) })).status).toBe(400);
    const late = await first.api.post('/api/v1/callbacks', { homeId, dueAt: iso(START) });
    await first.hub.stop();

    const hub = keep(await startTestHub({ clock, dataDir: first.dataDir }), closeHub);
    expect((await hub.api.get('/api/v1/wellbeing-plans')).body.plans).toEqual([expect.objectContaining({ id: plan.body.id, everyDays: 7 })]);
    const call = (await callbacks(hub)).find((c) => c.planId === plan.body.id);
    expect(call).toMatchObject({ reason: 'wellbeing', dueAt: iso(START + 30 * MIN), note: 'Weekly chat' });
    clock.advance(40 * MIN);
    await hub.api.post(`/api/v1/callbacks/${call.id}/outcome`, { outcome: 'reached_ok' });
    const next = (await callbacks(hub, 'pending')).find((c) => c.planId === plan.body.id);
    expect(next.dueAt).toBe(iso(START + 30 * MIN + 7 * 24 * HOUR));
    clock.advance(2 * HOUR);
    await hub.api.post(`/api/v1/callbacks/${late.body.id}/outcome`, { outcome: 'reached_ok' });

    const report = (await hub.api.get('/api/v1/reports/summary?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z')).body;
    expect(report.callbacks[0]).toMatchObject({ reason: 'all', due: 2, done: 2, onTime: 1, late: 1, onTimeShare: 0.5 });
    expect(report.callbacks.find((r: { reason: string }) => r.reason === 'wellbeing')).toMatchObject({ due: 1, onTime: 1 });

    expect((await hub.api.request('DELETE', `/api/v1/wellbeing-plans/${plan.body.id}`)).status).toBe(200);
    expect((await hub.api.get('/api/v1/wellbeing-plans')).body.plans).toEqual([]);
    expect((await callbacks(hub)).find((c) => c.id === next.id).status).toBe('cancelled');
  });
});
