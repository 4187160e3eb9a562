/**
 * Issue 10 item 5, the rule itself through the API (app.request, no socket):
 * a write that rides the session cookie must come from the hub's own origin,
 * by Sec-Fetch-Site or Origin; reads and bearer-token clients are unaffected.
 * The attack from a real page on another port is in tests/browser/csrf.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

let hub: TestHub;
let alertId: string;
const HOST = 'hub.example:8080';

beforeAll(async () => {
  hub = await startTestHub();
  const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  hub.hub.intake.submit({ kind: 'sos', severity: 'critical', title: 'SOS', homeId, deviceId: devices[0]!.id }, { deviceId: devices[0]!.id, eventType: 'sos', at: new Date().toISOString() });
  await hub.hub.journal.whenDurable();
  alertId = hub.hub.alerts.list({ unresolved: true })[0]!.id;
});

afterAll(() => hub?.stop());

async function send(method: string, path: string, headers: Record<string, string>) {
  const body = headers['content-type'] ? JSON.stringify({ text: 'called the resident' }) : undefined;
  const res = await hub.hub.httpApp!.request(`http://${HOST}${path}`, { method, headers: { host: HOST, ...headers }, body });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

const cookie = () => ({ cookie: `hc_session=${hub.api.token}` });
const note = `/api/v1/alerts/ALERT/notes`;
const jsonNote = { 'content-type': 'application/json' };

describe('CSRF: cookie-authenticated writes must come from the hub itself', () => {
  it.each([
    ['another port of the same host (Origin)', { origin: 'http://hub.example:9999' }, 'Origin is not this hub'],
    ['another site (Origin)', { origin: 'https://evil.example' }, 'Origin is not this hub'],
    ['a sandboxed frame (Origin: null)', { origin: 'null' }, 'Origin is not this hub'],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site', origin: `http://${HOST}` }, 'Sec-Fetch-Site is same-site'],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }, 'Sec-Fetch-Site is cross-site'],
    ['neither header', {}, 'neither Origin nor Sec-Fetch-Site was sent'],
  ])('refuses a write from %s with 403 and changes nothing', async (_name, headers, reason) => {
    const before = hub.hub.alerts.get(alertId);
    const res = await send('POST', `/api/v1/alerts/${alertId}/acknowledge`, { ...cookie(), ...headers });
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: 'cross_origin', message: expect.stringContaining(`(${reason})`) });
    expect(hub.hub.alerts.get(alertId)).toEqual(before);
  });

  it('lets the same origin write with the cookie (Sec-Fetch-Site or Origin)', async () => {
    const a = await send('POST', note.replace('ALERT', alertId), { ...cookie(), ...jsonNote, 'sec-fetch-site': 'same-origin', origin: `http://${HOST}` });
    const b = await send('POST', note.replace('ALERT', alertId), { ...cookie(), ...jsonNote, origin: `http://${HOST}` });
    const c = await send('POST', note.replace('ALERT', alertId), { ...cookie(), ...jsonNote, 'sec-fetch-site': 'same-origin' });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
  });

  it('leaves reads and bearer-token clients alone', async () => {
    expect((await send('GET', '/api/v1/alerts', { ...cookie(), 'sec-fetch-site': 'cross-site' })).status).toBe(200);
    const bearer = await send('POST', note.replace('ALERT', alertId), { authorization: `Bearer ${hub.api.token}`, ...jsonNote, origin: 'https://evil.example' });
    expect(bearer.status).toBe(200);
  });

  it('checks the session first: a bad cookie from anywhere is 401', async () => {
    expect((await send('POST', `/api/v1/alerts/${alertId}/acknowledge`, { cookie: 'hc_session=nope', origin: 'https://evil.example' })).status).toBe(401);
  });
});
