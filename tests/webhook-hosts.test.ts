/**
 * HUB_WEBHOOK_ALLOWED_HOSTS: webhooks go only to listed hosts — refused when
 * configured (400 naming the field, nothing stored) and again at send time,
 * so a URL pointing inside the site's network is never requested.
 */
import { describe, expect, it } from 'vitest';
import { hostRefusal, parseHostAllowList } from '../hub/notify/host-allow-list.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub } from './helpers/test-hub.js';
import { LOOPBACK_GATEWAY_ENV, WebhookGateway } from './helpers/webhook-gateway.js';

const keep = useCleanup();
const ENV = { HUB_WEBHOOK_SECRET: 'a-long-secret-for-contact-webhooks', HUB_WEBHOOK_ALLOWED_HOSTS: 'sms.example.com, .gateway.example.cn' };

describe('webhook host allow-list', () => {
  it('matches exact hosts and domain suffixes, and allows anything without a list', () => {
    const list = parseHostAllowList(ENV.HUB_WEBHOOK_ALLOWED_HOSTS);
    expect(hostRefusal('https://sms.example.com/hook', list)).toBeUndefined();
    expect(hostRefusal('https://a.gateway.example.cn/x', list)).toBeUndefined();
    expect(hostRefusal('https://gateway.example.cn/x', list)).toBeUndefined();
    expect(hostRefusal('http://169.254.169.254/latest/meta-data', list)).toMatch(/host 169\.254\.169\.254 is not in HUB_WEBHOOK_ALLOWED_HOSTS/);
    expect(hostRefusal('https://evilgateway.example.cn/x', list)).toBeDefined();
    expect(hostRefusal('https://sms.example.com.evil.io/', list)).toBeDefined();
    expect(hostRefusal('http://127.0.0.1:9/', undefined)).toBeUndefined();
    expect(parseHostAllowList(' , ')).toBeUndefined();
  });

  it('refuses webhooks to other hosts when they are configured, storing nothing', async () => {
    const hub = keep(await startTestHub({ env: ENV }), closeHub);
    const org = await hub.api.post('/api/v1/notifications/webhooks', { name: 'Internal', url: 'http://10.0.0.1/hook', secret: 'organisation-secret-1234' });
    expect(org.status).toBe(400);
    expect(org.body.error.message).toMatch(/^url: host 10\.0\.0\.1 is not in HUB_WEBHOOK_ALLOWED_HOSTS/);
    expect((await hub.api.get('/api/v1/notifications/webhooks')).body.webhooks).toEqual([]);
    const home = await hub.api.post('/api/v1/homes', {
      name: 'H',
      address: 'A',
      resident: { name: 'R', birthYear: 1940, contacts: [{ name: 'Son', phone: '+86 138 0000 0000', notify: { webhookUrl: 'http://169.254.169.254/x' } }] },
    });
    expect(home.status).toBe(400);
    expect(home.body.error.message).toContain('resident.contacts.0.notify.webhookUrl: host 169.254.169.254');
    expect((await hub.api.get('/api/v1/homes')).body.homes).toEqual([]);
  });

  it('does not send to a host taken off the list, and says why in the delivery log', async () => {
    const gateway = keep(await WebhookGateway.start(), (g) => g.close());
    const first = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    expect((await first.api.post('/api/v1/notifications/webhooks', { name: 'Loopback', url: gateway.url, secret: 'organisation-secret-1234' })).status).toBe(201);
    const { devices } = await first.provisionHome({ kinds: ['bracelet'] });
    await first.hub.stop();
    const hub = keep(await startTestHub({ dataDir: first.dataDir, env: { ...ENV, ...LOOPBACK_GATEWAY_ENV } }), closeHub);
    const d = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const deadline = Date.now() + 5_000;
    let deliveries: { status: string; attempts: { error?: string }[] }[] = [];
    while (Date.now() < deadline) {
      deliveries = (await hub.api.get('/api/v1/notifications/deliveries')).body.deliveries;
      if (deliveries.some((x) => x.status === 'gave_up')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(deliveries[0]).toMatchObject({ status: 'gave_up' });
    expect(JSON.stringify(deliveries[0])).toContain('not in HUB_WEBHOOK_ALLOWED_HOSTS');
    expect(gateway.requests).toEqual([]);
  });
});
