/** The alert model (DESIGN.md §4). */
import type { CommandState } from '../commands/command-book.js';
import type { LocationFix } from './location-fix.js';

import { SEVERITIES, type Severity } from '../core/severity.js';

export { SEVERITIES, type Severity };

export const ALERT_STATUSES = ['open', 'acknowledged', 'dispatched', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/**
 * What a rule proposes. With the default effect `raise` the alert service
 * opens a new alert, or adds an occurrence to the open one of the same
 * (home, kind) — raising its severity if the draft is more urgent. `attach`
 * only notes something on an open alert (a smoke_clear, a device back online)
 * and never opens one. `set_severity` changes the open alert's severity and
 * title (a fall cancelled by the wearer drops to medium "call back"); it never
 * closes anything — only a person resolves an alert (DESIGN.md §4).
 */
export interface AlertDraft {
  kind: string;
  severity: Severity;
  title: string;
  homeId: string;
  deviceId: string;
  /** The resident it is about (set by the engine for per-resident rules); absent: the home, or the device's wearer. */
  residentId?: string | undefined;
  effect?: 'raise' | 'attach' | 'set_severity' | undefined;
  /** Shown in the timeline for `attach` and `set_severity`. */
  note?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

/** What caused an alert or an occurrence: a device message, or a person (a visitor's follow-up). */
export interface AlertTrigger {
  deviceId?: string | undefined;
  /** `user:<name>` when a person raised it. */
  actor?: string | undefined;
  eventType: string;
  at: string;
  seq?: number | undefined;
  ts?: number | undefined;
}

export const RESPONDER_KINDS = ['family', 'community_worker', 'property', 'doctor', 'ambulance_120', 'fire_119', 'police_110'] as const;
export type ResponderKind = (typeof RESPONDER_KINDS)[number];

/** A responder only moves forward: notified → accepted (on the way) → on_scene → done. */
export const RESPONDER_STATES = ['notified', 'accepted', 'on_scene', 'done'] as const;
export type ResponderState = (typeof RESPONDER_STATES)[number];

export const OUTCOMES = ['emergency_handled', 'resident_ok', 'false_alarm', 'technical', 'no_access'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Responder {
  id: string;
  kind: ResponderKind;
  name: string;
  phone?: string | undefined;
  state: ResponderState;
  addedAt: string;
  addedBy: string;
  updatedAt: string;
  /** Not on scene within the severity's target after being dispatched (issue 13 item 5); stays set for the reports. */
  late?: boolean | undefined;
}

/**
 * A command sent to a device for this alert (help_coming, silence) and how far
 * it got: pending → delivered (the device's PUBACK) → confirmed (its cmd_ack),
 * or expired (withdrawn). Issue 10: the console shows each step.
 */
export interface AlertCommand {
  cmdId: string;
  deviceId: string;
  command: string;
  state: CommandState;
  queuedAt: string;
  deliveredAt?: string | undefined;
  confirmedAt?: string | undefined;
  expiredAt?: string | undefined;
  reason?: string | undefined;
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string;
  [detail: string]: unknown;
}

export interface Alert {
  id: string;
  homeId: string;
  residentId: string | undefined;
  /** The device that raised it; absent when a person raised it. */
  deviceId?: string | undefined;
  kind: string;
  severity: Severity;
  status: AlertStatus;
  title: string;
  details: Record<string, unknown>;
  raisedAt: string;
  updatedAt: string;
  occurrences: number;
  lastOccurrenceAt: string;
  flags: {
    overdue: boolean;
    escalated: boolean;
    /** A critical alert whose help_coming no bracelet confirmed within 60 s (cleared by a later confirmation). */
    helpUnconfirmed?: boolean | undefined;
    /**
     * Acknowledged but neither dispatched nor resolved for the severity's
     * follow-up time: `holder` re-alerts the operator who holds it, one period
     * later `supervisor` re-alerts the supervisors (issue 13 item 5). Cleared
     * when someone else takes the alert over or it is released.
     */
    stalled?: StallStage | undefined;
  };
  trigger: AlertTrigger;
  responders: Responder[];
  /** Commands sent to devices for this alert; absent on alerts that never had one. */
  commands?: AlertCommand[] | undefined;
  /** The first answer (reports measure answer times from it); a release does not reset it. */
  acknowledgedAt?: string | undefined;
  /** Who holds the alert now: the operator who claimed it, or the one it was handed over to. */
  acknowledgedBy?: string | undefined;
  /** Since when the current holder has it (claim or handover): the follow-up timer runs from here. */
  heldSince?: string | undefined;
  resolvedAt?: string | undefined;
  resolvedBy?: string | undefined;
  outcome?: Outcome | undefined;
  /** The wearer's latest known location: captured at the raise, kept up to date while open (issue 13 item 4). */
  location?: LocationFix | undefined;
  /** The incident review of a resolved critical alert (issue 13 item 9). */
  review?: IncidentReview | undefined;
  /** Set on the alerts of a drill (issue 13 item 8): handled like any other, marked everywhere, left out of every KPI. */
  drill?: AlertDrillMark | undefined;
  timeline: TimelineEntry[];
}

export interface AlertDrillMark {
  drillId: string;
}

export const STALL_STAGES = ['holder', 'supervisor'] as const;
export type StallStage = (typeof STALL_STAGES)[number];

/** Response times of an alert in seconds, as the review records them (null: that step never happened). */
export interface ResponseTimes {
  acknowledgeSeconds: number | null;
  dispatchSeconds: number | null;
  onSceneSeconds: number | null;
  resolveSeconds: number | null;
}

export interface IncidentReview {
  whatHappened: string;
  whatWentWell?: string | undefined;
  toImprove: string;
  /** Whether the response met its targets, in the reviewer's judgement. */
  targetsMet: boolean;
  times: ResponseTimes;
  reviewedAt: string;
  reviewedBy: string;
}

/** An alert without its timeline or review, as in lists and stream deltas (the review is read on the alert itself). */
export type AlertSummary = Omit<Alert, 'timeline' | 'review'>;

export function summarize(alert: Alert): AlertSummary {
  const { timeline: _timeline, review: _review, ...summary } = alert;
  return summary;
}

/**
 * The summary as it is now, kept apart from the alert's later lines without serializing it: the
 * alert's fields, its objects and arrays copied, and the objects in its arrays (a responder, a
 * command) copied too. Enough because a line changes an alert at most that deep (alert-changes.ts);
 * the same keys in the same order as summarize, so both serialize to the same text.
 */
export function summarySnapshot(alert: Alert): AlertSummary {
  const out: Record<string, unknown> = {};
  const fields = alert as unknown as Record<string, unknown>;
  for (const key in fields) {
    if (key === 'timeline' || key === 'review') continue;
    const value = fields[key];
    if (Array.isArray(value)) out[key] = value.map(copyObject);
    else out[key] = copyObject(value);
  }
  return out as unknown as AlertSummary;
}

function copyObject(value: unknown): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : value;
}

/** Who a trigger names in timelines and the audit: the person, or the device. */
export function triggerActor(trigger: AlertTrigger): string {
  return trigger.actor ?? `device:${trigger.deviceId ?? 'unknown'}`;
}

/** Severity order for queues: most urgent first. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };
