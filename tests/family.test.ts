/**
 * Issue 5, families: an operator links a family user to their relative's
 * home, and the family's one-tap "I'm on my way" joins the alert as an
 * accepted family responder that the operator sees live.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function familyUser(hub: TestHub, username: string) {
  const user = (await hub.api.post('/api/v1/users', { username, password: 'family-password', role: 'family', displayName: 'Wang Jun (son)' })).body;
  return user as { id: string };
}

async function sos(hub: TestHub, device: { id: string; secret: string }) {
  const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq: Date.now() }), { qos: 1 });
  return (await hub.api.get(`/api/v1/alerts?status=open`)).body.alerts as { id: string; homeId: string }[];
}

describe('family', () => {
  it('is linked to a home by an operator, and sees it at once', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId } = await hub.provisionHome({ kinds: ['bracelet'] });
    const user = await familyUser(hub, 'wang.jun');
    const family = new ApiClient(hub.httpUrl);
    await family.login('wang.jun', 'family-password');
    expect((await family.get('/api/v1/homes')).body.homes).toEqual([]);

    const linked = await hub.api.request('PUT', `/api/v1/homes/${homeId}/family/${user.id}`, {});
    expect(linked.body.homeIds).toEqual([homeId]);
    // Sessions carry access: the old one ended, a new login sees the home.
    expect((await family.get('/api/v1/homes')).status).toBe(401);
    await family.login('wang.jun', 'family-password');
    expect((await family.get('/api/v1/homes')).body.homes.map((h: { id: string }) => h.id)).toEqual([homeId]);

    const notFamily = (await hub.api.post('/api/v1/users', { username: 'op', password: 'operator-password', role: 'operator' })).body;
    const refused = await hub.api.request('PUT', `/api/v1/homes/${homeId}/family/${notFamily.id}`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('not a family member');
  });

  it('says "I\u2019m on my way" on their relative\u2019s alert and the operator sees it live', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const mine = await hub.provisionHome({ kinds: ['bracelet'] });
    const other = await hub.provisionHome({ kinds: ['bracelet'] });
    await familyUser(hub, 'wang.jun');
    const user = (await hub.api.get('/api/v1/users')).body.users.find((u: { username: string }) => u.username === 'wang.jun');
    await hub.api.request('PUT', `/api/v1/homes/${mine.homeId}/family/${user.id}`, {});
    const family = new ApiClient(hub.httpUrl);
    await family.login('wang.jun', 'family-password');
    const operatorStream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    await operatorStream.next((m) => m.type === 'snapshot');

    const alerts = await sos(hub, mine.devices[0]!);
    const alert = alerts.find((a) => a.homeId === mine.homeId)!;
    const res = await family.post(`/api/v1/alerts/${alert.id}/on-my-way`, {});
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('open'); // an operator still has to claim it
    expect(res.body.responders).toEqual([expect.objectContaining({ kind: 'family', name: 'Wang Jun (son)', state: 'accepted', addedBy: 'user:wang.jun' })]);
    const seen = await operatorStream.next((m) => m.type === 'alert.updated' && m.alert.responders.length === 1);
    expect(seen.alert.responders[0].name).toBe('Wang Jun (son)');
    expect((await family.post(`/api/v1/alerts/${alert.id}/on-my-way`, {})).status).toBe(409);

    const others = await sos(hub, other.devices[0]!);
    const foreign = others.find((a) => a.homeId === other.homeId)!;
    expect((await family.post(`/api/v1/alerts/${foreign.id}/on-my-way`, {})).status).toBe(404);
    expect((await hub.api.post(`/api/v1/alerts/${alert.id}/on-my-way`, {})).status).toBe(403);
  });
});
