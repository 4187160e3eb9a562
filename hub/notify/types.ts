/** The shapes the notifier passes between its pieces (issue 5). No secret ever appears in them. */
import type { AlertStatus, Outcome, Severity } from '../alerts/alert.js';

/** `webhook.test`: an admin's test send from the console (issue 13), with a made-up alert and no contact. */
export const NOTIFY_EVENTS = ['alert.raised', 'alert.resolved', 'alert.escalated', 'webhook.test'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** What a receiver learns about the alert: enough to word an SMS or place a call. */
export interface AlertSnapshot {
  id: string;
  kind: string;
  severity: Severity;
  title: string;
  status: AlertStatus;
  raisedAt: string;
  homeId: string;
  homeName: string;
  address: string;
  residentName: string;
  outcome?: Outcome | undefined;
  /** A drill alert (issue 13 item 8): its title starts with "DRILL"; no one needs to go. */
  drill?: true | undefined;
}

export interface ContactRef {
  name: string;
  phone: string;
}

/**
 * Where a delivery goes. An organisation webhook is looked up by id at each
 * attempt (so a fixed URL or a rotated secret applies to retries, and a
 * deleted or disabled one stops them); a contact's own URL is kept as it was.
 */
export type TargetRef = { type: 'webhook'; webhookId: string; name: string } | { type: 'contact'; name: string; url: string };

/** One notification to one target, as queued. */
export interface DeliveryRecord {
  id: string;
  /** alert × event × target: the same notification is never queued twice. */
  key: string;
  event: NotifyEvent;
  alertId: string;
  severity: Severity;
  target: TargetRef;
  alert: AlertSnapshot;
  contact?: ContactRef | undefined;
  /** Epoch ms. */
  createdAt: number;
  /** The first attempt is not made before this (quiet hours); epoch ms. */
  notBefore: number;
}

export const ATTEMPT_OUTCOMES = ['sent', 'failed', 'gave_up'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  /** Epoch ms when the attempt ended. */
  at: number;
  outcome: AttemptOutcome;
  statusCode?: number | undefined;
  error?: string | undefined;
  /** For `failed`: when the next attempt is due. */
  nextAttemptAt?: number | undefined;
}

export const DELIVERY_STATUSES = ['pending', 'sent', 'gave_up', 'dropped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * The lines of the delivery log (DeliveryLogStore in hub/storage/ports.ts: files or PostgreSQL).
 *
 * `partition`: the partition of the delivery's home (hub/core/partitions.ts;
 * -1 for a delivery of no home, the admin's `webhook.test`), on every line
 * so that a node taking a partition over reads that partition's lines only
 * (docs/CLUSTER.md "Step 3, service by service"). Absent on lines written
 * before deliveries followed their home's owner: a reader then takes the
 * queued line's home (`alert.homeId`) and the delivery id.
 */
export type DeliveryLine =
  | { type: 'queued'; delivery: DeliveryRecord; partition?: number | undefined }
  | { type: 'attempt'; attempt: AttemptRecord; partition?: number | undefined }
  | { type: 'dropped'; deliveryId: string; at: number; reason: string; partition?: number | undefined };

/** What one HTTP attempt came to. */
export type SendResult =
  | { kind: 'response'; status: number; retryAfterMs?: number | undefined }
  | { kind: 'error'; error: string }
  /** Cannot be sent at all (target deleted or disabled, no secret): final. */
  | { kind: 'unsendable'; error: string }
  /** The hub is stopping: not an attempt, it will be made again after the restart. */
  | { kind: 'cancelled' };
