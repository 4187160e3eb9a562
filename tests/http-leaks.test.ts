/**
 * Issue 10 item 8, the smaller HTTP leaks:
 * - a family user's 404 for another home's device (or resident) named that
 *   home's id; now it reads exactly like the 404 for one that does not exist;
 * - the session cookie is `Secure` when the request came over TLS;
 * - the console's source maps are not served unless HUB_SERVE_SOURCE_MAPS is on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../dashboard/build.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

describe("a family user's 404 for another home", () => {
  let hub: TestHub;
  let family: ApiClient;
  let other: { homeId: string; deviceId: string; residentId: string };

  beforeAll(async () => {
    hub = await startTestHub();
    const own = await hub.provisionHome({ kinds: ['bracelet'] });
    const theirs = await hub.provisionHome({ kinds: ['bracelet'] });
    other = { homeId: theirs.homeId, deviceId: theirs.devices[0]!.id, residentId: hub.hub.registry.getHome(theirs.homeId)!.residentId };
    await hub.api.post('/api/v1/users', { username: 'li.ming', password: 'li-ming-password-1', displayName: 'Li Ming', role: 'family', homeIds: [own.homeId] });
    family = new ApiClient(hub.httpUrl);
    await family.login('li.ming', 'li-ming-password-1');
  });

  afterAll(() => hub?.stop());

  it.each([
    ['device', () => `/api/v1/devices/${other.deviceId}`, () => other.deviceId, '/api/v1/devices/d-does-not-exist'],
    ['resident', () => `/api/v1/residents/${other.residentId}`, () => other.residentId, '/api/v1/residents/r-does-not-exist'],
  ])('is the same as for a %s that does not exist, and never names the other home', async (_what, path, id, missingPath) => {
    const theirs = await family.get(path());
    const missing = await family.get(missingPath);
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs.body)).not.toContain(other.homeId);
    const missingId = missingPath.split('/').pop()!;
    expect(theirs.body).toEqual(JSON.parse(JSON.stringify(missing.body).replaceAll(missingId, id())));
  });
});

describe('session cookie over TLS', () => {
  const login = (hub: TestHub, origin: string) =>
    hub.hub.httpApp!.request(`${origin}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });

  it('is Secure when the request came over https, and only then', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const overTls = await login(hub, 'https://hub.example');
    expect(overTls.status).toBe(200);
    expect(overTls.headers.get('set-cookie')).toMatch(/^hc_session=[^;]+;.*; HttpOnly; Secure; SameSite=Strict$/);
    const plain = await login(hub, 'http://hub.example');
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/i);
    const { token } = (await overTls.json()) as { token: string };
    const logout = await hub.hub.httpApp!.request('https://hub.example/api/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(logout.headers.get('set-cookie')).toMatch(/^hc_session=; Max-Age=0; .*Secure/);
  });
});

describe("the console's source maps", () => {
  beforeAll(() => buildDashboard(), 60_000);

  it('are 404 by default while the bundle itself is served', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const map = await fetch(`${hub.httpUrl}/app.js.map`);
    expect(map.status).toBe(404);
    expect(await map.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /app.js.map' } });
    expect((await fetch(`${hub.httpUrl}/app.css.map`)).status).toBe(404);
    expect((await fetch(`${hub.httpUrl}/app.js`)).status).toBe(200);
  });

  it('are served with HUB_SERVE_SOURCE_MAPS=1', async () => {
    const hub = keep(await startTestHub({ env: { HUB_SERVE_SOURCE_MAPS: '1' } }), closeHub);
    const map = await fetch(`${hub.httpUrl}/app.js.map`);
    expect(map.status).toBe(200);
    expect(((await map.json()) as { version: number }).version).toBe(3);
  });
});
