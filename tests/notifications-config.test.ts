/**
 * The delivery log and webhook configuration over the API (issue 5), against
 * a real hub and a local node:http gateway: who may read the log and the
 * webhooks, bad webhooks refused naming the field, write-only secrets that
 * never reach a log or a file, contact webhooks only with HUB_WEBHOOK_SECRET,
 * and contacts without a webhook of their own sent through the organisation's.
 * Delivery itself: notifications.test.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../hub/registry/records.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { addWebhook, deliveries, deviceEventWith, filesUnder, liveHome, ORG_SECRET, until } from './helpers/notify-hub.js';
import { startTestHub } from './helpers/test-hub.js';
import { closeGateway, WebhookGateway, LOOPBACK_GATEWAY_ENV } from './helpers/webhook-gateway.js';


const keep = useCleanup();
const deviceEvent = deviceEventWith(keep);

describe('the delivery log and webhook configuration over the API', () => {
  it('shows the log to admins, supervisors and operators only; webhooks to admins only', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await addWebhook(hub, gateway.url);
    const home = await liveHome(hub);
    const alert = await deviceEvent(hub, home, 'sos', 1, 'sos');
    await until(() => deliveries(hub), (d) => d[0]?.status === 'sent', 'sent');

    for (const role of ROLES) {
      const client = new ApiClient(hub.httpUrl);
      client.token = (await hub.hub.sessions.create({ userId: `u-${role}`, username: `t-${role}`, role: role as Role, homeIds: [home.homeId] })).token;
      const log = await client.get(`/api/v1/notifications/deliveries?alertId=${alert.id}&status=sent`);
      const hooks = await client.get('/api/v1/notifications/webhooks');
      if (['admin', 'supervisor', 'operator'].includes(role)) {
        expect(log.status, role).toBe(200);
        expect(log.body.deliveries).toHaveLength(1);
        expect(log.body.deliveries[0]).toMatchObject({ alertId: alert.id, event: 'alert.raised', status: 'sent', attempts: [{ attempt: 1, outcome: 'sent', statusCode: 200 }] });
      } else {
        expect(log.status, role).toBe(403);
      }
      expect(hooks.status, role).toBe(role === 'admin' ? 200 : 403);
    }
    expect((await deliveries(hub, `?alertId=${alert.id}&status=gave_up`))).toEqual([]);
    expect((await hub.api.get('/api/v1/notifications/deliveries?status=bogus')).status).toBe(400);
  });

  it('refuses a bad webhook with a 400 naming the field and stores nothing; secrets are write-only and never logged', async () => {
    const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    const post = (body: Record<string, unknown>) => hub.api.post('/api/v1/notifications/webhooks', { name: 'Gateway', url: 'https://sms.example.com/hook', secret: ORG_SECRET, ...body });
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'ftp://sms.example.com/hook' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:pass@sms.example.com/hook' }, 'url'],
      [{ secret: 'short' }, 'secret'],
      [{ severities: ['urgent'] }, 'severities.0'],
      [{ severities: [] }, 'severities'],
      [{ name: '' }, 'name'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_body');
      expect(res.body.error.issues.map((i: { path: string }) => i.path)).toContain(field);
      expect(res.body.error.message).not.toContain('short');
    }
    expect((await hub.api.get('/api/v1/notifications/webhooks')).body.webhooks).toEqual([]);

    const created = await post({ severities: ['critical'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Gateway', url: 'https://sms.example.com/hook', severities: ['critical'], enabled: true, hasSecret: true });
    expect(created.body).not.toHaveProperty('secret');
    const id = created.body.id as string;
    const rotated = await hub.api.request('PATCH', `/api/v1/notifications/webhooks/${id}`, { secret: `${ORG_SECRET}-rotated`, enabled: false });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ enabled: false, hasSecret: true });
    expect(rotated.body).not.toHaveProperty('secret');
    expect((await hub.api.request('PATCH', `/api/v1/notifications/webhooks/${id}`, { url: 'gopher://x' })).status).toBe(400);
    expect((await hub.api.request('PATCH', `/api/v1/notifications/webhooks/${id}`, { colour: 'red' })).status).toBe(400);
    expect((await hub.api.request('PATCH', '/api/v1/notifications/webhooks/wh-nope', { enabled: true })).status).toBe(404);
    const listed = (await hub.api.get('/api/v1/notifications/webhooks')).body.webhooks;
    expect(listed).toEqual([expect.objectContaining({ id, enabled: false, hasSecret: true, url: 'https://sms.example.com/hook' })]);
    expect(JSON.stringify(listed)).not.toContain(ORG_SECRET);

    const audit = (await hub.api.get('/api/v1/audit?action=notify.')).body.entries as { action: string; detail: Record<string, unknown> }[];
    expect(audit.map((e) => e.action).sort()).toEqual(['notify.webhook_created', 'notify.webhook_updated']);
    expect(audit.find((e) => e.action === 'notify.webhook_updated')!.detail).toMatchObject({ secretChanged: true, enabled: false });
    expect(JSON.stringify(audit)).not.toContain(ORG_SECRET);

    expect((await hub.api.request('DELETE', `/api/v1/notifications/webhooks/${id}`)).status).toBe(204);
    expect((await hub.api.request('DELETE', `/api/v1/notifications/webhooks/${id}`)).status).toBe(404);
    expect((await hub.api.get('/api/v1/notifications/webhooks')).body.webhooks).toEqual([]);
    await hub.hub.notify.flushLog();

    // The secret is in no file but the (private) webhook file, which no longer holds it either.
    const webhookFile = join(hub.dataDir, 'notifications', 'webhooks.json');
    expect((await stat(webhookFile)).mode & 0o777).toBe(0o600);
    for (const file of await filesUnder(hub.dataDir)) {
      expect(await readFile(file, 'utf8'), file).not.toContain(ORG_SECRET);
    }
  });

  it('refuses a contact webhook when HUB_WEBHOOK_SECRET is not set, naming the field, and creates nothing', async () => {
    const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    const before = (await hub.api.get('/api/v1/homes')).body.homes.length;
    const res = await hub.api.post('/api/v1/homes', {
      name: 'Zhao home',
      address: '3 Huaihai Rd',
      resident: { name: 'Zhao Min', birthYear: 1938, contacts: [{ name: 'Son', phone: '+86 139 0000 0000' }, { name: 'Daughter', phone: '+86 139 0000 0001', notify: { webhookUrl: 'https://wechat.example.com/hook' } }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['resident.contacts.1.notify.webhookUrl']);
    expect(res.body.error.message).toContain('HUB_WEBHOOK_SECRET');
    expect((await hub.api.get('/api/v1/homes')).body.homes).toHaveLength(before);

    // Without a webhookUrl the contact is fine (notified through the organisation webhooks); bad quiet hours are not.
    const badQuiet = await hub.api.post('/api/v1/homes', {
      name: 'Zhao home',
      address: '3 Huaihai Rd',
      resident: { name: 'Zhao Min', birthYear: 1938, contacts: [{ name: 'Son', phone: '+86 139 0000 0000', notify: { quietHours: { start: '25:00', end: '07:00' } } }] },
    });
    expect(badQuiet.status).toBe(400);
    expect(badQuiet.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['resident.contacts.0.notify.quietHours.start']);
    const ok = await hub.api.post('/api/v1/homes', {
      name: 'Zhao home',
      address: '3 Huaihai Rd',
      resident: { name: 'Zhao Min', birthYear: 1938, contacts: [{ name: 'Son', phone: '+86 139 0000 0000', notify: { severities: ['critical'] } }] },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.resident.contacts[0].notify).toEqual({ severities: ['critical'] });
  });

  it('sends a contact without their own webhook through the organisation webhooks, with the contact in the payload', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await addWebhook(hub, gateway.url);
    const alert = await deviceEvent(hub, await liveHome(hub, [{ name: 'Son', phone: '+86 139 0000 0000', notify: {} }]), 'sos', 1, 'sos');
    const requests = await gateway.waitFor(2);
    expect(requests.map((r) => r.body.contact ?? null)).toEqual(expect.arrayContaining([null, { name: 'Son', phone: '+86 139 0000 0000' }]));
    expect(requests.every((r) => r.body.alert.id === alert.id)).toBe(true);
  });
});
