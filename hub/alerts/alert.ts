/** The alert model (DESIGN.md §4). */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_STATUSES = ['open', 'acknowledged', 'dispatched', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** What a rule proposes; the alert service decides whether it becomes a new alert or an occurrence. */
export interface AlertDraft {
  kind: string;
  severity: Severity;
  title: string;
  homeId: string;
  deviceId: string;
  details?: Record<string, unknown> | undefined;
}

/** The device message that caused an alert or an occurrence. */
export interface AlertTrigger {
  deviceId: string;
  eventType: string;
  at: string;
  seq?: number | undefined;
  ts?: number | undefined;
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
  deviceId: string;
  kind: string;
  severity: Severity;
  status: AlertStatus;
  title: string;
  details: Record<string, unknown>;
  raisedAt: string;
  updatedAt: string;
  occurrences: number;
  lastOccurrenceAt: string;
  flags: { overdue: boolean; escalated: boolean };
  trigger: AlertTrigger;
  timeline: TimelineEntry[];
}

/** An alert without its timeline, as in lists and stream deltas. */
export type AlertSummary = Omit<Alert, 'timeline'>;

export function summarize(alert: Alert): AlertSummary {
  const { timeline: _timeline, ...summary } = alert;
  return summary;
}

/** Severity order for queues: most urgent first. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };
