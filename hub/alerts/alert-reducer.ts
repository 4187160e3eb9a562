/**
 * The journal line types of the alert lifecycle, and the pure reducer that
 * rebuilds alert state from them. The same reducer runs live and on replay, so
 * a restarted hub has exactly the state it had before (DESIGN.md §6). Every
 * line becomes one timeline entry of its alert.
 */
import type { LocationFix } from './location-fix.js';
import { applyChange, type Copy, SYSTEM } from './alert-changes.js';
import type { Alert, AlertCommand, AlertTrigger, IncidentReview, Outcome, Responder, ResponderState, Severity, StallStage } from './alert.js';

export interface AlertRecordData {
  'alert.raised': { alert: Alert };
  'alert.occurrence': { alertId: string; trigger: AlertTrigger; severity?: Severity | undefined; title?: string | undefined };
  'alert.attached': { alertId: string; trigger: AlertTrigger; note: string };
  'alert.severity_changed': { alertId: string; severity: Severity; title: string; note: string; actor: string };
  'alert.acknowledged': { alertId: string; actor: string };
  'alert.dispatched': { alertId: string; actor: string; responders: Responder[] };
  /** A family member said "I'm on my way": a responder joins without changing the alert's status. */
  'alert.responder_joined': { alertId: string; actor: string; responder: Responder };
  'alert.responder_updated': { alertId: string; actor: string; responderId: string; state: ResponderState };
  'alert.note_added': { alertId: string; actor: string; text: string };
  'alert.resolved': { alertId: string; actor: string; outcome: Outcome; note?: string | undefined };
  'alert.overdue': { alertId: string };
  'alert.escalated': { alertId: string };
  /** Journals before issue 10 only: a command published once, delivery unknown. */
  'alert.command_sent': { alertId: string; actor: string; command: string };
  /** A command for this alert moved on (hub/commands/alert-commands.ts mirrors the outbox's lines here). */
  'alert.command_updated': { alertId: string; actor: string; cmdId: string; deviceId: string; command: string; state: AlertCommand['state']; reason?: string | undefined };
  /** 60 s after help_coming was sent no bracelet had confirmed it. */
  'alert.help_unconfirmed': { alertId: string };
  /** A newer fix of the wearer's location (hub/alerts/alert-location.ts). */
  'alert.location': { alertId: string; location: LocationFix };
  /** The holder gave a claimed alert back to the queue (issue 13 item 7). */
  'alert.released': { alertId: string; actor: string; note?: string | undefined };
  /** The alert passed to another operator, with a note for them (shift change). */
  'alert.handed_over': { alertId: string; actor: string; from: string | undefined; to: string; note: string };
  /** Acknowledged, and still neither dispatched nor resolved after the follow-up time (issue 13 item 5). */
  'alert.stalled': { alertId: string; stage: StallStage; holder: string | undefined };
  /** A dispatched responder not on scene within the severity's target. */
  'alert.responder_late': { alertId: string; responderId: string };
  /** The incident review of a resolved critical alert (issue 13 item 9). */
  'alert.reviewed': { alertId: string; actor: string; review: IncidentReview };
}

export type AlertRecordType = keyof AlertRecordData;

export const ALERT_RECORD_TYPES = new Set<string>([
  'alert.raised',
  'alert.occurrence',
  'alert.attached',
  'alert.severity_changed',
  'alert.acknowledged',
  'alert.dispatched',
  'alert.responder_joined',
  'alert.responder_updated',
  'alert.note_added',
  'alert.resolved',
  'alert.overdue',
  'alert.escalated',
  'alert.command_sent',
  'alert.command_updated',
  'alert.help_unconfirmed',
  'alert.location',
  'alert.released',
  'alert.handed_over',
  'alert.stalled',
  'alert.responder_late',
  'alert.reviewed',
] satisfies AlertRecordType[]);


export interface StoredAlert {
  alert: Alert;
  /**
   * Whether the raise's line is durable: the alert is shown only then. A flag
   * rather than the raise's line number, which a journal numbered at commit
   * (PostgreSQL) does not know before then.
   */
  durable: boolean;
}

export { SYSTEM };

const adopt: Copy = (value) => value;

export class AlertState {
  readonly alerts = new Map<string, StoredAlert>();
  /**
   * `homeId:kind:residentId` → id of the one unresolved alert of that kind for
   * that resident in that home (dedupe, DESIGN.md §4): each of a couple has
   * their own SOS (issue 13 item 12). `homeId:kind` for an alert naming nobody.
   */
  readonly openByKey = new Map<string, string>();

  static key(homeId: string, kind: string, residentId: string | undefined): string {
    return residentId === undefined ? `${homeId}:${kind}` : `${homeId}:${kind}:${residentId}`;
  }

  /** A drill alert has a key of its own: a real SOS during a drill must open a real alert, never join the drill's. */
  static keyOf(alert: Alert): string {
    const key = AlertState.key(alert.homeId, alert.kind, alert.residentId);
    return alert.drill ? `${key}:drill:${alert.drill.drillId}` : key;
  }

  /** The raise of this alert is durable: it may be shown. */
  markDurable(id: string): void {
    const stored = this.alerts.get(id);
    if (stored) stored.durable = true;
  }

  /**
   * Applies one line; returns the alert it changed (undefined for lines of unknown alerts).
   * `owned`: the line's data was parsed for this call alone (a replay), so the state takes its
   * objects as they are; a live caller keeps its data, which is copied (structuredClone). A
   * replay's copies were the whole alert of every raise, and garbage the moment they were made.
   * A replayed line is durable: a raise replayed is shown at once.
   */
  apply<T extends AlertRecordType>(at: string, type: T, data: AlertRecordData[T], owned = false): Alert | undefined {
    const copy: Copy = owned ? adopt : structuredClone;
    if (type === 'alert.raised') {
      const alert = copy((data as AlertRecordData['alert.raised']).alert);
      alert.responders ??= []; // lines written before responders existed
      // A replayed line is durable already; a new one once the journal says so (markDurable).
      this.alerts.set(alert.id, { alert, durable: owned });
      if (alert.status !== 'resolved') this.openByKey.set(AlertState.keyOf(alert), alert.id);
      return alert;
    }
    const alert = this.alerts.get((data as { alertId: string }).alertId)?.alert;
    if (!alert) return undefined;
    alert.updatedAt = at;
    const entry = applyChange(alert, at, type, data, copy);
    if (entry) alert.timeline.push(entry);
    if (alert.status === 'resolved') this.openByKey.delete(AlertState.keyOf(alert));
    return alert;
  }
}
