/**
 * The notification tests' common ground (notifications.test.ts and
 * notifications-config.test.ts): a live home with contacts, a bracelet event
 * over MQTT, the organisation webhook, the delivery log read over the API, and
 * the signature a gateway checks.
 */
import { createHmac } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { endClient, type Keep } from './cleanup.js';
import { connectDevice } from './mqtt-device.js';
import type { TestHub } from './test-hub.js';
import type { GatewayRequest } from './webhook-gateway.js';

export const ORG_SECRET = 'org-gateway-secret-4f9c2a7e1b';
export const HUB_SECRET = 'hub-default-secret-8d3e6b0a5c';
export const settle = () => new Promise((r) => setTimeout(r, 30));

export interface Contact {
  name: string;
  phone: string;
  notify?: Record<string, unknown>;
}

export async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function liveHome(hub: TestHub, contacts: Contact[] = []) {
  const home = await hub.api.post('/api/v1/homes', { name: 'Wang home', address: '12 Jinjiang Rd', resident: { name: 'Wang Lan', birthYear: 1941, contacts } });
  expect(home.status, JSON.stringify(home.body)).toBe(201);
  const device = await hub.api.post(`/api/v1/homes/${home.body.id}/devices`, { kind: 'bracelet', serial: `BR-${Math.random().toString(16).slice(2, 10)}` });
  expect(device.status).toBe(201);
  const live = await hub.api.post(`/api/v1/homes/${home.body.id}/go-live`, { overrideReason: 'notification tests: no commissioning walk' });
  expect(live.status).toBe(200);
  return { homeId: home.body.id as string, device: { id: device.body.id as string, secret: device.body.secret as string } };
}

/** Sends one bracelet event and returns the alert it raised, as listed by the API; `keep` closes the device's client after the test. */
export const deviceEventWith = (keep: Keep) => async (hub: TestHub, home: { homeId: string; device: { id: string; secret: string } }, type: string, seq: number, kind: string) => {
  const client = keep(await connectDevice(hub.mqttUrl, home.device.id, home.device.secret), endClient);
  await client.publishAsync(`hc/v1/${home.device.id}/event`, JSON.stringify({ type, seq }), { qos: 1 });
  await client.endAsync();
  const alerts = (await hub.api.get('/api/v1/alerts?status=open')).body.alerts as { id: string; homeId: string; kind: string }[];
  const alert = alerts.find((a) => a.homeId === home.homeId && a.kind === kind);
  expect(alert, `${kind} alert listed`).toBeDefined();
  return alert!;
};

export async function addWebhook(hub: TestHub, url: string, extra: Record<string, unknown> = {}) {
  const res = await hub.api.post('/api/v1/notifications/webhooks', { name: 'SMS gateway', url, secret: ORG_SECRET, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

export async function deliveries(hub: TestHub, query = ''): Promise<any[]> {
  const res = await hub.api.get(`/api/v1/notifications/deliveries${query}`);
  expect(res.status).toBe(200);
  return res.body.deliveries;
}

export function signatureOf(secret: string, raw: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

export const event = (name: string) => (r: GatewayRequest) => r.body?.event === name;

/** Every file below `dir`, to check that no secret was written anywhere. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}
