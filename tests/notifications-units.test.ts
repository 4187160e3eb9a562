/**
 * The notifier's pure parts and its queue without HTTP: target selection,
 * quiet hours, the retry policy, signatures, the guard's field paths, and the
 * queue's bound (oldest low severity dropped first) and priorities.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Alert } from '../hub/alerts/alert.js';
import { contactWebhookPaths } from '../hub/api/routes/notifications.js';
import { silentLogger } from '../hub/core/logger.js';
import { DeliveryQueue } from '../hub/notify/delivery-queue.js';
import { signBody, verifyWebhook, webhookBody } from '../hub/notify/payload.js';
import { backoffDelay, nextStep, parseRetryAfter } from '../hub/notify/retry-policy.js';
import { quietHoursEnd, selectTargets } from '../hub/notify/targets.js';
import type { DeliveryLine, DeliveryRecord, SendResult } from '../hub/notify/types.js';
import type { OrgWebhook } from '../hub/notify/webhook-store.js';
import type { ResidentRecord } from '../hub/registry/records.js';
import { ManualClock } from './helpers/manual-clock.js';

const TZ = 'Asia/Shanghai';
const at = (hhmmLocal: string) => Date.parse(`2026-11-24T${hhmmLocal}:00+08:00`);

function alert(severity: Alert['severity']): Alert {
  return { id: 'alr-1', homeId: 'home-1', residentId: 'res-1', kind: 'x', severity, status: 'open', title: 't', details: {}, raisedAt: '', updatedAt: '', occurrences: 1, lastOccurrenceAt: '', flags: { overdue: false, escalated: false }, trigger: { eventType: 'x', at: '' }, responders: [], timeline: [] };
}

function hook(id: string, extra: Partial<OrgWebhook> = {}): OrgWebhook {
  return { id, name: id, url: `https://gw.example/${id}`, secret: 's', severities: ['critical', 'high'], enabled: true, createdAt: '', updatedAt: '', ...extra };
}

function resident(contacts: ResidentRecord['contacts']): ResidentRecord {
  return { id: 'res-1', homeId: 'home-1', name: 'Wang Lan', birthYear: 1941, conditions: [], specialHardship: false, contacts, createdAt: '', updatedAt: '' };
}

describe('selectTargets', () => {
  const contacts: ResidentRecord['contacts'] = [
    { name: 'Own hook', phone: '+86 1', hasKeys: false, notify: { severities: ['critical', 'high'], webhookUrl: 'https://own.example/hook' } },
    { name: 'Via org', phone: '+86 2', hasKeys: false, notify: { severities: ['critical', 'high', 'medium', 'low'], quietHours: { start: '22:00', end: '07:00' } } },
    { name: 'Not notified', phone: '+86 3', hasKeys: false },
  ];
  const input = (severity: Alert['severity'], now: number, webhooks = [hook('wh-a'), hook('wh-off', { enabled: false }), hook('wh-low', { severities: ['low'] })]) =>
    selectTargets({ event: 'alert.raised', alert: alert(severity), home: undefined, resident: resident(contacts), webhooks, now, timezone: TZ });

  it('sends a critical alert to matching org webhooks, to a contact hook, and to the org hooks for a contact without one', () => {
    const planned = input('critical', at('12:00'));
    expect(planned.map((p) => [p.target.type === 'webhook' ? p.target.webhookId : p.target.url, p.contact?.name ?? null, p.notBefore])).toEqual([
      ['wh-a', null, at('12:00')],
      ['https://own.example/hook', 'Own hook', at('12:00')],
      ['wh-a', 'Via org', at('12:00')],
    ]);
    expect(new Set(planned.map((p) => p.key)).size).toBe(planned.length);
  });

  it('filters low severity by each target and holds it through a contact’s quiet hours', () => {
    const planned = input('low', at('23:30'));
    // wh-low takes low; "Own hook" does not want low; "Via org" does, through the org hooks that take low.
    expect(planned.map((p) => [p.target.type === 'webhook' ? p.target.webhookId : p.target.url, p.contact?.name ?? null])).toEqual([
      ['wh-low', null],
      ['wh-low', 'Via org'],
    ]);
    expect(planned[0]!.notBefore).toBe(at('23:30')); // org webhooks have no quiet hours
    expect(planned[1]!.notBefore).toBe(at('07:00') + 86_400_000);
  });

  it('never holds a critical alert in quiet hours', () => {
    expect(input('critical', at('23:30')).every((p) => p.notBefore === at('23:30'))).toBe(true);
  });
});

describe('quietHoursEnd', () => {
  const contact = (start: string, end: string) => ({ notify: { severities: ['low' as const], quietHours: { start, end } } });
  it('returns now outside the window and the window end inside it, across midnight or not', () => {
    expect(quietHoursEnd(contact('22:00', '07:00'), at('12:00'), TZ)).toBe(at('12:00'));
    expect(quietHoursEnd(contact('22:00', '07:00'), at('06:30'), TZ)).toBe(at('07:00'));
    expect(quietHoursEnd(contact('22:00', '07:00'), at('07:00'), TZ)).toBe(at('07:00'));
    expect(quietHoursEnd(contact('13:00', '14:00'), at('13:15'), TZ)).toBe(at('14:00'));
    expect(quietHoursEnd({}, at('23:00'), TZ)).toBe(at('23:00'));
  });
});

describe('retry policy', () => {
  const t0 = 1_000_000;
  it('backs off 5 s doubling to a 5 min cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(backoffDelay)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });

  it('retries network errors, 5xx and 429 (honouring Retry-After); 4xx and 3xx are final', () => {
    expect(nextStep({ kind: 'response', status: 204 }, 1, t0, t0)).toEqual({ outcome: 'sent' });
    expect(nextStep({ kind: 'response', status: 500 }, 1, t0, t0)).toEqual({ outcome: 'failed', nextAttemptAt: t0 + 5_000 });
    expect(nextStep({ kind: 'error', error: 'ECONNREFUSED' }, 2, t0, t0)).toEqual({ outcome: 'failed', nextAttemptAt: t0 + 10_000 });
    expect(nextStep({ kind: 'response', status: 429, retryAfterMs: 120_000 }, 1, t0, t0)).toEqual({ outcome: 'failed', nextAttemptAt: t0 + 120_000 });
    expect(nextStep({ kind: 'response', status: 404 }, 1, t0, t0)).toEqual({ outcome: 'gave_up' });
    expect(nextStep({ kind: 'response', status: 302 }, 1, t0, t0)).toEqual({ outcome: 'gave_up' });
    expect(nextStep({ kind: 'unsendable', error: 'webhook deleted' }, 1, t0, t0)).toEqual({ outcome: 'gave_up' });
  });

  it('makes the last retry at the end of the hour, then gives up', () => {
    expect(nextStep({ kind: 'response', status: 503 }, 15, t0, t0 + 3_500_000)).toEqual({ outcome: 'failed', nextAttemptAt: t0 + 3_600_000 });
    expect(nextStep({ kind: 'response', status: 503 }, 16, t0, t0 + 3_600_000)).toEqual({ outcome: 'gave_up' });
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('30', 0)).toBe(30_000);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });
});

describe('signature', () => {
  it('verifies the exact body with the right secret and a fresh signed timestamp only', () => {
    const now = Date.UTC(2026, 10, 24);
    const body = webhookBody({ event: 'alert.raised', alert: { id: 'a' } as never, deliveryId: 'dlv-1', attempt: 1, sentAt: now });
    const sig = signBody('k'.repeat(32), body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook('k'.repeat(32), body, sig, now + 60_000)).toBe(true);
    expect(verifyWebhook('x'.repeat(32), body, sig, now)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), body.replace('"attempt":1', '"attempt":2'), sig, now)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), body, sig, now + 10 * 60_000)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), body, undefined, now)).toBe(false);
  });
});

describe('contactWebhookPaths', () => {
  it('names every notify.webhookUrl in a body, wherever the contacts are', () => {
    expect(contactWebhookPaths({ resident: { contacts: [{ notify: {} }, { notify: { webhookUrl: 'x' } }] } })).toEqual(['resident.contacts.1.notify.webhookUrl']);
    expect(contactWebhookPaths({ name: 'a', notify: { webhookUrl: 'x' } })).toEqual(['notify.webhookUrl']);
    expect(contactWebhookPaths({ contacts: [{ notify: { severities: ['low'] } }] })).toEqual([]);
    expect(contactWebhookPaths('text')).toEqual([]);
  });
});

describe('DeliveryQueue', () => {
  function queue(options: { maxPending?: number; maxInFlight?: number; perTargetInFlight?: number; send?: (d: DeliveryRecord, signal: AbortSignal) => Promise<SendResult> } = {}) {
    const clock = new ManualClock();
    const lines: DeliveryLine[] = [];
    const sent: string[] = [];
    const q = new DeliveryQueue({
      clock,
      log: silentLogger(),
      persist: (line) => lines.push(line),
      send: (d, _attempt, signal) => {
        sent.push(d.key);
        return options.send ? options.send(d, signal) : Promise.resolve({ kind: 'response', status: 200 });
      },
      gatewayOf: (d) => (d.target.type === 'webhook' ? d.target.webhookId : d.target.url),
      maxPending: options.maxPending,
      maxInFlight: options.maxInFlight,
      perTargetInFlight: options.perTargetInFlight,
    });
    let n = 0;
    const add = (severity: Alert['severity'], gateway = 'wh-1') =>
      q.enqueue({ key: `${severity}-${++n}`, event: 'alert.raised', alertId: `alr-${n}`, severity, target: { type: 'webhook', webhookId: gateway, name: gateway }, alert: {} as never, notBefore: clock.now() });
    return { q, clock, lines, sent, add };
  }

  it('stays bounded: drops the oldest low-severity delivery first, and never a more urgent one for a less urgent one', () => {
    const { q, lines, add } = queue({ maxPending: 3 });
    add('low'); // low-1
    add('low'); // low-2
    add('critical'); // critical-3
    expect(add('high')).toBeDefined(); // drops low-1
    expect(add('critical')).toBeDefined(); // drops low-2
    expect(add('low')).toBeUndefined(); // everything waiting is more urgent: the newcomer goes
    expect(q.stats).toMatchObject({ pending: 3, dropped: 3 });
    expect(q.list({ status: 'dropped' }).map((d) => d.record.key).sort()).toEqual(['low-1', 'low-2']);
    expect(lines.filter((l) => l.type === 'dropped')).toHaveLength(2);
    expect(q.list({ status: 'pending' }).map((d) => d.record.key).sort()).toEqual(['critical-3', 'critical-5', 'high-4']);
  });

  it('never queues the same notification twice', () => {
    const { q } = queue();
    const record = { key: 'same', event: 'alert.raised' as const, alertId: 'a', severity: 'high' as const, target: { type: 'webhook' as const, webhookId: 'w', name: 'w' }, alert: {} as never, notBefore: 0 };
    expect(q.enqueue(record)).toBeDefined();
    expect(q.enqueue(record)).toBeUndefined();
  });

  it('sends the most urgent first when slots are scarce, and a hanging gateway does not hold up another', async () => {
    // A dead gateway answers nothing until the queue stops and aborts the request.
    const hang = (signal: AbortSignal) => new Promise<SendResult>((resolve) => signal.addEventListener('abort', () => resolve({ kind: 'cancelled' })));
    const { q, sent, lines, add } = queue({
      maxInFlight: 2,
      perTargetInFlight: 1,
      send: (d, signal) => (d.target.type === 'webhook' && d.target.webhookId === 'dead' ? hang(signal) : Promise.resolve({ kind: 'response', status: 200 })),
    });
    add('low', 'dead');
    add('critical', 'dead');
    add('low', 'live');
    add('high', 'live');
    q.start();
    // Until both live deliveries are sent (a fixed 10 ms was not always enough under load).
    await vi.waitFor(() => expect(q.stats).toMatchObject({ sent: 2 }), { timeout: 10_000 });
    // The dead gateway holds one slot with its critical delivery; the live one gets through high, then low.
    expect(sent).toEqual(['critical-2', 'high-4', 'low-3']);
    expect(q.stats).toMatchObject({ sent: 2, inFlight: 1 });
    await q.stop();
    // The aborted request is not an attempt: the delivery stays pending for the next start.
    expect(q.get(q.list({ status: 'pending' }).find((d) => d.record.key === 'critical-2')!.record.id)!.attempts).toEqual([]);
    expect(lines.filter((l) => l.type === 'attempt')).toHaveLength(2);
  });
});
