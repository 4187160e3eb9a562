/**
 * The webhook request (docs/NOTIFICATIONS.md): a JSON body and headers signed
 * with HMAC-SHA256 of the exact body bytes, GitHub-style
 * (`X-Hub-Signature-256: sha256=<hex>`). Pure: the same inputs give the same
 * bytes, so tests and receivers can check signatures exactly.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AlertSnapshot, ContactRef, NotifyEvent } from './types.js';

export const SIGNATURE_HEADER = 'X-Hub-Signature-256';
export const DELIVERY_HEADER = 'X-Hub-Delivery';
export const TIMESTAMP_HEADER = 'X-Hub-Timestamp';
export const USER_AGENT = 'home-care-hub-webhook/1';

export interface WebhookPayload {
  event: NotifyEvent;
  alert: AlertSnapshot;
  contact?: ContactRef | undefined;
  /** The same on every attempt of one delivery: receivers deduplicate on it. */
  deliveryId: string;
  attempt: number;
  /** ISO time of this attempt; signed (it is in the body), so it bounds replays. */
  sentAt: string;
  /** Only on drill alerts: receivers must not send anyone (issue 13 item 8). */
  drill?: true | undefined;
}

export function webhookBody(p: { event: NotifyEvent; alert: AlertSnapshot; contact?: ContactRef | undefined; deliveryId: string; attempt: number; sentAt: number }): string {
  const payload: WebhookPayload = {
    event: p.event,
    alert: p.alert,
    ...(p.contact ? { contact: p.contact } : {}),
    deliveryId: p.deliveryId,
    attempt: p.attempt,
    sentAt: new Date(p.sentAt).toISOString(),
    ...(p.alert.drill ? { drill: true as const } : {}),
  };
  return JSON.stringify(payload);
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export function webhookHeaders(p: { secret: string; body: string; deliveryId: string; sentAt: number }): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    [SIGNATURE_HEADER]: signBody(p.secret, p.body),
    [DELIVERY_HEADER]: p.deliveryId,
    [TIMESTAMP_HEADER]: String(Math.floor(p.sentAt / 1000)),
  };
}

/**
 * What a receiver does (the same code is in docs/NOTIFICATIONS.md): the
 * signature over the raw bytes, compared in constant time, then the signed
 * `sentAt` within the tolerance so a captured request cannot be replayed later.
 */
export function verifyWebhook(secret: string, rawBody: string, signatureHeader: string | undefined, now = Date.now(), toleranceMs = 5 * 60_000): boolean {
  if (!signatureHeader) return false;
  const expected = Buffer.from(signBody(secret, rawBody));
  const given = Buffer.from(signatureHeader);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
  const sentAt = Date.parse((JSON.parse(rawBody) as { sentAt?: string }).sentAt ?? '');
  return Number.isFinite(sentAt) && Math.abs(now - sentAt) <= toleranceMs;
}
