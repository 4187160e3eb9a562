/**
 * Drills (应急演练, issue 13 item 8): city care plans require the call centre
 * to rehearse. A supervisor starts a drill for one live home or a whole
 * community; each home gets a drill alert that travels the real path (queue,
 * sound, dispatch, family and webhook notifications) marked as a drill, and
 * the drill report measures the response against the targets below.
 * This file holds the model and the pure report; drill-service.ts the state.
 */
import type { Alert } from '../alerts/alert.js';

/** The alert kinds a drill can rehearse: the critical ones someone must answer at once. */
export const DRILL_KINDS = ['sos', 'fall', 'smoke', 'gas'] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/** Titles as the rules word them, so the console shows the drill as it would show the real thing. */
export const DRILL_TITLES: Record<DrillKind, string> = {
  sos: 'SOS button pressed',
  fall: 'Fall detected',
  smoke: 'Smoke detected',
  gas: 'Gas detected',
};

/** Every drill alert's title starts with this, so an SMS or a webhook receiver cannot mistake it. */
export const DRILL_TITLE_PREFIX = 'DRILL 演练 — ';

export interface DrillTargets {
  /** Raise → acknowledged: the TSA 60 s answer standard (docs/REPORTS.md). */
  answerSec: number;
  /** Raise → first responder dispatched. */
  dispatchSec: number;
  /** Raise → first responder on scene: 邻安康 (Xiamen) promises 15 minutes. */
  onSceneSec: number;
}

export const DEFAULT_DRILL_TARGETS: DrillTargets = { answerSec: 60, dispatchSec: 300, onSceneSec: 900 };

export interface DrillRecord {
  id: string;
  kind: DrillKind;
  /** What was drilled: one home, or every live home of a community. */
  scope: { homeId: string } | { community: string };
  homeIds: string[];
  alertIds: string[];
  targets: DrillTargets;
  note?: string | undefined;
  startedAt: string;
  startedBy: string;
  endedAt?: string | undefined;
  endedBy?: string | undefined;
}

/** One measured step: seconds from the raise, and whether the target was met (null while it has not happened). */
export interface DrillStep {
  seconds: number | null;
  targetSec: number;
  met: boolean | null;
}

export interface DrillAlertReport {
  alertId: string;
  homeId: string;
  status: Alert['status'];
  answer: DrillStep;
  dispatch: DrillStep;
  onScene: DrillStep;
}

export interface DrillReport {
  drill: DrillRecord;
  alerts: DrillAlertReport[];
  /** Per step: how many alerts met the target, out of how many were drilled. */
  totals: { answer: StepTotal; dispatch: StepTotal; onScene: StepTotal };
}

export interface StepTotal {
  met: number;
  of: number;
}

/**
 * The drill report: answer, dispatch and on-scene times of each drill alert
 * against the targets. A step that has not happened is "not met" once the
 * drill has ended, and pending (null) while it runs.
 */
export function drillReport(drill: DrillRecord, alerts: readonly Alert[]): DrillReport {
  const ended = drill.endedAt !== undefined;
  const rows = alerts.map((a): DrillAlertReport => {
    const from = Date.parse(a.raisedAt);
    const step = (at: string | undefined, targetSec: number): DrillStep => {
      if (at === undefined) return { seconds: null, targetSec, met: ended ? false : null };
      const seconds = Math.round((Date.parse(at) - from) / 100) / 10;
      return { seconds, targetSec, met: seconds <= targetSec };
    };
    return {
      alertId: a.id,
      homeId: a.homeId,
      status: a.status,
      answer: step(a.acknowledgedAt, drill.targets.answerSec),
      dispatch: step(firstAt(a, 'dispatched'), drill.targets.dispatchSec),
      onScene: step(firstAt(a, 'responder_updated', 'on_scene'), drill.targets.onSceneSec),
    };
  });
  const total = (pick: (r: DrillAlertReport) => DrillStep): StepTotal => ({ met: rows.filter((r) => pick(r).met === true).length, of: rows.length });
  return { drill, alerts: rows, totals: { answer: total((r) => r.answer), dispatch: total((r) => r.dispatch), onScene: total((r) => r.onScene) } };
}

/** When the timeline first shows this step (a responder reaching `state`, for responder updates). */
function firstAt(alert: Alert, type: string, state?: string): string | undefined {
  return alert.timeline.find((t) => t.type === type && (state === undefined || t.state === state))?.at;
}
