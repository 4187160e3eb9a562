/**
 * Issue 10 item 4: a revoked session's WebSocket must not keep streaming.
 * Logout, disabling the user, changing their role and unlinking a family
 * member from a home each close that session's open sockets (code 4401 with
 * the reason) within a second; a family socket never carries a home the user
 * no longer has, even if the registry changes without ending the session.
 * Real HTTP, real WebSocket clients, real MQTT devices.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RawClient } from './conformance/raw-client.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, closeStream, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function raiseSos(hub: TestHub, d: { id: string; secret: string }): Promise<void> {
  const c = keep(await RawClient.open({ port: hub.mqttPort }), (x) => x.destroy());
  expect((await c.connect({ clientId: d.id, username: d.id, password: Buffer.from(d.secret) })).returnCode).toBe(0);
  await c.publish(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
}

async function userWithStream(hub: TestHub, username: string, role: string, homeIds: string[] = []) {
  const user = (await hub.api.post('/api/v1/users', { username, password: 'a-long-password', role, homeIds })).body as { id: string };
  const api = new ApiClient(hub.httpUrl);
  await api.login(username, 'a-long-password');
  const stream = keep(await StreamClient.open(hub.httpUrl, `token=${api.token}`), closeStream);
  await stream.next((m) => m.type === 'snapshot');
  return { user, api, stream };
}

/**
 * Resolves with the close code, reason and when it came (rejects if still open
 * after 5 s). Timed against the HTTP answer to the change, not its start, so a
 * loaded machine's slow request does not count against the socket.
 */
function closeOf(stream: StreamClient) {
  const closed = once(stream.socket, 'close', { signal: AbortSignal.timeout(5_000) }).catch(() => {
    throw new Error('the socket is still open 5 s later');
  });
  return closed.then(([code, reason]) => ({ code: code as number, reason: String(reason), at: Date.now() }));
}

describe('revoked sessions end their WebSockets', () => {
  it('logout closes that session\u2019s socket at once, and only that session\u2019s', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId, devices } = await hub.provisionHome();
    const { api, stream } = await userWithStream(hub, 'op.one', 'operator');
    const other = new ApiClient(hub.httpUrl);
    await other.login('op.one', 'a-long-password');
    const otherStream = keep(await StreamClient.open(hub.httpUrl, `token=${other.token}`), closeStream);
    await otherStream.next((m) => m.type === 'snapshot');

    const closed = closeOf(stream);
    expect((await api.post('/api/v1/auth/logout', {})).status).toBe(200);
    const answeredAt = Date.now();
    const end = await closed;
    expect(end).toMatchObject({ code: 4401, reason: 'session ended: logged out' });
    expect(end.at - answeredAt).toBeLessThan(1_000);

    // The user's other session is untouched: it still gets the next alert.
    await raiseSos(hub, devices[0]!);
    await otherStream.next((m) => m.type === 'alert.raised' && m.alert.homeId === homeId);
    expect(stream.messages.some((m) => m.type === 'alert.raised')).toBe(false);
  });

  it.each([
    ['disabling the user', { disabled: true }, 'user disabled'],
    ['changing the role', { role: 'visitor' }, 'role changed'],
  ])('%s closes every socket of the user within a second', async (_name, change, reason) => {
    const hub = keep(await startTestHub(), closeHub);
    const { user, stream } = await userWithStream(hub, 'op.two', 'operator');
    const closed = closeOf(stream);
    expect((await hub.api.request('PATCH', `/api/v1/users/${user.id}`, change)).status).toBe(200);
    const answeredAt = Date.now();
    const end = await closed;
    expect(end).toMatchObject({ code: 4401, reason: `session ended: ${reason}` });
    expect(end.at - answeredAt).toBeLessThan(1_000);
  });

  it('unlinking a family member from a home closes their socket before that home\u2019s next alert', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const a = await hub.provisionHome();
    const { user, stream } = await userWithStream(hub, 'son', 'family', [a.homeId]);
    const closed = closeOf(stream);
    expect((await hub.api.request('DELETE', `/api/v1/homes/${a.homeId}/family/${user.id}`)).status).toBe(200);
    const answeredAt = Date.now();
    const end = await closed;
    expect(end).toMatchObject({ code: 4401, reason: 'session ended: homes changed' });
    expect(end.at - answeredAt).toBeLessThan(1_000);
    await raiseSos(hub, a.devices[0]!);
    const seen = await hub.api.get(`/api/v1/alerts?status=open`);
    expect(seen.body.alerts.map((x: { homeId: string }) => x.homeId)).toContain(a.homeId);
    expect(stream.messages.some((m) => m.type === 'alert.raised')).toBe(false);
  });

  it('a family socket stops carrying a home the registry no longer gives the user, even without a revocation', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const a = await hub.provisionHome();
    const b = await hub.provisionHome();
    const { user, stream } = await userWithStream(hub, 'daughter', 'family', [a.homeId, b.homeId]);
    // A change that bypasses the API (and so ends no session): the socket must follow the registry anyway.
    await hub.hub.registry.updateUser(user.id, (u) => ({ ...u, homeIds: [b.homeId] }));
    await raiseSos(hub, a.devices[0]!);
    await raiseSos(hub, b.devices[0]!);
    // B's alert is raised after A's, so once it is here A's would have been too.
    await stream.next((m) => m.type === 'alert.raised' && m.alert.homeId === b.homeId);
    expect(stream.messages.filter((m) => m.homeId === a.homeId || m.alert?.homeId === a.homeId)).toEqual([]);
    expect(stream.socket.readyState).toBe(stream.socket.OPEN);
  });

  it('an expired session’s socket is closed before the next message, not left streaming', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const { devices } = await hub.provisionHome();
    const { stream } = await userWithStream(hub, 'op.three', 'operator');
    const closed = closeOf(stream);
    clock.advance(12 * 60 * 60 * 1000 + 1000);
    await raiseSos(hub, devices[0]!);
    expect(await closed).toMatchObject({ code: 4401, reason: 'session ended: expired' });
    expect(stream.messages.some((m) => m.type === 'alert.raised')).toBe(false);
  });
});
