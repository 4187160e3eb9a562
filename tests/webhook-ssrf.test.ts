/**
 * Issue 10 item 6: webhooks never reach loopback, link-local, private or
 * unspecified addresses (nor their IPv4-mapped IPv6 forms) unless
 * HUB_WEBHOOK_ALLOW_PRIVATE lists them — also when HUB_WEBHOOK_ALLOWED_HOSTS
 * is set. The check is on the address the socket connects to: a name that
 * resolves to loopback is refused before any packet leaves, and with the
 * setting the request goes to exactly the address that was checked.
 * Real HTTP to a real gateway on 127.0.0.1; DNS is faked where a name must
 * resolve to something (no traffic leaves loopback).
 */
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../hub/config/config.js';
import { addressGuard, parseNetworkList } from '../hub/notify/address-guard.js';
import type { ResolveAll } from '../hub/notify/guarded-lookup.js';
import { postWebhook } from '../hub/notify/http-sender.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { closeGateway, LOOPBACK_GATEWAY_ENV, WebhookGateway } from './helpers/webhook-gateway.js';

const keep = useCleanup();
const SECRET = 'organisation-secret-1234';

const REFUSED = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['169.254.169.254', 'link-local'],
  ['fe80::1', 'link-local'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['0.0.0.0', 'unspecified'],
  ['::', 'unspecified'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:a9fe:a9fe', 'link-local'],
  ['64:ff9b::192.168.0.1', 'private'],
] as const;

const PUBLIC = ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'];

/** A resolver that answers every name with `addresses` and counts the questions. */
function fakeDns(...addresses: string[]): ResolveAll & { asked: string[] } {
  const asked: string[] = [];
  const resolve = ((hostname, _options, callback) => {
    asked.push(hostname);
    const answer: LookupAddress[] = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    queueMicrotask(() => callback(null, answer));
  }) as ResolveAll & { asked: string[] };
  resolve.asked = asked;
  return resolve;
}

const post = (url: string, options: Parameters<typeof postWebhook>[3]) =>
  postWebhook({ url, headers: { 'content-type': 'application/json' }, body: '{}' }, new AbortController().signal, Date.now, options);

async function sosDeliveries(hub: TestHub, device: { id: string; secret: string }) {
  const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const deliveries = (await hub.api.get('/api/v1/notifications/deliveries')).body.deliveries as { status: string; attempts: { error?: string }[] }[];
    if (deliveries.length > 0 && deliveries.every((d) => d.status !== 'pending')) return deliveries;
    if (Date.now() > deadline) throw new Error(`deliveries still pending: ${JSON.stringify(deliveries)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('webhook address guard', () => {
  it('refuses loopback, link-local, private and unspecified addresses, also IPv4-mapped, by default', () => {
    const guard = addressGuard(undefined);
    for (const [address, label] of REFUSED) expect(guard(address), address).toMatch(new RegExp(`is a ${label}.* address; webhooks go there only if HUB_WEBHOOK_ALLOW_PRIVATE lists it`));
    for (const address of PUBLIC) expect(guard(address), address).toBeUndefined();
  });

  it('allows exactly the addresses and networks HUB_WEBHOOK_ALLOW_PRIVATE lists', () => {
    const guard = addressGuard('127.0.0.1, 10.0.0.0/8,fd00::/8');
    expect(guard('127.0.0.1')).toBeUndefined();
    expect(guard('::ffff:127.0.0.1')).toBeUndefined();
    expect(guard('10.200.0.9')).toBeUndefined();
    expect(guard('fd12::1')).toBeUndefined();
    expect(guard('127.0.0.2')).toMatch(/loopback/);
    expect(guard('192.168.1.1')).toMatch(/private/);
    expect(guard('::1')).toMatch(/loopback/);
    for (const bad of ['gateway.lan', '10.0.0.0/33', '10.0.0.0/x', '10.0.0.0/8/8', '300.1.1.1']) expect(parseNetworkList(bad), bad).toHaveProperty('problem');
  });

  it('names a bad HUB_WEBHOOK_ALLOW_PRIVATE at start-up', () => {
    expect(() => loadConfig({ env: { HUB_WEBHOOK_ALLOW_PRIVATE: '192.168.1.0/24,gateway.lan' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { HUB_WEBHOOK_ALLOW_PRIVATE: '192.168.1.0/24,gateway.lan' } })).toThrow(/HUB_WEBHOOK_ALLOW_PRIVATE must be a comma-separated list .*"gateway\.lan"/);
  });
});

describe('webhook sender: the check is on the address connected to', () => {
  it('refuses an IP, a localhost name and an IPv4-mapped address of loopback, sending nothing', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const port = new URL(gateway.url).port;
    const guard = addressGuard(undefined);
    for (const url of [gateway.url, `http://localhost:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, `http://[::ffff:7f00:1]:${port}/`, `http://2130706433:${port}/`]) {
      const result = await post(url, { guard });
      expect(result, url).toMatchObject({ kind: 'unsendable', error: expect.stringMatching(/^refused: .*loopback/) });
    }
    expect(gateway.requests).toEqual([]);
  });

  it('refuses a name that resolves to loopback (as after DNS rebinding), even if one of its addresses is public', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const port = new URL(gateway.url).port;
    for (const dns of [fakeDns('127.0.0.1'), fakeDns('203.0.113.7', '127.0.0.1'), fakeDns('::ffff:127.0.0.1')]) {
      const result = await post(`http://hooks.example.com:${port}/sms`, { guard: addressGuard(undefined), resolve: dns });
      expect(result).toMatchObject({ kind: 'unsendable', error: expect.stringMatching(/^refused: hooks\.example\.com resolves to (127\.0\.0\.1|::ffff:127\.0\.0\.1), and .* is a loopback address/) });
      expect(dns.asked).toEqual(['hooks.example.com']);
    }
    expect(gateway.requests).toEqual([]);
  });

  it('with the setting, connects to exactly the address it checked', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const port = new URL(gateway.url).port;
    const dns = fakeDns('127.0.0.1');
    const result = await post(`http://hooks.example.com:${port}/sms`, { guard: addressGuard('127.0.0.1'), resolve: dns });
    expect(result).toEqual({ kind: 'response', status: 200 });
    expect(gateway.requests.map((r) => [r.path, r.headers.host])).toEqual([['/sms', `hooks.example.com:${port}`]]);
  });
});

describe('the hub refuses private webhook addresses unless allowed', () => {
  it('refuses such a URL when it is entered (400 naming the field, nothing stored), with or without a host allow-list', async () => {
    const envs: Record<string, string>[] = [{}, { HUB_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost,169.254.169.254,::ffff:a00:1' }];
    for (const env of envs) {
      const hub = keep(await startTestHub({ env: { HUB_WEBHOOK_SECRET: 'a-long-secret-for-contact-webhooks', ...env } }), closeHub);
      const org = await hub.api.post('/api/v1/notifications/webhooks', { name: 'Metadata', url: 'http://169.254.169.254/latest', secret: SECRET });
      expect(org.status).toBe(400);
      expect(org.body.error.message).toBe('url: 169.254.169.254 is a link-local address; webhooks go there only if HUB_WEBHOOK_ALLOW_PRIVATE lists it');
      const local = await hub.api.post('/api/v1/notifications/webhooks', { name: 'Local', url: 'http://localhost:8080/x', secret: SECRET });
      expect(local.body.error.message).toMatch(/^url: localhost is a loopback name/);
      expect((await hub.api.get('/api/v1/notifications/webhooks')).body.webhooks).toEqual([]);
      const home = await hub.api.post('/api/v1/homes', {
        name: 'H',
        address: 'A',
        resident: { name: 'R', birthYear: 1940, contacts: [{ name: 'Son', phone: '+86 138 0000 0000', notify: { webhookUrl: 'http://[::ffff:10.0.0.1]/x' } }] },
      });
      expect(home.status).toBe(400);
      expect(home.body.error.message).toContain('resident.contacts.0.notify.webhookUrl: ::ffff:a00:1 (IPv4 10.0.0.1) is a private address');
      expect((await hub.api.get('/api/v1/homes')).body.homes).toEqual([]);
      await hub.hub.stop();
    }
  });

  it('refuses at send time a loopback webhook stored while it was allowed: logged gave_up with the reason, nothing sent; sent once allowed again', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const first = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    expect((await first.api.post('/api/v1/notifications/webhooks', { name: 'Loopback', url: `${gateway.url}/hook`, secret: SECRET })).status).toBe(201);
    const homeA = await first.provisionHome();
    const homeB = await first.provisionHome();
    await first.hub.stop();

    // Not allowed now, even though the host allow-list names it.
    const refusing = keep(await startTestHub({ dataDir: first.dataDir, env: { HUB_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' } }), closeHub);
    const refused = await sosDeliveries(refusing, homeA.devices[0]!);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ status: 'gave_up', attempts: [{ outcome: 'gave_up', error: 'refused: 127.0.0.1 is a loopback address; webhooks go there only if HUB_WEBHOOK_ALLOW_PRIVATE lists it' }] });
    expect(gateway.requests).toEqual([]);
    await refusing.hub.stop();

    const allowing = keep(await startTestHub({ dataDir: first.dataDir, env: { HUB_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', ...LOOPBACK_GATEWAY_ENV } }), closeHub);
    const sent = await sosDeliveries(allowing, homeB.devices[0]!);
    expect(sent.filter((d) => d.status === 'sent')).toHaveLength(1);
    expect(gateway.requests.map((r) => r.path)).toEqual(['/hook']);
  });
});
