/**
 * The webhooks, delivery log and rules snapshot ports' contract
 * (hub/storage/ports.ts), on both adapters: files in a temp dir, and this
 * file's fresh PostgreSQL database. What is stored comes back after a reopen
 * (secrets included, log lines in order); a write the store refuses changes
 * nothing; the delivery log never throws into the alert path.
 */
import { describe, expect, it } from 'vitest';
import type { DeliveryLine, DeliveryRecord } from '../hub/notify/types.js';
import { WebhookStore, type NewWebhook } from '../hub/notify/webhook-store.js';
import type { RulesSnapshot } from '../hub/rules/engine.js';
import type { PipelineSnapshot } from '../hub/storage/ports.js';
import { MAX_SNAPSHOT_AGE_MS } from '../hub/storage/rules-snapshot.js';
import { storeBackends, useBackend } from './helpers/store-backends.js';

const T0 = Date.parse('2026-03-10T08:00:00.000Z');

const hook = (name: string): NewWebhook => ({ name, url: `https://${name}.example.com/hook`, secret: `s3cret-${name}-0123456789`, severities: ['critical', 'high'], enabled: true });

function delivery(id: string, createdAt: number): DeliveryRecord {
  return {
    id,
    key: `al-1:alert.raised:${id}`,
    event: 'alert.raised',
    alertId: 'al-1',
    severity: 'critical',
    target: { type: 'webhook', webhookId: 'wh-1', name: 'gateway' },
    alert: { id: 'al-1', kind: 'sos', severity: 'critical', title: 'SOS — 张 "quoted"', status: 'open', raisedAt: new Date(createdAt).toISOString(), homeId: 'h-1', homeName: 'Home', address: '1 Road', residentName: 'Wang Lan' },
    createdAt,
    notBefore: createdAt,
  };
}

const snapshot = (savedAt: number): RulesSnapshot => ({ savedAt, states: { 'door_open_long:h-1': { open: true, since: savedAt - 1000 } }, wakeAts: { 'door_open_long:h-1': savedAt + 60_000 } }) as unknown as RulesSnapshot;

describe.each(storeBackends())('webhooks, delivery log and rules snapshot on %s', (_name, makeBackend) => {
  const ctx = useBackend(makeBackend, T0);
  const stores = () => ctx.stores();

  async function webhooks(): Promise<WebhookStore> {
    const w = new WebhookStore(stores().webhooks, () => ctx.now);
    await w.start();
    return w;
  }

  it('keeps webhooks, their secrets and changes, and forgets a removed one, across a reopen', async () => {
    const first = await webhooks();
    const a = await first.create(hook('alpha'));
    ctx.now += 1000;
    const b = await first.create(hook('beta'));
    const c = await first.create(hook('gamma'));
    await first.update(a.id, { enabled: false, secret: 'rotated-secret-0123456789' });
    await first.remove(c.id);
    await expect(first.remove(c.id)).rejects.toMatchObject({ code: 'not_found' });

    const again = await webhooks();
    expect(again.list()).toEqual(first.list());
    expect(again.list().map((w) => w.name)).toEqual(['alpha', 'beta']);
    expect(again.get(a.id)).toMatchObject({ enabled: false, secret: 'rotated-secret-0123456789' });
    expect(again.get(b.id)?.secret).toBe('s3cret-beta-0123456789');
  });

  it('a webhook change the store cannot write is refused, and memory keeps the old state', async () => {
    const first = await webhooks();
    const a = await first.create(hook('alpha'));
    await ctx.backend.breakWrites('notifications/webhooks.json');
    await expect(first.create(hook('lost'))).rejects.toThrow();
    await expect(first.update(a.id, { enabled: false })).rejects.toThrow();
    await expect(first.remove(a.id)).rejects.toThrow();
    expect(first.list()).toEqual([a]);
  });

  it('gives back the delivery log of this month and the last, in order, after a reopen', async () => {
    const old = Date.parse('2025-12-20T10:00:00.000Z');
    ctx.now = old;
    const oldLog = stores().deliveries;
    await oldLog.load();
    oldLog.append({ type: 'queued', delivery: delivery('dlv-old', old) });
    await oldLog.drain();

    ctx.now = T0;
    const log = stores().deliveries;
    await log.load();
    const lines: DeliveryLine[] = [
      { type: 'queued', delivery: delivery('dlv-1', Date.parse('2026-02-27T23:59:00.000Z')) },
      { type: 'attempt', attempt: { deliveryId: 'dlv-1', attempt: 1, at: T0 - 5000, outcome: 'failed', statusCode: 500, nextAttemptAt: T0 + 5000 } },
      { type: 'queued', delivery: delivery('dlv-2', T0 - 4000) },
      { type: 'dropped', deliveryId: 'dlv-2', at: T0 - 3000, reason: 'queue full' },
      { type: 'attempt', attempt: { deliveryId: 'dlv-1', attempt: 2, at: T0 - 1000, outcome: 'sent', statusCode: 200 } },
    ];
    for (const line of lines) log.append(line);
    await log.drain();
    expect(log.writeErrors).toBe(0);

    const reopened = stores().deliveries;
    // December is two months back: nothing there can still be pending, so it is not read.
    expect(await reopened.load()).toEqual(lines);
  });

  it('a delivery log write that fails is counted and logged, never thrown into the caller', async () => {
    const log = stores().deliveries;
    await log.load();
    await ctx.backend.breakWrites('notifications/deliveries-2026-03.jsonl');
    expect(() => log.append({ type: 'queued', delivery: delivery('dlv-1', T0) })).not.toThrow();
    await log.drain();
    expect(log.writeErrors).toBe(1);
  });

  it('hands a saved rules snapshot back once, across a reopen, and never one too old', async () => {
    await stores().rulesSnapshot.save(snapshot(T0));
    ctx.now = T0 + 60_000;
    const store = stores().rulesSnapshot;
    expect(await store.take(ctx.now)).toEqual(snapshot(T0));
    expect(await store.take(ctx.now)).toBeUndefined();

    await store.save(snapshot(T0));
    await store.save(snapshot(T0 + 1)); // the last save wins
    expect(await stores().rulesSnapshot.take(T0 + 1 + MAX_SNAPSHOT_AGE_MS + 1)).toBeUndefined();
    // Too old is also gone: a later start does not find it either.
    expect(await stores().rulesSnapshot.take(T0)).toBeUndefined();
  });

  it('carries the watchdogs\' silences of 10,000 devices with the rule state (a cluster leader saves it every 5 s)', async () => {
    const silentSec = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`brc-${(0x10000000 + i * 7919).toString(16)}`, i % 900]));
    const withWatchdogs: PipelineSnapshot = { ...snapshot(T0), silentSec };
    await stores().rulesSnapshot.save(withWatchdogs);
    const taken = await stores().rulesSnapshot.take(T0 + 5_000);
    expect(taken).toEqual(withWatchdogs);
    expect(Object.keys(taken!.silentSec!)).toHaveLength(10_000);
  });
});
