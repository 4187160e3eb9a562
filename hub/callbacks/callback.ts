/**
 * Call-backs and proactive calls (issue 13 item 6; Televida: most of a good
 * centre's calls are outbound). A call-back is a call an operator owes a
 * resident by a due time. Alerts create them — a fall the wearer cancelled, an
 * alert resolved "resident OK", a visitor's follow-up — and a wellbeing plan
 * creates one after another (e.g. every 7 days). This file holds the records
 * and the pure rule that says which alert owes a call-back and when.
 */
import type { Alert } from '../alerts/alert.js';

export const CALLBACK_REASONS = ['fall_cancelled', 'resident_ok', 'visit_follow_up', 'wellbeing', 'manual'] as const;
export type CallbackReason = (typeof CALLBACK_REASONS)[number];

export const CALLBACK_STATUSES = ['pending', 'done', 'cancelled'] as const;
export type CallbackStatus = (typeof CALLBACK_STATUSES)[number];

/** What the call found. `no_answer` keeps the call-back pending, due again at the retry time. */
export const CALLBACK_OUTCOMES = ['reached_ok', 'needs_help', 'no_answer'] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];

export interface CallbackAttempt {
  at: string;
  actor: string;
  outcome: CallbackOutcome;
  note?: string | undefined;
}

export interface CallbackRecord {
  id: string;
  homeId: string;
  residentId?: string | undefined;
  reason: CallbackReason;
  /** The alert that asked for it (not for wellbeing or manual calls). */
  alertId?: string | undefined;
  /** The wellbeing plan it belongs to. */
  planId?: string | undefined;
  /** When it is due; a `no_answer` moves it to the retry time. */
  dueAt: string;
  /** The first due time, which the reports judge "on time" against. */
  firstDueAt: string;
  note?: string | undefined;
  status: CallbackStatus;
  createdAt: string;
  createdBy: string;
  attempts: CallbackAttempt[];
  completedAt?: string | undefined;
  completedBy?: string | undefined;
  outcome?: CallbackOutcome | undefined;
}

export interface WellbeingPlan {
  id: string;
  homeId: string;
  residentId?: string | undefined;
  everyDays: number;
  firstDueAt: string;
  note?: string | undefined;
  createdAt: string;
  createdBy: string;
  endedAt?: string | undefined;
  endedBy?: string | undefined;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** How soon each alert's call-back is due after the moment that asked for it. */
export const CALLBACK_DELAY_MS: Record<Exclude<CallbackReason, 'wellbeing' | 'manual'>, number> = {
  // The wearer said "I'm fine" on the bracelet: call soon to hear it in their own voice.
  fall_cancelled: 15 * MINUTE,
  // Resolved as resident OK: check again the next day.
  resident_ok: 24 * HOUR,
  visit_follow_up: 24 * HOUR,
};
/** A call-back done no later than this after its first due time counts as on time in the reports. */
export const ON_TIME_GRACE_MS = 60 * MINUTE;
/** `no_answer` without a retry time: try again this much later. */
export const DEFAULT_RETRY_MS = 30 * MINUTE;

/**
 * The call-back an alert owes, if any: one per alert, for the first of its
 * triggers (a cancelled fall later resolved "resident OK" is one call).
 */
export function callbackOwed(alert: Alert): { reason: CallbackReason; dueAt: number } | undefined {
  const cancelled = alert.kind === 'fall' ? alert.timeline.find((e) => e.type === 'severity_changed' && e.to === 'medium') : undefined;
  if (cancelled) return { reason: 'fall_cancelled', dueAt: Date.parse(cancelled.at) + CALLBACK_DELAY_MS.fall_cancelled };
  if (alert.kind === 'visit_follow_up') return { reason: 'visit_follow_up', dueAt: Date.parse(alert.raisedAt) + CALLBACK_DELAY_MS.visit_follow_up };
  if (alert.status === 'resolved' && alert.outcome === 'resident_ok' && alert.resolvedAt) {
    return { reason: 'resident_ok', dueAt: Date.parse(alert.resolvedAt) + CALLBACK_DELAY_MS.resident_ok };
  }
  return undefined;
}

/** Done by the first due time plus the grace; null while pending, or for a cancelled call. */
export function doneOnTime(cb: Pick<CallbackRecord, 'status' | 'completedAt' | 'firstDueAt'>): boolean | null {
  if (cb.status !== 'done' || !cb.completedAt) return null;
  return Date.parse(cb.completedAt) <= Date.parse(cb.firstDueAt) + ON_TIME_GRACE_MS;
}
