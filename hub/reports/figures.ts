/**
 * Supervisor report figures (DESIGN.md §1 supervisor, issue 5 "Reports"):
 * pure functions over alerts and devices, no clock reads, no I/O. Every
 * figure's exact definition is in docs/REPORTS.md; the short version:
 *
 * - the alerts of a period are those raised in [from, to);
 * - answered = acknowledged; "within 60 s" means acknowledgedAt − raisedAt ≤
 *   60 000 ms, judged against the TSA standard (REFERENCES.md): 97.5 % within
 *   60 s and 99 % within 180 s;
 * - median: the middle value (mean of the two middle values for an even
 *   count); p90: nearest rank, the value at rank ⌈0.9 n⌉ of the sorted values.
 */
import { OUTCOMES, SEVERITIES, type Alert, type Outcome, type Severity } from '../alerts/alert.js';

/** TSA standard for alarm-receiving centres (REFERENCES.md). */
export const ANSWER_STANDARD = [
  { limitSeconds: 60, target: 0.975 },
  { limitSeconds: 180, target: 0.99 },
] as const;

export interface Period {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/** Alerts raised in [from, to). */
export function alertsRaisedIn(alerts: readonly Alert[], period: Period): Alert[] {
  return alerts.filter((a) => {
    const at = Date.parse(a.raisedAt);
    return at >= period.from && at < period.to;
  });
}

// ── counts ───────────────────────────────────────────────────────────────

export interface KindCount {
  kind: string;
  alerts: number;
  /** alerts / all alerts of the period; null when there were none. */
  share: number | null;
}

export interface SeverityCount {
  severity: Severity;
  alerts: number;
  share: number | null;
}

/** Alerts per kind, most frequent first (then by kind). */
export function alertsByKind(alerts: readonly Alert[]): KindCount[] {
  const counts = new Map<string, number>();
  for (const a of alerts) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  return [...counts]
    .map(([kind, n]) => ({ kind, alerts: n, share: n / alerts.length }))
    .sort((a, b) => b.alerts - a.alerts || a.kind.localeCompare(b.kind));
}

/** Alerts per severity (the alert's severity now: occurrences can raise it), every severity listed, most urgent first. */
export function alertsBySeverity(alerts: readonly Alert[]): SeverityCount[] {
  return SEVERITIES.map((severity) => {
    const n = alerts.filter((a) => a.severity === severity).length;
    return { severity, alerts: n, share: alerts.length === 0 ? null : n / alerts.length };
  });
}

// ── statistics ───────────────────────────────────────────────────────────

/** The middle value; the mean of the two middle values for an even count; null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile: the value at rank ⌈p/100 · n⌉ (1-based) of the sorted values; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export interface Durations {
  /** How many alerts reached this step. */
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export function durations(ms: readonly number[]): Durations {
  const m = median(ms);
  const p = percentile(ms, 90);
  return { count: ms.length, medianSeconds: m === null ? null : m / 1000, p90Seconds: p === null ? null : p / 1000 };
}

// ── response times ───────────────────────────────────────────────────────

const at = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

export function msToAcknowledge(a: Alert): number | undefined {
  const ack = at(a.acknowledgedAt);
  return ack === undefined ? undefined : ack - Date.parse(a.raisedAt);
}

/** Time to the first dispatch (the first `dispatched` line of the timeline). */
export function msToDispatch(a: Alert): number | undefined {
  const first = a.timeline.find((t) => t.type === 'dispatched');
  return first ? Date.parse(first.at) - Date.parse(a.raisedAt) : undefined;
}

export function msToResolve(a: Alert): number | undefined {
  const resolved = at(a.resolvedAt);
  return resolved === undefined ? undefined : resolved - Date.parse(a.raisedAt);
}

export interface AnswerShare {
  limitSeconds: number;
  /** Acknowledged within the limit (≤). */
  answered: number;
  /** Acknowledged after the limit, or still unacknowledged and older than the limit now. */
  missed: number;
  /** Still unacknowledged and younger than the limit: not decided yet, left out of the share. */
  pending: number;
  /** answered / (answered + missed); null when nothing is decided. */
  share: number | null;
  target: number;
  /** share ≥ target; null when nothing is decided. */
  met: boolean | null;
}

export function answerShare(alerts: readonly Alert[], limitSeconds: number, target: number, now: number): AnswerShare {
  const limit = limitSeconds * 1000;
  let answered = 0;
  let missed = 0;
  let pending = 0;
  for (const a of alerts) {
    const ack = msToAcknowledge(a);
    if (ack !== undefined) {
      if (ack <= limit) answered++;
      else missed++;
    } else if (now - Date.parse(a.raisedAt) > limit) missed++;
    else pending++;
  }
  const decided = answered + missed;
  const share = decided === 0 ? null : answered / decided;
  return { limitSeconds, answered, missed, pending, share, target, met: share === null ? null : share >= target };
}

export interface ResponseTimes {
  /** `all`, or one severity. */
  scope: 'all' | Severity;
  alerts: number;
  acknowledged: number;
  /** Against the TSA standard: ≤ 60 s (97.5 %) and ≤ 180 s (99 %). */
  within60s: AnswerShare;
  within180s: AnswerShare;
  toAcknowledge: Durations;
  toDispatch: Durations;
  toResolve: Durations;
}

function defined(values: (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

export function responseTimesOf(scope: ResponseTimes['scope'], alerts: readonly Alert[], now: number): ResponseTimes {
  const [s60, s180] = ANSWER_STANDARD;
  const acks = defined(alerts.map(msToAcknowledge));
  return {
    scope,
    alerts: alerts.length,
    acknowledged: acks.length,
    within60s: answerShare(alerts, s60.limitSeconds, s60.target, now),
    within180s: answerShare(alerts, s180.limitSeconds, s180.target, now),
    toAcknowledge: durations(acks),
    toDispatch: durations(defined(alerts.map(msToDispatch))),
    toResolve: durations(defined(alerts.map(msToResolve))),
  };
}

/** All alerts first (the row judged against the standard), then one row per severity. */
export function responseTimes(alerts: readonly Alert[], now: number): ResponseTimes[] {
  return [responseTimesOf('all', alerts, now), ...SEVERITIES.map((s) => responseTimesOf(s, alerts.filter((a) => a.severity === s), now))];
}

// ── outcomes and false alarms ────────────────────────────────────────────

export interface OutcomeCount {
  outcome: Outcome;
  alerts: number;
  /** alerts / resolved alerts; null when none were resolved. */
  share: number | null;
}

export interface Outcomes {
  resolved: number;
  /** Raised in the period and not resolved (yet). */
  unresolved: number;
  rows: OutcomeCount[];
}

/** Outcome mix of the period's alerts that are resolved; every outcome listed. */
export function outcomes(alerts: readonly Alert[]): Outcomes {
  const resolved = alerts.filter((a) => a.status === 'resolved');
  return {
    resolved: resolved.length,
    unresolved: alerts.length - resolved.length,
    rows: OUTCOMES.map((outcome) => {
      const n = resolved.filter((a) => a.outcome === outcome).length;
      return { outcome, alerts: n, share: resolved.length === 0 ? null : n / resolved.length };
    }),
  };
}

export interface FalseAlarmRate {
  /** The registry kind of the alert's device; `unknown` if the device is no longer registered. */
  deviceKind: string;
  resolved: number;
  falseAlarms: number;
  /** falseAlarms / resolved. */
  rate: number;
}

/**
 * False-alarm rate per device kind: resolved alerts with outcome
 * `false_alarm` / resolved alerts, grouped by the kind of the device that
 * raised the alert. Alerts raised by a person (no device) are left out.
 */
export function falseAlarmRates(alerts: readonly Alert[], deviceKindOf: (deviceId: string) => string | undefined): FalseAlarmRate[] {
  const byKind = new Map<string, { resolved: number; falseAlarms: number }>();
  for (const a of alerts) {
    if (a.status !== 'resolved' || !a.deviceId) continue;
    const kind = deviceKindOf(a.deviceId) ?? 'unknown';
    const row = byKind.get(kind) ?? { resolved: 0, falseAlarms: 0 };
    row.resolved++;
    if (a.outcome === 'false_alarm') row.falseAlarms++;
    byKind.set(kind, row);
  }
  return [...byKind]
    .map(([deviceKind, r]) => ({ deviceKind, ...r, rate: r.falseAlarms / r.resolved }))
    .sort((a, b) => a.deviceKind.localeCompare(b.deviceKind));
}

// ── devices now ──────────────────────────────────────────────────────────

export type DeviceStatusNow = 'online' | 'offline' | 'unknown';

export interface DeviceNow {
  deviceId: string;
  kind: string;
  homeId: string;
  homeName: string;
  address: string;
  community: string | null;
  /** unknown: not heard from since the hub started, and not yet declared silent by the watchdog. */
  status: DeviceStatusNow;
  /** Last message, ISO UTC; null if none since the hub started. */
  lastSeen: string | null;
}

export interface DevicesNow {
  /** Devices in service: registered, not revoked, in a live home. */
  total: number;
  online: number;
  offline: number;
  unknown: number;
  /** online / total; null with no device in service. */
  onlineRate: number | null;
  /** Every device in service that is not online: offline first, then unknown; longest silent first. */
  notOnline: DeviceNow[];
}

export function devicesNow(devices: readonly DeviceNow[]): DevicesNow {
  const count = (s: DeviceStatusNow) => devices.filter((d) => d.status === s).length;
  const online = count('online');
  const rank: Record<DeviceStatusNow, number> = { offline: 0, unknown: 1, online: 2 };
  const notOnline = devices
    .filter((d) => d.status !== 'online')
    .sort((a, b) => rank[a.status] - rank[b.status] || (a.lastSeen ?? '').localeCompare(b.lastSeen ?? '') || a.deviceId.localeCompare(b.deviceId));
  return { total: devices.length, online, offline: count('offline'), unknown: count('unknown'), onlineRate: devices.length === 0 ? null : online / devices.length, notOnline };
}
