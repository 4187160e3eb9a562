/**
 * Shifts (issue 13 item 7) over real HTTP and WebSocket: release a claimed
 * alert, hand it over with a note, who may do either, and operator presence
 * (online while a console is connected, away by choice, offline when none is)
 * pushed to the people who take alerts and never to a family.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, closeStream, useCleanup } from './helpers/cleanup.js';
import { personWith, raiseAlert } from './helpers/shift-people.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();

describe('release and handover', () => {
  it('the holder releases a claimed alert back to the queue; another operator may not; a supervisor may', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const li = await personWith(hub, 'operator', 'li.na');
    const wang = await personWith(hub, 'operator', 'wang.fang');
    const boss = await personWith(hub, 'supervisor', 'chen.jie');
    const alert = await raiseAlert(hub, Date.now(), homeId, devices[0]!.id);
    await li.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});

    const refused = await wang.post(`/api/v1/alerts/${alert.id}/release`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/held by user:li\.na/);
    expect((await hub.api.get(`/api/v1/alerts/${alert.id}`)).body).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'user:li.na' });

    const released = await li.post(`/api/v1/alerts/${alert.id}/release`, { note: 'Going on a break' });
    expect(released.status).toBe(200);
    expect(released.body.status).toBe('open');
    expect(released.body.acknowledgedBy).toBeUndefined();
    expect(released.body.acknowledgedAt).toBeDefined(); // the first answer time stays for the reports
    expect(released.body.timeline.at(-1)).toMatchObject({ type: 'released', from: 'user:li.na', note: 'Going on a break' });

    await wang.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    expect((await boss.post(`/api/v1/alerts/${alert.id}/release`, {})).status).toBe(200);
  });

  it('hands an alert over with a note; refuses an unknown or non-operator user, a missing note, and a release once dispatched', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const li = await personWith(hub, 'operator', 'li.na');
    await personWith(hub, 'operator', 'wang.fang');
    await personWith(hub, 'visitor', 'zhou.visitor');
    const alert = await raiseAlert(hub, Date.now(), homeId, devices[0]!.id);
    await li.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    await li.post(`/api/v1/alerts/${alert.id}/dispatch`, { responders: [{ kind: 'family', name: 'Li Ming' }] });
    const before = (await hub.api.get(`/api/v1/alerts/${alert.id}`)).body.timeline.length;

    expect((await li.post(`/api/v1/alerts/${alert.id}/release`, {})).body.error.message).toMatch(/hand it over/);
    expect((await li.post(`/api/v1/alerts/${alert.id}/handover`, { to: 'nobody', note: 'x' })).status).toBe(409);
    expect((await li.post(`/api/v1/alerts/${alert.id}/handover`, { to: 'zhou.visitor', note: 'x' })).status).toBe(409);
    const noNote = await li.post(`/api/v1/alerts/${alert.id}/handover`, { to: 'wang.fang' });
    expect(noNote.status).toBe(400);
    expect(noNote.body.error.issues[0].path).toBe('note');
    expect((await hub.api.get(`/api/v1/alerts/${alert.id}`)).body.timeline).toHaveLength(before);

    const handed = await li.post(`/api/v1/alerts/${alert.id}/handover`, { to: 'wang.fang', note: 'Ambulance called, daughter on her way' });
    expect(handed.status).toBe(200);
    expect(handed.body).toMatchObject({ status: 'dispatched', acknowledgedBy: 'user:wang.fang' });
    expect(handed.body.timeline.at(-1)).toMatchObject({ type: 'handed_over', from: 'user:li.na', to: 'user:wang.fang', note: 'Ambulance called, daughter on her way' });
    // The audit names the action and who did it.
    const audit = (await hub.api.get(`/api/v1/audit?target=${alert.id}`)).body;
    expect(JSON.stringify(audit)).toContain('alert.handed_over');
  });
});

describe('operator presence', () => {
  it('is online while a console is connected, away by choice, offline without one; pushed to operators, not to families', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId } = await hub.provisionHome({ kinds: ['bracelet'] });
    const li = await personWith(hub, 'operator', 'li.na');
    const family = await personWith(hub, 'family', 'li.ming', [homeId]);
    const watcher = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    const familyStream = keep(await StreamClient.open(hub.httpUrl, `token=${family.token}`), closeStream);
    const snapshot = await watcher.next((m) => m.type === 'snapshot');
    expect(snapshot.presence).toEqual([expect.objectContaining({ username: 'admin', state: 'online' })]);

    const liStream = keep(await StreamClient.open(hub.httpUrl, `token=${li.token}`), closeStream);
    await watcher.next((m) => m.type === 'presence' && m.presence.some((p: { username: string; state: string }) => p.username === 'li.na' && p.state === 'online'));
    const away = await li.request('PUT', '/api/v1/presence/me', { state: 'away' });
    expect(away.body).toMatchObject({ username: 'li.na', state: 'away' });
    await watcher.next((m) => m.type === 'presence' && m.presence.some((p: { username: string; state: string }) => p.username === 'li.na' && p.state === 'away'));
    liStream.close();
    await waitFor(async () => (await hub.api.get('/api/v1/presence')).body.presence.some((p: { username: string; state: string }) => p.username === 'li.na' && p.state === 'offline'), 'li.na offline');

    expect((await li.request('PUT', '/api/v1/presence/me', { state: 'asleep' })).status).toBe(400);
    expect((await family.get('/api/v1/presence')).status).toBe(403);
    expect(familyStream.messages.some((m) => m.type === 'presence')).toBe(false);
    expect((await familyStream.next((m) => m.type === 'snapshot')).presence).toBeUndefined();
  });
});
