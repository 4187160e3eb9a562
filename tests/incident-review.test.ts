/**
 * Incident review (issue 13 item 9): a supervisor reviews a resolved critical
 * alert (what happened, what went well, what to improve; the hub adds the
 * response times); nothing else can be reviewed, operators cannot review, and
 * the reports list the reviews and the critical alerts still waiting.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { personWith, raiseAlert } from './helpers/shift-people.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();
const PERIOD = 'from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z';
const REVIEW = { whatHappened: 'Fell in the bathroom at night', whatWentWell: 'Neighbour had keys', toImprove: 'Ambulance took 25 min: ask for a closer station', targetsMet: true };

describe('incident review', () => {
  it('reviews a resolved critical alert with its response times; refuses the rest; the reports list reviewed and waiting', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const deviceId = devices[0]!.id;
    const operator = await personWith(hub, 'operator', 'li.na');
    const supervisor = await personWith(hub, 'supervisor', 'chen.jie');

    const sos = await raiseAlert(hub, clock.now(), homeId, deviceId, 'sos');
    clock.advance(40_000);
    await operator.post(`/api/v1/alerts/${sos.id}/acknowledge`, {});
    expect((await supervisor.request('PUT', `/api/v1/alerts/${sos.id}/review`, REVIEW)).status).toBe(409);
    clock.advance(60_000);
    const responder = (await operator.post(`/api/v1/alerts/${sos.id}/dispatch`, { responders: [{ kind: 'ambulance_120', name: '120' }] })).body.responders[0];
    clock.advance(25 * 60_000);
    await operator.request('PATCH', `/api/v1/alerts/${sos.id}/responders/${responder.id}`, { state: 'on_scene' });
    clock.advance(10 * 60_000);
    await operator.post(`/api/v1/alerts/${sos.id}/resolve`, { outcome: 'emergency_handled' });
    const waiting = await raiseAlert(hub, clock.now(), homeId, deviceId, 'fall');
    await operator.post(`/api/v1/alerts/${waiting.id}/acknowledge`, {});
    await operator.post(`/api/v1/alerts/${waiting.id}/resolve`, { outcome: 'false_alarm' });
    const low = await raiseAlert(hub, clock.now(), homeId, deviceId, 'low_battery', 'low');
    await operator.post(`/api/v1/alerts/${low.id}/acknowledge`, {});
    await operator.post(`/api/v1/alerts/${low.id}/resolve`, { outcome: 'technical' });

    expect((await operator.request('PUT', `/api/v1/alerts/${sos.id}/review`, REVIEW)).status).toBe(403);
    const bad = await supervisor.request('PUT', `/api/v1/alerts/${sos.id}/review`, { ...REVIEW, toImprove: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe('toImprove');
    expect((await supervisor.request('PUT', `/api/v1/alerts/${low.id}/review`, REVIEW)).body.error.message).toMatch(/only critical/);
    expect((await hub.api.get(`/api/v1/alerts/${sos.id}`)).body.review).toBeUndefined();

    const reviewed = await supervisor.request('PUT', `/api/v1/alerts/${sos.id}/review`, REVIEW);
    expect(reviewed.status).toBe(200);
    expect(reviewed.body.review).toMatchObject({
      ...REVIEW,
      reviewedBy: 'user:chen.jie',
      times: { acknowledgeSeconds: 40, dispatchSeconds: 100, onSceneSeconds: 100 + 25 * 60, resolveSeconds: 100 + 35 * 60 },
    });
    expect(reviewed.body.timeline.at(-1)).toMatchObject({ type: 'reviewed', actor: 'user:chen.jie' });
    // The review is the centre's own: not in lists or stream deltas, and never shown to the family.
    const family = await personWith(hub, 'family', 'li.ming', [homeId]);
    expect((await family.get(`/api/v1/alerts/${sos.id}`)).body.review).toBeUndefined();
    expect((await supervisor.get(`/api/v1/alerts?homeId=${homeId}`)).body.alerts.some((a: { review?: unknown }) => a.review)).toBe(false);
    expect((await supervisor.get(`/api/v1/alerts/${sos.id}`)).body.review.toImprove).toBe(REVIEW.toImprove);

    const report = (await supervisor.get(`/api/v1/reports/summary?${PERIOD}`)).body;
    expect(report.reviews.reviewed).toEqual([expect.objectContaining({ alertId: sos.id, toImprove: REVIEW.toImprove, targetsMet: true })]);
    expect(report.reviews.awaiting).toEqual([expect.objectContaining({ alertId: waiting.id, kind: 'fall', outcome: 'false_alarm' })]);
    const csv = (await supervisor.get(`/api/v1/reports/reviews.csv?${PERIOD}`)).body as string;
    expect(csv).toContain('Ambulance took 25 min: ask for a closer station');
  });
});
