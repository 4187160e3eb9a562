/**
 * Who is told about an alert event (issue 5), as a pure function of the alert,
 * its home and resident, the organisation's webhooks and the time:
 *
 * - every enabled organisation webhook whose severities include the alert's:
 *   one delivery without `contact` (the site's own feed);
 * - every contact of the resident with a `notify` block whose severities
 *   include the alert's: to their own `webhookUrl`, or else through each
 *   matching organisation webhook, with `contact` in the payload so the
 *   gateway knows whom to text or call.
 *
 * Quiet hours (hub time zone) apply to low severity only and hold a contact's
 * notice until the window ends rather than dropping it: a low battery at
 * 23:00 still reaches the family at 07:00.
 */
import type { Alert } from '../alerts/alert.js';
import type { Contact, HomeRecord, ResidentRecord } from '../registry/records.js';
import { inWindow, localTime, windowFrom } from '../rules/time-of-day.js';
import type { AlertSnapshot, ContactRef, NotifyEvent, TargetRef } from './types.js';
import type { OrgWebhook } from './webhook-store.js';

export interface PlannedDelivery {
  key: string;
  target: TargetRef;
  contact?: ContactRef | undefined;
  notBefore: number;
}

export interface SelectionInput {
  event: NotifyEvent;
  alert: Alert;
  home: HomeRecord | undefined;
  resident: ResidentRecord | undefined;
  webhooks: readonly OrgWebhook[];
  now: number;
  timezone: string;
}

const DEFAULT_SEVERITIES = ['critical', 'high'] as const;

export function selectTargets({ event, alert, resident, webhooks, now, timezone }: SelectionInput): PlannedDelivery[] {
  const base = `${alert.id}:${event}`;
  const orgHooks = webhooks.filter((w) => w.enabled && w.severities.includes(alert.severity));
  const planned: PlannedDelivery[] = orgHooks.map((w) => ({ key: `${base}:wh:${w.id}`, target: { type: 'webhook', webhookId: w.id, name: w.name }, notBefore: now }));
  for (const contact of resident?.contacts ?? []) {
    const notify = contact.notify;
    if (!notify) continue;
    const severities: readonly string[] = notify.severities ?? DEFAULT_SEVERITIES;
    if (!severities.includes(alert.severity)) continue;
    const ref: ContactRef = { name: contact.name, phone: contact.phone };
    const notBefore = alert.severity === 'low' ? quietHoursEnd(contact, now, timezone) : now;
    const who = `c:${contact.phone}`;
    if (notify.webhookUrl) {
      planned.push({ key: `${base}:${who}:${notify.webhookUrl}`, target: { type: 'contact', name: contact.name, url: notify.webhookUrl }, contact: ref, notBefore });
    } else {
      for (const w of orgHooks) {
        planned.push({ key: `${base}:${who}:wh:${w.id}`, target: { type: 'webhook', webhookId: w.id, name: w.name }, contact: ref, notBefore });
      }
    }
  }
  return planned;
}

/** `now` outside the contact's quiet hours; otherwise the moment they end. */
export function quietHoursEnd(contact: Pick<Contact, 'notify'>, now: number, timezone: string): number {
  const quiet = contact.notify?.quietHours;
  if (!quiet) return now;
  const window = windowFrom(quiet.start, quiet.end);
  const { minuteOfDay } = localTime(now, timezone);
  if (!inWindow(minuteOfDay, window)) return now;
  const minutesLeft = (window.end - minuteOfDay + 1440) % 1440;
  // Whole minutes of the local clock; a DST change inside the window shifts this by its hour, which is harmless here.
  return now + Math.round(minutesLeft * 60_000);
}

export function snapshotAlert(alert: Alert, home: HomeRecord | undefined, resident: ResidentRecord | undefined): AlertSnapshot {
  return {
    id: alert.id,
    kind: alert.kind,
    severity: alert.severity,
    title: alert.title,
    status: alert.status,
    raisedAt: alert.raisedAt,
    homeId: alert.homeId,
    homeName: home?.name ?? '',
    address: home?.address ?? '',
    residentName: resident?.name ?? '',
    ...(alert.outcome ? { outcome: alert.outcome } : {}),
    ...(alert.drill ? { drill: true } : {}),
  };
}
