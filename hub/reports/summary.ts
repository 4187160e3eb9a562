/**
 * The supervisor report over a period, and each of its tables as CSV rows.
 * Pure: everything it needs (alerts, device kinds, devices now, visit rates,
 * the time now) is passed in.
 */
import type { Alert } from '../alerts/alert.js';
import type { CallbackRecord } from '../callbacks/callback.js';
import type { VisitRateReport } from '../visits/visit-rate.js';
import type { CsvValue } from './csv.js';
import {
  alertsByKind,
  alertsBySeverity,
  alertsRaisedIn,
  ANSWER_STANDARD,
  devicesNow,
  falseAlarmRates,
  outcomes,
  responseTimes,
  type DeviceNow,
  type DevicesNow,
  type FalseAlarmRate,
  type KindCount,
  type Outcomes,
  type Period,
  type ResponseTimes,
  type SeverityCount,
} from './figures.js';
import { callbackFigures, followUpFigures, reviewFigures, type CallbackRow, type FollowUpFigures, type AwaitingReview, type ReviewRow } from './follow-up-figures.js';

export interface ReportInput {
  period: Period;
  now: number;
  timezone: string;
  /** Every alert the hub has (filtered to the period here). */
  alerts: readonly Alert[];
  deviceKindOf(deviceId: string): string | undefined;
  /** Devices in service, with their state now. */
  devices: readonly DeviceNow[];
  /** The visit rate of each calendar month overlapping the period. */
  visits: readonly VisitRateReport[];
  /** Every call-back the hub has (those first due in the period are counted). */
  callbacks?: readonly CallbackRecord[] | undefined;
}

export interface ReportSummary {
  period: { from: string; to: string; timezone: string };
  generatedAt: string;
  alerts: { total: number; byKind: KindCount[]; bySeverity: SeverityCount[] };
  answerStandard: typeof ANSWER_STANDARD;
  /** The first row (`all`) is the one judged against the standard; then one row per severity. */
  responseTimes: ResponseTimes[];
  outcomes: Outcomes;
  falseAlarms: FalseAlarmRate[];
  devices: DevicesNow;
  visits: readonly VisitRateReport[];
  /** After acknowledgement: stalled alerts, late responders, time to the scene (issue 13 item 5). */
  followUp: FollowUpFigures;
  /** Call-backs first due in the period, done on time or not (issue 13 item 6). */
  callbacks: CallbackRow[];
  /** Incident reviews of the period's critical alerts, and those still waiting (issue 13 item 9). */
  reviews: { reviewed: ReviewRow[]; awaiting: AwaitingReview[] };
}

export function buildSummary(input: ReportInput): ReportSummary {
  const alerts = alertsRaisedIn(input.alerts, input.period);
  return {
    period: { from: new Date(input.period.from).toISOString(), to: new Date(input.period.to).toISOString(), timezone: input.timezone },
    generatedAt: new Date(input.now).toISOString(),
    alerts: { total: alerts.length, byKind: alertsByKind(alerts), bySeverity: alertsBySeverity(alerts) },
    answerStandard: ANSWER_STANDARD,
    responseTimes: responseTimes(alerts, input.now),
    outcomes: outcomes(alerts),
    falseAlarms: falseAlarmRates(alerts, input.deviceKindOf),
    devices: devicesNow(input.devices),
    visits: input.visits,
    followUp: followUpFigures(alerts),
    callbacks: callbackFigures(input.callbacks ?? [], input.period),
    reviews: reviewFigures(alerts),
  };
}

// ── tables ───────────────────────────────────────────────────────────────

export interface Table {
  header: string[];
  rows: CsvValue[][];
}

/** Shares and rates as fractions rounded to 4 decimals (0.975 = 97.5 %). */
const frac = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 10_000);

export const REPORT_TABLES = {
  'alerts-by-kind': (s: ReportSummary): Table => ({
    header: ['kind', 'alerts', 'share'],
    rows: s.alerts.byKind.map((r) => [r.kind, r.alerts, frac(r.share)]),
  }),
  'alerts-by-severity': (s: ReportSummary): Table => ({
    header: ['severity', 'alerts', 'share'],
    rows: s.alerts.bySeverity.map((r) => [r.severity, r.alerts, frac(r.share)]),
  }),
  'answer-times': (s: ReportSummary): Table => ({
    header: [
      'scope',
      'alerts',
      'acknowledged',
      'answered_within_60s',
      'missed_60s',
      'pending_60s',
      'share_within_60s',
      'target_60s',
      'met_60s',
      'answered_within_180s',
      'missed_180s',
      'pending_180s',
      'share_within_180s',
      'target_180s',
      'met_180s',
      'ack_median_s',
      'ack_p90_s',
      'dispatched',
      'dispatch_median_s',
      'dispatch_p90_s',
      'resolved',
      'resolve_median_s',
      'resolve_p90_s',
    ],
    rows: s.responseTimes.map((r) => [
      r.scope,
      r.alerts,
      r.acknowledged,
      r.within60s.answered,
      r.within60s.missed,
      r.within60s.pending,
      frac(r.within60s.share),
      r.within60s.target,
      r.within60s.met,
      r.within180s.answered,
      r.within180s.missed,
      r.within180s.pending,
      frac(r.within180s.share),
      r.within180s.target,
      r.within180s.met,
      r.toAcknowledge.medianSeconds,
      r.toAcknowledge.p90Seconds,
      r.toDispatch.count,
      r.toDispatch.medianSeconds,
      r.toDispatch.p90Seconds,
      r.toResolve.count,
      r.toResolve.medianSeconds,
      r.toResolve.p90Seconds,
    ]),
  }),
  outcomes: (s: ReportSummary): Table => ({
    header: ['outcome', 'alerts', 'share_of_resolved'],
    rows: s.outcomes.rows.map((r) => [r.outcome, r.alerts, frac(r.share)]),
  }),
  'false-alarms': (s: ReportSummary): Table => ({
    header: ['device_kind', 'resolved', 'false_alarms', 'false_alarm_rate'],
    rows: s.falseAlarms.map((r) => [r.deviceKind, r.resolved, r.falseAlarms, frac(r.rate)]),
  }),
  'devices-offline': (s: ReportSummary): Table => ({
    header: ['device_id', 'kind', 'status', 'last_seen', 'home_id', 'home_name', 'address', 'community'],
    rows: s.devices.notOnline.map((d) => [d.deviceId, d.kind, d.status, d.lastSeen, d.homeId, d.homeName, d.address, d.community]),
  }),
  visits: (s: ReportSummary): Table => ({
    header: ['month', 'scope', 'community', 'residents', 'visited', 'not_visited', 'rate', 'target', 'target_met'],
    rows: s.visits.flatMap((m) => [
      [m.month, 'all', null, m.overall.residents, m.overall.visited, m.overall.notVisited, frac(m.overall.rate), m.target, m.overall.targetMet],
      ...m.byCommunity.map((c): CsvValue[] => [m.month, 'community', c.community, c.residents, c.visited, c.notVisited, frac(c.rate), m.target, c.targetMet]),
    ]),
  }),
  'visits-missed': (s: ReportSummary): Table => ({
    header: ['month', 'resident_id', 'name', 'community', 'address', 'home_id', 'not_home_attempts', 'last_visit_at', 'last_visit_condition', 'last_completed_visit_at'],
    rows: s.visits.flatMap((m) =>
      m.notVisited.map((r): CsvValue[] => [m.month, r.residentId, r.name, r.community, r.address, r.homeId, r.notHomeAttempts, r.lastVisit?.visitedAt, r.lastVisit?.condition, r.lastCompletedVisitAt]),
    ),
  }),
  'stalled-alerts': (s: ReportSummary): Table => ({
    header: ['alert_id', 'kind', 'severity', 'home_id', 'stage', 'holder', 'stalled_at'],
    rows: s.followUp.stalled.alerts.map((a) => [a.alertId, a.kind, a.severity, a.homeId, a.stage, a.holder, a.stalledAt]),
  }),
  'late-responders': (s: ReportSummary): Table => ({
    header: ['alert_id', 'responder_id', 'kind', 'name', 'late_at', 'on_scene_at'],
    rows: s.followUp.responders.list.map((r) => [r.alertId, r.responderId, r.kind, r.name, r.lateAt, r.onSceneAt]),
  }),
  callbacks: (s: ReportSummary): Table => ({
    header: ['reason', 'due', 'done', 'on_time', 'late', 'open', 'on_time_share'],
    rows: s.callbacks.map((r) => [r.reason, r.due, r.done, r.onTime, r.late, r.open, frac(r.onTimeShare)]),
  }),
  reviews: (s: ReportSummary): Table => ({
    header: ['alert_id', 'kind', 'home_id', 'raised_at', 'reviewed_at', 'reviewed_by', 'targets_met', 'acknowledge_s', 'dispatch_s', 'on_scene_s', 'resolve_s', 'what_happened', 'what_went_well', 'to_improve'],
    rows: s.reviews.reviewed.map((r) => [
      r.alertId,
      r.kind,
      r.homeId,
      r.raisedAt,
      r.reviewedAt,
      r.reviewedBy,
      r.targetsMet,
      r.times.acknowledgeSeconds,
      r.times.dispatchSeconds,
      r.times.onSceneSeconds,
      r.times.resolveSeconds,
      r.whatHappened,
      r.whatWentWell,
      r.toImprove,
    ]),
  }),
  'reviews-awaiting': (s: ReportSummary): Table => ({
    header: ['alert_id', 'kind', 'home_id', 'raised_at', 'resolved_at', 'outcome'],
    rows: s.reviews.awaiting.map((r) => [r.alertId, r.kind, r.homeId, r.raisedAt, r.resolvedAt, r.outcome]),
  }),
} satisfies Record<string, (s: ReportSummary) => Table>;

export type ReportTableName = keyof typeof REPORT_TABLES;
export const REPORT_TABLE_NAMES = Object.keys(REPORT_TABLES) as ReportTableName[];
