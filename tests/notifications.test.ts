/**
 * Notifications over real sockets (issue 5): a real hub, devices over MQTT,
 * and a local node:http gateway that checks what it receives — signed
 * webhook delivery, retry after a 500, giving up after 1 h, severities and
 * quiet hours, the 180 s escalation, a dead gateway that must not slow an SOS
 * down, and a pending delivery surviving a restart. The delivery log, its
 * roles and the webhook configuration: notifications-config.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../hub/notify/payload.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { addWebhook, deliveries, deviceEventWith, event, HUB_SECRET, liveHome, ORG_SECRET, settle, signatureOf, until } from './helpers/notify-hub.js';
import { startTestHub } from './helpers/test-hub.js';
import { closeGateway, WebhookGateway, LOOPBACK_GATEWAY_ENV } from './helpers/webhook-gateway.js';


const keep = useCleanup();
const deviceEvent = deviceEventWith(keep);

describe('webhook delivery', () => {
  it('POSTs a signed payload to the organisation webhook and to a contact webhook the moment an SOS is raised', async () => {
    const clock = new ManualClock();
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const hub = keep(await startTestHub({ clock, env: { ...LOOPBACK_GATEWAY_ENV, HUB_WEBHOOK_SECRET: HUB_SECRET } }), closeHub);
    const webhook = await addWebhook(hub, `${gateway.url}/org`);
    const home = await liveHome(hub, [
      { name: 'Li Wei', phone: '+86 138 0000 0001', notify: { webhookUrl: `${gateway.url}/li-wei` } },
      { name: 'Neighbour', phone: '+86 138 0000 0002' },
    ]);
    const alert = await deviceEvent(hub, home, 'sos', 1, 'sos');

    const [org] = await gateway.waitFor(1, (r) => r.path === '/org');
    const [contact] = await gateway.waitFor(1, (r) => r.path === '/li-wei');
    // The signature is HMAC-SHA256 of the raw body with the target's secret, checked here independently.
    expect(org!.headers['x-hub-signature-256']).toBe(signatureOf(ORG_SECRET, org!.raw));
    expect(contact!.headers['x-hub-signature-256']).toBe(signatureOf(HUB_SECRET, contact!.raw));
    expect(verifyWebhook(ORG_SECRET, org!.raw, org!.headers['x-hub-signature-256'] as string, clock.now())).toBe(true);
    expect(verifyWebhook(HUB_SECRET, org!.raw, org!.headers['x-hub-signature-256'] as string, clock.now())).toBe(false);
    // A replay an hour later fails the signed timestamp check.
    expect(verifyWebhook(ORG_SECRET, org!.raw, org!.headers['x-hub-signature-256'] as string, clock.now() + 3_600_000)).toBe(false);

    expect(org!.headers['content-type']).toBe('application/json');
    expect(org!.headers['x-hub-delivery']).toBe(org!.body.deliveryId);
    expect(org!.headers['x-hub-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    expect(org!.body).toEqual({
      event: 'alert.raised',
      alert: {
        id: alert.id,
        kind: 'sos',
        severity: 'critical',
        title: expect.any(String),
        status: 'open',
        raisedAt: new Date(clock.now()).toISOString(),
        homeId: home.homeId,
        homeName: 'Wang home',
        address: '12 Jinjiang Rd',
        residentName: 'Wang Lan',
      },
      deliveryId: expect.stringMatching(/^dlv-/),
      attempt: 1,
      sentAt: new Date(clock.now()).toISOString(),
    });
    expect(contact!.body).toMatchObject({ event: 'alert.raised', alert: { id: alert.id }, contact: { name: 'Li Wei', phone: '+86 138 0000 0001' }, attempt: 1 });
    // The neighbour has no notify block: nobody else is called.
    expect(gateway.requests).toHaveLength(2);

    const log = await until(() => deliveries(hub, `?alertId=${alert.id}`), (d) => d.length === 2 && d.every((x) => x.status === 'sent'), 'both deliveries sent');
    const byType = Object.fromEntries(log.map((d) => [d.target.type, d]));
    expect(byType.webhook).toMatchObject({ event: 'alert.raised', target: { webhookId: webhook.id, name: 'SMS gateway', url: `${gateway.url}/org` }, attempts: [{ attempt: 1, outcome: 'sent', statusCode: 200 }] });
    expect(byType.contact).toMatchObject({ target: { name: 'Li Wei', url: `${gateway.url}/li-wei` }, contact: { name: 'Li Wei' }, attempts: [{ outcome: 'sent', statusCode: 200 }] });

    // Resolving notifies again, with the outcome.
    expect((await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {})).status).toBe(200);
    expect((await hub.api.post(`/api/v1/alerts/${alert.id}/resolve`, { outcome: 'resident_ok' })).status).toBe(200);
    const [resolved] = await gateway.waitFor(1, (r) => r.path === '/org' && event('alert.resolved')(r));
    expect(resolved!.body.alert).toMatchObject({ id: alert.id, status: 'resolved', outcome: 'resident_ok' });
    expect(resolved!.body.deliveryId).not.toBe(org!.body.deliveryId);
  });

  it('retries after a 500 with backoff on the hub clock, then succeeds with the same delivery id', async () => {
    const clock = new ManualClock();
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    gateway.reply = (_req, i) => (i === 0 ? 500 : 200);
    const hub = keep(await startTestHub({ clock, env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await addWebhook(hub, gateway.url);
    const alert = await deviceEvent(hub, await liveHome(hub), 'sos', 1, 'sos');

    await gateway.waitFor(1);
    const failed = await until(() => deliveries(hub, `?alertId=${alert.id}`), (d) => d[0]?.attempts.length === 1, 'first attempt logged');
    expect(failed[0]).toMatchObject({ status: 'pending', attempts: [{ attempt: 1, outcome: 'failed', statusCode: 500 }] });
    expect(Date.parse(failed[0].nextAttemptAt) - clock.now()).toBe(5_000);

    clock.advance(4_999);
    await settle();
    expect(gateway.requests).toHaveLength(1);
    clock.advance(1);
    const [first, second] = await gateway.waitFor(2);
    expect(second!.body).toMatchObject({ deliveryId: first!.body.deliveryId, attempt: 2 });
    expect(second!.headers['x-hub-signature-256']).toBe(signatureOf(ORG_SECRET, second!.raw));
    const sent = await until(() => deliveries(hub, `?alertId=${alert.id}`), (d) => d[0]?.status === 'sent', 'sent');
    expect(sent[0].attempts.map((a: any) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [1, 'failed', 500],
      [2, 'sent', 200],
    ]);
  });

  it('backs off 5 s, 10 s, 20 s … and gives up 1 h after the first attempt, logged as gave_up', async () => {
    const clock = new ManualClock();
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    gateway.reply = () => 503;
    const hub = keep(await startTestHub({ clock, env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await addWebhook(hub, gateway.url);
    const alert = await deviceEvent(hub, await liveHome(hub), 'sos', 1, 'sos');
    const raisedDelivery = async () => (await deliveries(hub, `?alertId=${alert.id}`)).find((d) => d.event === 'alert.raised');

    let delivery: any;
    for (let n = 1; n <= 40; n++) {
      delivery = await until(raisedDelivery, (d) => d?.attempts.length === n, `attempt ${n}`);
      if (delivery.status !== 'pending') break;
      clock.advance(Date.parse(delivery.nextAttemptAt) - clock.now());
    }
    const attempts = delivery.attempts as { at: string; outcome: string; statusCode: number }[];
    expect(delivery.status).toBe('gave_up');
    expect(attempts.at(-1)).toMatchObject({ outcome: 'gave_up', statusCode: 503 });
    expect(attempts.slice(0, -1).every((a) => a.outcome === 'failed' && a.statusCode === 503)).toBe(true);
    const times = attempts.map((a) => Date.parse(a.at));
    expect(times.slice(1, 6).map((t, i) => t - times[i]!)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000]);
    expect(Math.max(...times.slice(1).map((t, i) => t - times[i]!))).toBe(300_000);
    expect(times.at(-1)! - times[0]!).toBe(3_600_000);
    expect(gateway.requests.filter(event('alert.raised'))).toHaveLength(attempts.length);
    expect((await deliveries(hub, '?status=gave_up')).map((d) => d.deliveryId)).toContain(delivery.deliveryId);
  });

  it('treats a 4xx other than 429 as final', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    gateway.reply = () => 410;
    const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await addWebhook(hub, gateway.url);
    const alert = await deviceEvent(hub, await liveHome(hub), 'sos', 1, 'sos');
    const log = await until(() => deliveries(hub, `?alertId=${alert.id}`), (d) => d[0]?.status === 'gave_up', 'gave up');
    expect(log[0].attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: 'gave_up', statusCode: 410 })]);
    expect(gateway.requests).toHaveLength(1);
  });
});

describe('who is told, and when', () => {
  it('sends a contact only the severities they chose, holds low severity through quiet hours, and never holds a critical one', async () => {
    // 23:00 in Asia/Shanghai (the default HUB_TIMEZONE).
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 15, 0, 0));
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const hub = keep(await startTestHub({ clock, env: { ...LOOPBACK_GATEWAY_ENV, HUB_WEBHOOK_SECRET: HUB_SECRET } }), closeHub);
    const home = await liveHome(hub, [
      { name: 'Default severities', phone: '+86 138 0000 0003', notify: { webhookUrl: `${gateway.url}/default` } },
      { name: 'Everything', phone: '+86 138 0000 0004', notify: { webhookUrl: `${gateway.url}/all`, severities: ['critical', 'high', 'medium', 'low'], quietHours: { start: '22:00', end: '07:00' } } },
    ]);
    const lowBattery = await deviceEvent(hub, home, 'low_battery', 1, 'low_battery');
    const sos = await deviceEvent(hub, home, 'sos', 2, 'sos');

    // The SOS goes to both at once, quiet hours or not.
    await gateway.waitFor(1, (r) => r.path === '/all' && r.body.alert.id === sos.id);
    await gateway.waitFor(1, (r) => r.path === '/default' && r.body.alert.id === sos.id);
    // The low battery: nothing for the default contact at all, held until 07:00 for the other.
    const held = await until(() => deliveries(hub, `?alertId=${lowBattery.id}`), (d) => d.length === 1, 'one low-battery delivery');
    expect(held[0]).toMatchObject({ status: 'pending', target: { name: 'Everything' }, nextAttemptAt: '2026-11-24T23:00:00.000Z', attempts: [] });
    await settle();
    expect(gateway.requests.filter((r) => r.body.alert.id === lowBattery.id)).toHaveLength(0);

    clock.advance(8 * 3_600_000 - 1);
    await settle();
    expect(gateway.requests.filter((r) => r.body.alert.id === lowBattery.id && r.body.event === 'alert.raised')).toHaveLength(0);
    clock.advance(1);
    const [morning] = await gateway.waitFor(1, (r) => r.body.alert.id === lowBattery.id && r.body.event === 'alert.raised');
    expect(morning!.path).toBe('/all');
    expect(morning!.body).toMatchObject({ contact: { name: 'Everything' }, alert: { severity: 'low', kind: 'low_battery' } });
    expect(gateway.requests.some((r) => r.path === '/default' && r.body.alert.severity === 'low')).toBe(false);
  });

  it('notifies again at the 180 s escalation of an unacknowledged alert', async () => {
    const clock = new ManualClock();
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const hub = keep(await startTestHub({ clock, env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await addWebhook(hub, gateway.url);
    const alert = await deviceEvent(hub, await liveHome(hub), 'sos', 1, 'sos');
    await gateway.waitFor(1, event('alert.raised'));

    clock.advance(179_999);
    await settle();
    expect(gateway.requests.filter(event('alert.escalated'))).toHaveLength(0);
    clock.advance(1);
    const [escalated] = await gateway.waitFor(1, event('alert.escalated'));
    expect(escalated!.body.alert).toMatchObject({ id: alert.id, status: 'open', severity: 'critical' });
    expect(escalated!.headers['x-hub-signature-256']).toBe(signatureOf(ORG_SECRET, escalated!.raw));
  });

  it('a gateway that never answers does not delay an SOS: the alert is listed at once, and the hub still stops promptly', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    gateway.reply = () => 'hang';
    const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await addWebhook(hub, `${gateway.url}/dead`);
    const first = await liveHome(hub);
    const second = await liveHome(hub);

    let started = Date.now();
    await deviceEvent(hub, first, 'sos', 1, 'sos');
    expect(Date.now() - started).toBeLessThan(3_000);
    await gateway.waitFor(1); // the request is out, and hangs

    started = Date.now();
    const alert = await deviceEvent(hub, second, 'sos', 1, 'sos');
    expect(Date.now() - started).toBeLessThan(3_000);
    await gateway.waitFor(2);
    expect((await deliveries(hub, `?alertId=${alert.id}`))[0]).toMatchObject({ status: 'pending', attempts: [] });

    started = Date.now();
    await hub.hub.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});


describe('restart', () => {
  it('keeps a pending delivery and its log across a restart, and sends it', async () => {
    const clock = new ManualClock();
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    gateway.reply = (_req, i) => (i === 0 ? 500 : 200);
    const first = keep(await startTestHub({ clock, env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await addWebhook(first, gateway.url);
    const alert = await deviceEvent(first, await liveHome(first), 'sos', 1, 'sos');
    const pending = await until(() => deliveries(first, `?alertId=${alert.id}`), (d) => d[0]?.attempts.length === 1, 'first attempt failed');
    expect(pending[0].status).toBe('pending');
    await first.hub.stop();

    const second = keep(await startTestHub({ clock, dataDir: first.dataDir, env: LOOPBACK_GATEWAY_ENV }), closeHub);
    expect((await deliveries(second, `?alertId=${alert.id}`))[0]).toMatchObject({ deliveryId: pending[0].deliveryId, status: 'pending', attempts: [{ outcome: 'failed', statusCode: 500 }] });
    clock.advance(5_000);
    const [, retried] = await gateway.waitFor(2);
    expect(retried!.body).toMatchObject({ deliveryId: pending[0].deliveryId, attempt: 2, event: 'alert.raised' });
    const sent = await until(() => deliveries(second, `?alertId=${alert.id}`), (d) => d[0]?.status === 'sent', 'sent after restart');
    expect(sent[0].attempts.map((a: any) => a.outcome)).toEqual(['failed', 'sent']);
  });
});
