/**
 * Report figures of issue 13: what happened after acknowledgement (stalled
 * alerts, late responders, time to the scene), call-backs done on time, and
 * incident reviews with the critical alerts still waiting for one. Pure, like
 * figures.ts; definitions in docs/REPORTS.md.
 */
import type { Alert, IncidentReview } from '../alerts/alert.js';
import { firstOnSceneAt } from '../alerts/response-times.js';
import { CALLBACK_REASONS, doneOnTime, type CallbackReason, type CallbackRecord } from '../callbacks/callback.js';
import { durations, type Durations, type Period } from './figures.js';

export interface StalledAlert {
  alertId: string;
  kind: string;
  severity: string;
  homeId: string;
  /** The furthest stage reached: holder re-alerted, or the supervisor too. */
  stage: 'holder' | 'supervisor';
  holder: string | null;
  stalledAt: string;
}

export interface LateResponder {
  alertId: string;
  responderId: string;
  kind: string;
  name: string;
  lateAt: string;
  /** Null while they are still not there. */
  onSceneAt: string | null;
}

export interface FollowUpFigures {
  /** Acknowledged alerts whose holder was re-alerted / whose supervisor was. */
  stalled: { holder: number; supervisor: number; alerts: StalledAlert[] };
  responders: { dispatched: number; late: number; lateShare: number | null; list: LateResponder[] };
  /** Raise → first responder on scene, over the alerts that had one. */
  toScene: Durations;
}

export function followUpFigures(alerts: readonly Alert[]): FollowUpFigures {
  const stalledAlerts: StalledAlert[] = [];
  const late: LateResponder[] = [];
  let dispatched = 0;
  const toScene: number[] = [];
  for (const a of alerts) {
    const stalls = a.timeline.filter((e) => e.type === 'stalled');
    const last = stalls.at(-1);
    if (last) {
      const stage = stalls.some((e) => e.stage === 'supervisor') ? 'supervisor' : 'holder';
      stalledAlerts.push({ alertId: a.id, kind: a.kind, severity: a.severity, homeId: a.homeId, stage, holder: typeof last.holder === 'string' ? last.holder : null, stalledAt: stalls[0]!.at });
    }
    dispatched += a.responders.length;
    for (const e of a.timeline.filter((t) => t.type === 'responder_late')) {
      const r = a.responders.find((x) => x.id === e.responderId);
      if (!r) continue;
      const arrived = a.timeline.find((t) => t.type === 'responder_updated' && t.responderId === r.id && t.state === 'on_scene');
      late.push({ alertId: a.id, responderId: r.id, kind: r.kind, name: r.name, lateAt: e.at, onSceneAt: arrived?.at ?? null });
    }
    const scene = firstOnSceneAt(a);
    if (scene) toScene.push(Date.parse(scene) - Date.parse(a.raisedAt));
  }
  return {
    stalled: { holder: stalledAlerts.length, supervisor: stalledAlerts.filter((s) => s.stage === 'supervisor').length, alerts: stalledAlerts },
    responders: { dispatched, late: late.length, lateShare: dispatched === 0 ? null : late.length / dispatched, list: late },
    toScene: durations(toScene),
  };
}

export interface CallbackRow {
  reason: CallbackReason | 'all';
  /** First due in the period. */
  due: number;
  done: number;
  onTime: number;
  late: number;
  /** Still pending (overdue ones included) or cancelled. */
  open: number;
  /** onTime / due; null when none were due. */
  onTimeShare: number | null;
}

/** Call-backs first due in [from, to), overall then per reason. */
export function callbackFigures(callbacks: readonly CallbackRecord[], period: Period): CallbackRow[] {
  const inPeriod = callbacks.filter((cb) => {
    const due = Date.parse(cb.firstDueAt);
    return due >= period.from && due < period.to && cb.status !== 'cancelled';
  });
  const row = (reason: CallbackRow['reason'], list: readonly CallbackRecord[]): CallbackRow => {
    const done = list.filter((cb) => cb.status === 'done');
    const onTime = done.filter((cb) => doneOnTime(cb) === true).length;
    return { reason, due: list.length, done: done.length, onTime, late: done.length - onTime, open: list.length - done.length, onTimeShare: list.length === 0 ? null : onTime / list.length };
  };
  return [row('all', inPeriod), ...CALLBACK_REASONS.map((r) => row(r, inPeriod.filter((cb) => cb.reason === r)))];
}

export interface ReviewRow extends IncidentReview {
  alertId: string;
  kind: string;
  homeId: string;
  raisedAt: string;
}

export interface AwaitingReview {
  alertId: string;
  kind: string;
  homeId: string;
  raisedAt: string;
  resolvedAt: string;
  outcome: string | null;
}

/** Reviews of the period's critical alerts, and the resolved critical alerts still waiting for one (oldest first). */
export function reviewFigures(alerts: readonly Alert[]): { reviewed: ReviewRow[]; awaiting: AwaitingReview[] } {
  const critical = alerts.filter((a) => a.severity === 'critical' && a.status === 'resolved');
  return {
    reviewed: critical.filter((a) => a.review).map((a) => ({ ...a.review!, alertId: a.id, kind: a.kind, homeId: a.homeId, raisedAt: a.raisedAt })),
    awaiting: critical
      .filter((a) => !a.review)
      .map((a) => ({ alertId: a.id, kind: a.kind, homeId: a.homeId, raisedAt: a.raisedAt, resolvedAt: a.resolvedAt ?? a.updatedAt, outcome: a.outcome ?? null }))
      .sort((x, y) => x.resolvedAt.localeCompare(y.resolvedAt)),
  };
}
