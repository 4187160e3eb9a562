/**
 * Every route × every role, read from the OpenAPI document's `x-roles`: no
 * session → 401, a role not listed → 403, a listed role → neither. And every
 * route the HTTP app really has is in the document, so no route can slip past
 * without declaring its roles (deny by default).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../hub/registry/records.js';
import { ApiClient } from './helpers/api-client.js';
import { endClient } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

let hub: TestHub;
let ids: Record<string, string>;
let operations: { method: string; path: string; roles: string[] }[];

beforeAll(async () => {
  hub = await startTestHub();
  const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  const d = devices[0]!;
  const client = await connectDevice(hub.mqttUrl, d.id, d.secret);
  await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
  await endClient(client);
  const alert = (await hub.api.get('/api/v1/alerts')).body.alerts[0];
  const home = (await hub.api.get(`/api/v1/homes/${homeId}`)).body;
  ids = { homeId, deviceId: d.id, alertId: alert.id, responderId: 'rsp-none', userId: 'usr-none', ruleId: 'sos', id: home.resident.id };
  const doc = (await hub.api.get('/api/v1/openapi.json')).body;
  operations = Object.entries<Record<string, { 'x-roles': string[] }>>(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, roles: op['x-roles'] })),
  );
  return () => hub.stop();
}, 30_000);

function urlOf(path: string): string {
  return `/api/v1${path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? `unknown-${name}`)}`;
}

async function call(method: string, path: string, token?: string) {
  const client = new ApiClient(hub.httpUrl);
  client.token = token;
  return client.request(method, urlOf(path), method === 'GET' ? undefined : {});
}

describe('route × role matrix', () => {
  it('documents every route the app serves, each with the roles it allows', () => {
    const served = hub.hub
      .httpApp!.routes.filter((r) => r.path.startsWith('/api/v1/') && r.method !== 'ALL')
      .map((r) => `${r.method} ${r.path.replace('/api/v1', '').replace(/:(\w+)/g, '{$1}')}`);
    // The document itself is the one route not described in the document.
    const documented = [...operations.map((o) => `${o.method} ${o.path}`), 'GET /openapi.json'];
    expect(served.length).toBeGreaterThan(25);
    for (const route of served) expect(documented).toContain(route);
    for (const op of operations) expect(op.roles.length).toBeGreaterThan(0);
  });

  it('answers 401 without a session, 403 for every role not allowed, and lets every allowed role through', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      if (op.roles.includes('public')) continue;
      const anonymous = await call(op.method, op.path);
      if (anonymous.status !== 401) failures.push(`${op.method} ${op.path} without a session: ${anonymous.status}`);
      for (const role of ROLES) {
        const { token } = await hub.hub.sessions.create({ userId: `matrix-${role}`, username: `matrix-${role}`, role: role as Role, homeIds: [ids.homeId!] });
        const res = await call(op.method, op.path, token);
        const allowed = op.roles.includes(role);
        if (allowed && (res.status === 401 || res.status === 403)) failures.push(`${op.method} ${op.path} as ${role}: ${res.status}, expected access`);
        if (!allowed && res.status !== 403) failures.push(`${op.method} ${op.path} as ${role}: ${res.status}, expected 403`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('serves the public routes without a session', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/openapi.json')).status).toBe(200);
    expect((await call('POST', '/auth/login')).status).toBe(400);
  });

  it('keeps CORS closed and refuses state changes that are not JSON', async () => {
    const preflight = await fetch(`${hub.httpUrl}/api/v1/alerts`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const before = (await hub.api.get(`/api/v1/alerts/${ids.alertId}`)).body;
    const res = await hub.api.request('POST', `/api/v1/alerts/${ids.alertId}/notes`, undefined, { headers: { 'content-type': 'text/plain' }, raw: '{"text":"x"}' });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    expect((await hub.api.get(`/api/v1/alerts/${ids.alertId}`)).body.timeline).toHaveLength(before.timeline.length);
  });
});
