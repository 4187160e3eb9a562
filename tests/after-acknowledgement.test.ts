/**
 * After acknowledgement (issue 13 item 5), with an injected clock: an
 * acknowledged critical alert with no dispatch or resolution re-alerts its
 * holder at 10 min and the supervisors at 20 min; a responder not on scene
 * 30 min after dispatch is flagged late; both survive a restart, restart
 * their clock on a handover, and show in the reports.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../hub/config/config.js';
import { closeHub, closeStream, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { personWith, raiseAlert } from './helpers/shift-people.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const MIN = 60_000;

async function setUp(clock: ManualClock, dataDir?: string) {
  const hub = keep(await startTestHub({ clock, ...(dataDir ? { dataDir } : {}) }), closeHub);
  return hub;
}

async function ackedSos(hub: TestHub, clock: ManualClock) {
  const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  const operator = await personWith(hub, 'operator', 'li.na');
  const alert = await raiseAlert(hub, clock.now(), homeId, devices[0]!.id);
  expect((await operator.post(`/api/v1/alerts/${alert.id}/acknowledge`, {})).status).toBe(200);
  return { alert, operator, homeId };
}

const read = async (hub: TestHub, id: string) => (await hub.api.get(`/api/v1/alerts/${id}`)).body;
const stalledIs = (hub: TestHub, id: string, stage: string | undefined) => waitFor(async () => (await read(hub, id)).flags.stalled === stage, `stalled = ${stage}`);

describe('after acknowledgement', () => {
  it('re-alerts the holder at 10 min and the supervisor at 20 min; a dispatch ends it; the reports count it', async () => {
    const clock = new ManualClock();
    const hub = await setUp(clock);
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    const { alert, operator } = await ackedSos(hub, clock);

    clock.advance(10 * MIN - 1);
    await hub.hub.journal.whenDurable();
    expect((await read(hub, alert.id)).flags.stalled).toBeUndefined();
    clock.advance(1);
    await stalledIs(hub, alert.id, 'holder');
    const pushed = await stream.next((m) => m.type === 'alert.updated' && m.alert.flags.stalled === 'holder');
    expect(pushed.alert.acknowledgedBy).toBe('user:li.na');

    clock.advance(10 * MIN);
    await stalledIs(hub, alert.id, 'supervisor');
    const timeline = (await read(hub, alert.id)).timeline.filter((e: { type: string }) => e.type === 'stalled');
    expect(timeline.map((e: { stage: string; holder: string }) => [e.stage, e.holder])).toEqual([
      ['holder', 'user:li.na'],
      ['supervisor', 'user:li.na'],
    ]);

    expect((await operator.post(`/api/v1/alerts/${alert.id}/dispatch`, { responders: [{ kind: 'community_worker', name: 'Zhou Min' }] })).status).toBe(200);
    expect((await read(hub, alert.id)).flags.stalled).toBeUndefined();

    const report = (await hub.api.get('/api/v1/reports/summary?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z')).body;
    expect(report.followUp.stalled).toMatchObject({ holder: 1, supervisor: 1 });
    expect(report.followUp.stalled.alerts[0]).toMatchObject({ alertId: alert.id, stage: 'supervisor', holder: 'user:li.na' });
    const csv = (await hub.api.get('/api/v1/reports/stalled-alerts.csv?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z')).body as string;
    expect(csv).toContain(`${alert.id},sos,critical`);
  });

  it('flags a responder not on scene 30 min after dispatch, not one who arrived', async () => {
    const clock = new ManualClock();
    const hub = await setUp(clock);
    const { alert, operator } = await ackedSos(hub, clock);
    const dispatched = await operator.post(`/api/v1/alerts/${alert.id}/dispatch`, {
      responders: [
        { kind: 'community_worker', name: 'Zhou Min' },
        { kind: 'ambulance_120', name: '120' },
      ],
    });
    const [worker, ambulance] = dispatched.body.responders;
    clock.advance(20 * MIN);
    expect((await operator.request('PATCH', `/api/v1/alerts/${alert.id}/responders/${ambulance.id}`, { state: 'on_scene' })).status).toBe(200);
    clock.advance(10 * MIN - 1);
    await hub.hub.journal.whenDurable();
    expect((await read(hub, alert.id)).responders.some((r: { late?: boolean }) => r.late)).toBe(false);
    clock.advance(1);
    await waitFor(async () => (await read(hub, alert.id)).responders.find((r: { id: string }) => r.id === worker.id).late === true, 'worker flagged late');
    expect((await read(hub, alert.id)).responders.find((r: { id: string }) => r.id === ambulance.id).late).toBeUndefined();

    const report = (await hub.api.get('/api/v1/reports/summary?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z')).body;
    expect(report.followUp.responders).toMatchObject({ dispatched: 2, late: 1 });
    expect(report.followUp.responders.list[0]).toMatchObject({ responderId: worker.id, name: 'Zhou Min', onSceneAt: null });
    expect(report.followUp.toScene).toMatchObject({ count: 1, medianSeconds: 20 * 60 });
  });

  it('keeps the remaining time across a restart, and catches up when the hub was down past both deadlines', async () => {
    const clock = new ManualClock();
    const first = await setUp(clock);
    const { alert } = await ackedSos(first, clock);
    clock.advance(5 * MIN);
    await first.hub.stop();

    const second = await setUp(clock, first.dataDir);
    clock.advance(5 * MIN - 1);
    await second.hub.journal.whenDurable();
    expect((await read(second, alert.id)).flags.stalled).toBeUndefined();
    clock.advance(1);
    await stalledIs(second, alert.id, 'holder');
    await second.hub.stop();

    clock.advance(60 * MIN);
    const third = await setUp(clock, first.dataDir);
    clock.advance(0);
    await stalledIs(third, alert.id, 'supervisor');
  });

  it('gives the new holder a fresh follow-up time after a handover', async () => {
    const clock = new ManualClock();
    const hub = await setUp(clock);
    const { alert, operator } = await ackedSos(hub, clock);
    await personWith(hub, 'operator', 'wang.fang');
    clock.advance(8 * MIN);
    expect((await operator.post(`/api/v1/alerts/${alert.id}/handover`, { to: 'wang.fang', note: 'Daughter calls back at 10:30' })).status).toBe(200);
    clock.advance(2 * MIN);
    await hub.hub.journal.whenDurable();
    expect((await read(hub, alert.id)).flags.stalled).toBeUndefined();
    clock.advance(8 * MIN);
    await stalledIs(hub, alert.id, 'holder');
    expect((await read(hub, alert.id)).timeline.at(-1)).toMatchObject({ type: 'stalled', holder: 'user:wang.fang' });
  });
});

describe('follow-up settings', () => {
  it('reads minutes per severity, keeps the defaults for the rest, and refuses nonsense with the setting named', () => {
    const config = loadConfig({ env: { HUB_FOLLOW_UP_MINUTES: 'critical=5,low=off', HUB_ON_SCENE_MINUTES: 'high=20' } });
    expect(config.followUpMinutes).toEqual({ critical: 5, high: 15, medium: 30, low: null });
    expect(config.onSceneMinutes).toEqual({ critical: 30, high: 20, medium: 60, low: null });
    expect(() => loadConfig({ env: { HUB_FOLLOW_UP_MINUTES: 'urgent=5' } })).toThrow(ConfigError);
    try {
      loadConfig({ env: { HUB_ON_SCENE_MINUTES: 'critical=soon' } });
    } catch (err) {
      expect((err as ConfigError).problems[0]).toMatch(/HUB_ON_SCENE_MINUTES .*critical: "soon" must be minutes/);
    }
  });
});
