/**
 * Visits (探访) over real HTTP with a manual clock in the hub's zone
 * (Asia/Shanghai): the monthly visit rate with visited, overdue, not-home,
 * newly flagged and unflagged residents and visits either side of the
 * UTC/Shanghai month boundary; the due list order; a follow-up raising a
 * medium alert operators see; bad input refused with nothing stored; roles;
 * visits and flag history stored across a restart (files or PostgreSQL).
 */
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.js';
import type { Role } from '../hub/registry/records.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function userClient(hub: TestHub, username: string, role: Role, displayName: string, homeIds: string[] = []): Promise<ApiClient> {
  await hub.hub.registry.createUser({ username, role, displayName, homeIds, passwordHash: await hashPassword('a-long-password') });
  const api = new ApiClient(hub.httpUrl);
  await api.login(username, 'a-long-password');
  return api;
}

async function addResident(hub: TestHub, name: string, options: { community?: string; specialHardship?: boolean } = {}) {
  const res = await hub.api.post('/api/v1/homes', {
    name: `${name} home`,
    address: `${name.length} Wenhua Rd`,
    ...(options.community ? { community: options.community } : {}),
    resident: { name, birthYear: 1938, specialHardship: options.specialHardship ?? true },
  });
  expect(res.status).toBe(201);
  return { homeId: res.body.id as string, residentId: res.body.resident.id as string };
}

describe('visit rate over a month in the hub\u2019s zone', () => {
  it('counts visited, overdue, not-home, newly flagged and unflagged residents, with the local month boundary', async () => {
    const clock = new ManualClock(Date.parse('2026-10-01T02:00:00Z')); // 1 Oct 10:00 in Shanghai
    const hub = keep(await startTestHub({ clock }), closeHub);
    expect(hub.config.timezone).toBe('Asia/Shanghai');
    let visitor = await userClient(hub, 'zhou.jie', 'visitor', 'Zhou Jie');
    const moveTo = async (iso: string) => {
      clock.advance(Date.parse(iso) - clock.now());
      // Sessions last 12 h of hub time: log in again after a jump of days.
      await hub.api.login('admin', ADMIN_PASSWORD);
      visitor = new ApiClient(hub.httpUrl);
      await visitor.login('zhou.jie', 'a-long-password');
    };
    const visit = async (residentId: string, visitedAt: string, condition = 'well') => {
      const res = await visitor.post('/api/v1/visits', { residentId, visitedAt, condition });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    };

    const A = await addResident(hub, 'An Li', { community: 'Jinjiang' }); // visited in November
    const B = await addResident(hub, 'Bai Hua', { community: 'Jinjiang' }); // visited in October only: overdue
    const C = await addResident(hub, 'Chen Bo', { community: 'Qingyang' }); // never visited
    const D = await addResident(hub, 'Deng Yu', { community: 'Qingyang' }); // October visit, November: not at home
    const E = await addResident(hub, 'Er Lan', { specialHardship: false }); // flagged on 15 November
    const F = await addResident(hub, 'Feng Ru'); // unflagged on 25 October
    const G = await addResident(hub, 'Gao Jie'); // visited 1 Nov 01:30 Shanghai = 31 Oct 17:30 UTC
    const H = await addResident(hub, 'He Ping'); // visited 31 Oct 23:30 Shanghai = 31 Oct 15:30 UTC
    const N = await addResident(hub, 'Niu Qi', { specialHardship: false }); // never flagged

    await moveTo('2026-10-20T02:00:00Z');
    await visit(B.residentId, '2026-10-15T02:00:00Z');
    await visit(D.residentId, '2026-10-18T02:00:00Z');
    await visit(N.residentId, '2026-10-18T03:00:00Z'); // allowed, but N is not on any roster

    await moveTo('2026-10-25T02:00:00Z');
    const unflag = await hub.api.request('PATCH', `/api/v1/residents/${F.residentId}`, { specialHardship: false });
    expect(unflag.status).toBe(200);
    expect(unflag.body.hardshipPeriods).toEqual([{ from: '2026-10-01T02:00:00.000Z', to: '2026-10-25T02:00:00.000Z' }]);

    await moveTo('2026-11-01T02:00:00Z');
    await visit(G.residentId, '2026-10-31T17:30:00Z');
    await visit(H.residentId, '2026-10-31T15:30:00+00:00');

    await moveTo('2026-11-10T02:00:00Z');
    await visit(A.residentId, '2026-11-10T09:00:00+08:00');
    await visit(D.residentId, '2026-11-10T00:30:00Z', 'not_home');

    await moveTo('2026-11-15T02:00:00Z');
    const flag = await hub.api.request('PATCH', `/api/v1/residents/${E.residentId}`, { specialHardship: true, community: 'Qingyang' });
    expect(flag.status).toBe(200);
    expect(flag.body).toMatchObject({ specialHardship: true, community: 'Qingyang', hardshipPeriods: [{ from: '2026-11-15T02:00:00.000Z' }] });

    await moveTo('2026-11-28T02:00:00Z');
    const supervisor = await userClient(hub, 'sun.mei', 'supervisor', 'Sun Mei');
    const nov = await supervisor.get('/api/v1/reports/visits?month=2026-11');
    expect(nov.status).toBe(200);
    expect(nov.body).toMatchObject({ month: '2026-11', timezone: 'Asia/Shanghai', from: '2026-10-31T16:00:00.000Z', to: '2026-11-30T16:00:00.000Z', target: 1 });
    // Roster A B C D E G H (F unflagged before November; N never flagged); visited A and G.
    expect(nov.body.overall).toEqual({ residents: 7, visited: 2, notVisited: 5, rate: 2 / 7, targetMet: false });
    expect(nov.body.byCommunity).toEqual([
      { community: 'Jinjiang', residents: 2, visited: 1, notVisited: 1, rate: 0.5, targetMet: false },
      { community: 'Qingyang', residents: 3, visited: 0, notVisited: 3, rate: 0, targetMet: false },
      { community: null, residents: 2, visited: 1, notVisited: 1, rate: 0.5, targetMet: false },
    ]);
    expect(nov.body.notVisited.map((r: { name: string }) => r.name)).toEqual(['Chen Bo', 'Er Lan', 'Bai Hua', 'Deng Yu', 'He Ping']);
    const deng = nov.body.notVisited.find((r: { name: string }) => r.name === 'Deng Yu');
    expect(deng).toMatchObject({ notHomeAttempts: 1, visitsInMonth: 0, lastCompletedVisitAt: '2026-10-18T02:00:00.000Z', lastVisit: { condition: 'not_home', visitedAt: '2026-11-10T00:30:00.000Z', visitor: 'Zhou Jie' } });

    // October: A B C D G H flagged all month, F until the 25th; E flagged only in November. Visited B, D and H (23:30 on the 31st).
    const oct = await supervisor.get('/api/v1/reports/visits?month=2026-10');
    expect(oct.body.overall).toEqual({ residents: 7, visited: 3, notVisited: 4, rate: 3 / 7, targetMet: false });
    expect(oct.body.notVisited.map((r: { name: string }) => r.name).sort()).toEqual(['An Li', 'Chen Bo', 'Feng Ru', 'Gao Jie']);

    // The due list for the visitor: November by default (the hub's month now), overdue first.
    const due = await visitor.get('/api/v1/visits/due');
    expect(due.status).toBe(200);
    expect(due.body.month).toBe('2026-11');
    expect(due.body.due.map((r: { name: string; lastCompletedVisitAt: string | null }) => [r.name, r.lastCompletedVisitAt])).toEqual([
      ['Chen Bo', null],
      ['Er Lan', null],
      ['Bai Hua', '2026-10-15T02:00:00.000Z'],
      ['Deng Yu', '2026-10-18T02:00:00.000Z'],
      ['He Ping', '2026-10-31T15:30:00.000Z'],
    ]);
    expect(due.body.due[0]).toMatchObject({ residentId: C.residentId, homeId: C.homeId, address: '7 Wenhua Rd', community: 'Qingyang', lastVisit: null, daysSinceLastVisit: null });
    expect(due.body.due[2].daysSinceLastVisit).toBe(44);
    // No medical fields in the visitor's list.
    expect(JSON.stringify(due.body)).not.toMatch(/conditions|medicationNotes|accessNotes/);

    // Visits listed by resident and by local month.
    const gNov = await visitor.get(`/api/v1/visits?residentId=${G.residentId}&month=2026-11`);
    expect(gNov.body.total).toBe(1);
    expect((await visitor.get(`/api/v1/visits?residentId=${G.residentId}&month=2026-10`)).body.total).toBe(0);
    expect((await visitor.get(`/api/v1/visits?residentId=${H.residentId}&month=2026-10`)).body.total).toBe(1);
    expect((await visitor.get('/api/v1/visits?month=2026-11')).body.visits.map((v: { residentId: string }) => v.residentId)).toEqual([A.residentId, D.residentId, G.residentId]);

    // The same figures after a restart: the visits and the flag history are stored (visits.json, or the database).
    await hub.hub.stop();
    const again = keep(await startTestHub({ clock, dataDir: hub.dataDir }), closeHub);
    const after = await again.api.get('/api/v1/reports/visits?month=2026-11');
    expect(after.body).toEqual(nov.body);
    expect(again.hub.visitStore.list()).toHaveLength(7);
    expect(again.hub.visitStore.hardshipHistory(E.residentId)).toEqual([{ from: '2026-11-15T02:00:00.000Z' }]);
  });
});

describe('logging a visit', () => {
  it('raises a medium visit_follow_up alert that operators see, for follow-up or needs_help', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const visitor = await userClient(hub, 'zhou.jie', 'visitor', 'Zhou Jie');
    const operator = await userClient(hub, 'li.na', 'operator', 'Li Na');
    const one = await addResident(hub, 'Wang Lan');
    const two = await addResident(hub, 'Liu Fang');
    const three = await addResident(hub, 'Ma Jun');
    const now = new Date().toISOString();

    const followUp = await visitor.post('/api/v1/visits', { residentId: one.residentId, visitedAt: now, condition: 'well', notes: 'fridge nearly empty', followUp: true });
    expect(followUp.status).toBe(201);
    expect(followUp.body).toMatchObject({ residentId: one.residentId, homeId: one.homeId, visitor: 'Zhou Jie', condition: 'well', followUp: true, recordedBy: 'user:zhou.jie' });
    expect(followUp.body.followUpAlertId).toMatch(/^al-/);

    const needsHelp = await visitor.post('/api/v1/visits', { residentId: two.residentId, visitedAt: now, condition: 'needs_help', visitor: 'Volunteer Xu' });
    expect(needsHelp.status).toBe(201);
    expect(needsHelp.body).toMatchObject({ visitor: 'Volunteer Xu', followUp: false });
    expect(needsHelp.body.followUpAlertId).toMatch(/^al-/);

    const plain = await visitor.post('/api/v1/visits', { residentId: three.residentId, visitedAt: now, condition: 'not_home' });
    expect(plain.status).toBe(201);
    expect(plain.body.followUpAlertId).toBeUndefined();

    const open = await operator.get('/api/v1/alerts?status=open&kind=visit_follow_up');
    expect(open.status).toBe(200);
    expect(open.body.total).toBe(2);
    const alert = (await operator.get(`/api/v1/alerts/${followUp.body.followUpAlertId}`)).body;
    expect(alert).toMatchObject({ kind: 'visit_follow_up', severity: 'medium', status: 'open', homeId: one.homeId, residentId: one.residentId, trigger: { actor: 'user:zhou.jie' } });
    expect(alert.deviceId).toBeUndefined();
    expect(alert.title).toContain('Wang Lan');
    expect(alert.details).toMatchObject({ visitId: followUp.body.id, notes: 'fridge nearly empty', condition: 'well' });
    expect(alert.timeline[0]).toMatchObject({ type: 'raised', actor: 'user:zhou.jie' });
    // The operator handles it like any alert.
    expect((await operator.post(`/api/v1/alerts/${alert.id}/acknowledge`, {})).status).toBe(200);
    expect(hub.hub.audit.recent().some((e) => e.action === 'visit.logged' && e.target === followUp.body.id)).toBe(true);
  });

  it('refuses bad input with 400 naming the field, and stores nothing', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const visitor = await userClient(hub, 'zhou.jie', 'visitor', 'Zhou Jie');
    const { residentId } = await addResident(hub, 'Wang Lan');
    const now = clock.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const alertsBefore = hub.hub.alerts.list().length;

    const cases: [string, Record<string, unknown>][] = [
      ['visitedAt', { residentId, visitedAt: iso(now + 3_600_000), condition: 'needs_help', followUp: true }],
      ['visitedAt', { residentId, visitedAt: iso(now - 32 * 86_400_000), condition: 'well' }],
      ['visitedAt', { residentId, visitedAt: 'yesterday', condition: 'well' }],
      ['residentId', { residentId: 'res-nobody', visitedAt: iso(now), condition: 'needs_help', followUp: true }],
      ['condition', { residentId, visitedAt: iso(now), condition: 'asleep' }],
      ['followUp', { residentId, visitedAt: iso(now), condition: 'well', followUp: 'yes' }],
    ];
    for (const [field, body] of cases) {
      const res = await visitor.post('/api/v1/visits', body);
      expect(res.status, `${field}: ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.error.code).toBe('invalid_body');
      expect(res.body.error.message).toContain(field);
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
    }
    expect((await visitor.get('/api/v1/visits')).body.total).toBe(0);
    expect(hub.hub.alerts.list()).toHaveLength(alertsBefore);
    expect(hub.hub.visitStore.list()).toEqual([]);

    // The edges are accepted: 31 days back, and 1 minute ahead (a phone's clock running fast).
    expect((await visitor.post('/api/v1/visits', { residentId, visitedAt: iso(now - 31 * 86_400_000), condition: 'well' })).status).toBe(201);
    expect((await visitor.post('/api/v1/visits', { residentId, visitedAt: iso(now + 60_000), condition: 'well' })).status).toBe(201);
  });
});

describe('resident flag and community', () => {
  it('lets admins and operators set them (audited), refuses medical fields, and shows them in the home', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const operator = await userClient(hub, 'li.na', 'operator', 'Li Na');
    const { homeId, residentId } = await addResident(hub, 'Wang Lan', { specialHardship: false });
    const res = await operator.request('PATCH', `/api/v1/residents/${residentId}`, { specialHardship: true, community: '  Jinjiang  ' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: residentId, homeId, specialHardship: true, community: 'Jinjiang' });
    const home = (await hub.api.get(`/api/v1/homes/${homeId}`)).body;
    expect(home.community).toBe('Jinjiang');
    expect(home.resident.specialHardship).toBe(true);
    const entry = hub.hub.audit.recent().find((e) => e.action === 'resident.updated');
    expect(entry).toMatchObject({ actor: 'user:li.na', target: residentId, detail: { specialHardship: true, community: 'Jinjiang', homeId } });

    const medical = await operator.request('PATCH', `/api/v1/residents/${residentId}`, { medicationNotes: 'x' });
    expect(medical.status).toBe(400);
    expect(medical.body.error.message).toContain('medicationNotes');
    expect((await operator.request('PATCH', `/api/v1/residents/${residentId}`, {})).status).toBe(400);
    expect((await operator.request('PATCH', '/api/v1/residents/res-nobody', { specialHardship: true })).status).toBe(404);
    const cleared = await operator.request('PATCH', `/api/v1/residents/${residentId}`, { community: null });
    expect(cleared.body.community).toBeNull();
  });

  it('keeps visits from family, installers and (for the flag) visitors', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId, residentId } = await addResident(hub, 'Wang Lan');
    const family = await userClient(hub, 'wang.family', 'family', 'Wang Wei', [homeId]);
    const installer = await userClient(hub, 'xu.install', 'installer', 'Xu');
    const visitor = await userClient(hub, 'zhou.jie', 'visitor', 'Zhou Jie');
    const body = { residentId, visitedAt: new Date().toISOString(), condition: 'well' };
    for (const client of [family, installer]) {
      expect((await client.get('/api/v1/visits/due')).status).toBe(403);
      expect((await client.get('/api/v1/visits')).status).toBe(403);
      expect((await client.post('/api/v1/visits', body)).status).toBe(403);
    }
    expect((await visitor.request('PATCH', `/api/v1/residents/${residentId}`, { specialHardship: false })).status).toBe(403);
    expect((await visitor.get('/api/v1/reports/visits')).status).toBe(403);
    expect((await visitor.post('/api/v1/visits', body)).status).toBe(201);
  });
});
