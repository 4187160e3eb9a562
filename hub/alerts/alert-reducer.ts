/**
 * The journal line types of the alert lifecycle, and the pure reducer that
 * rebuilds alert state from them. The same reducer runs live and on replay, so
 * a restarted hub has exactly the state it had before (DESIGN.md §6). Every
 * line becomes one timeline entry of its alert.
 */
import { samePlace, type LocationFix } from './location-fix.js';
import { triggerActor, type Alert, type AlertCommand, type AlertTrigger, type IncidentReview, type Outcome, type Responder, type ResponderState, type Severity, type StallStage, type TimelineEntry } from './alert.js';

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
  /** Journal line number of the raise: the alert is shown only once that line is durable. */
  raisedN: number;
}

export const SYSTEM = 'system';

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

  /** Applies one line; returns the alert it changed (undefined for lines of unknown alerts). */
  apply<T extends AlertRecordType>(n: number, at: string, type: T, data: AlertRecordData[T]): Alert | undefined {
    if (type === 'alert.raised') {
      const alert = structuredClone((data as AlertRecordData['alert.raised']).alert);
      alert.responders ??= []; // lines written before responders existed
      this.alerts.set(alert.id, { alert, raisedN: n });
      if (alert.status !== 'resolved') this.openByKey.set(AlertState.keyOf(alert), alert.id);
      return alert;
    }
    const alert = this.alerts.get((data as { alertId: string }).alertId)?.alert;
    if (!alert) return undefined;
    alert.updatedAt = at;
    const entry = applyChange(alert, at, type, data);
    // A fix of the same place only refreshes its age: no timeline entry.
    if (entry) alert.timeline.push(entry);
    if (alert.status === 'resolved') this.openByKey.delete(AlertState.keyOf(alert));
    return alert;
  }
}

/** Mutates the alert for one line and returns the timeline entry describing it (none for a location refresh). */
function applyChange(alert: Alert, at: string, type: AlertRecordType, raw: unknown): TimelineEntry | undefined {
  const short = type.slice('alert.'.length);
  switch (type) {
    case 'alert.occurrence': {
      const d = raw as AlertRecordData['alert.occurrence'];
      alert.occurrences++;
      alert.lastOccurrenceAt = d.trigger.at;
      if (d.severity) alert.severity = d.severity;
      if (d.title) alert.title = d.title;
      return { at, type: short, actor: triggerActor(d.trigger), eventType: d.trigger.eventType, seq: d.trigger.seq, severity: d.severity };
    }
    case 'alert.attached': {
      const d = raw as AlertRecordData['alert.attached'];
      return { at, type: short, actor: triggerActor(d.trigger), eventType: d.trigger.eventType, note: d.note };
    }
    case 'alert.severity_changed': {
      const d = raw as AlertRecordData['alert.severity_changed'];
      const from = alert.severity;
      alert.severity = d.severity;
      alert.title = d.title;
      return { at, type: short, actor: d.actor, from, to: d.severity, note: d.note };
    }
    case 'alert.acknowledged': {
      const d = raw as AlertRecordData['alert.acknowledged'];
      alert.status = 'acknowledged';
      alert.acknowledgedAt ??= at; // a claim after a release keeps the first answer time
      alert.acknowledgedBy = d.actor;
      alert.heldSince = at;
      return { at, type: short, actor: d.actor };
    }
    case 'alert.dispatched': {
      const d = raw as AlertRecordData['alert.dispatched'];
      alert.status = 'dispatched';
      alert.flags.stalled = undefined; // help is on its way: nothing is waiting on the holder any more
      alert.responders.push(...structuredClone(d.responders));
      return { at, type: short, actor: d.actor, responders: d.responders.map((r) => ({ id: r.id, kind: r.kind, name: r.name })) };
    }
    case 'alert.responder_joined': {
      const d = raw as AlertRecordData['alert.responder_joined'];
      alert.responders.push(structuredClone(d.responder));
      return { at, type: short, actor: d.actor, responderId: d.responder.id, name: d.responder.name, kind: d.responder.kind, state: d.responder.state };
    }
    case 'alert.responder_updated': {
      const d = raw as AlertRecordData['alert.responder_updated'];
      const responder = alert.responders.find((r) => r.id === d.responderId);
      if (responder) {
        responder.state = d.state;
        responder.updatedAt = at;
      }
      return { at, type: short, actor: d.actor, responderId: d.responderId, name: responder?.name, state: d.state };
    }
    case 'alert.note_added': {
      const d = raw as AlertRecordData['alert.note_added'];
      return { at, type: short, actor: d.actor, text: d.text };
    }
    case 'alert.resolved': {
      const d = raw as AlertRecordData['alert.resolved'];
      alert.status = 'resolved';
      alert.flags.stalled = undefined;
      alert.resolvedAt = at;
      alert.resolvedBy = d.actor;
      alert.outcome = d.outcome;
      return { at, type: short, actor: d.actor, outcome: d.outcome, note: d.note };
    }
    case 'alert.overdue':
      alert.flags.overdue = true;
      return { at, type: short, actor: SYSTEM };
    case 'alert.escalated':
      alert.flags.escalated = true;
      return { at, type: short, actor: SYSTEM };
    case 'alert.command_sent': {
      const d = raw as AlertRecordData['alert.command_sent'];
      return { at, type: short, actor: d.actor, command: d.command };
    }
    case 'alert.command_updated': {
      const d = raw as AlertRecordData['alert.command_updated'];
      applyCommand(alert, at, d);
      return { at, type: short, actor: d.actor, command: d.command, deviceId: d.deviceId, cmdId: d.cmdId, state: d.state, reason: d.reason };
    }
    case 'alert.help_unconfirmed':
      alert.flags.helpUnconfirmed = true;
      return { at, type: short, actor: SYSTEM };
    case 'alert.location': {
      const { location } = raw as AlertRecordData['alert.location'];
      const moved = !alert.location || !samePlace(alert.location, location);
      alert.location = structuredClone(location);
      const { deviceId, at: _fixAt, ...place } = location;
      return moved ? { at, type: short, actor: `device:${deviceId}`, ...place } : undefined;
    }
    default:
      return applyHandling(alert, at, type, raw);
  }
}

/** The lines of issue 13: who holds the alert, follow-up flags and the review. */
function applyHandling(alert: Alert, at: string, type: AlertRecordType, raw: unknown): TimelineEntry {
  const short = type.slice('alert.'.length);
  switch (type) {
    case 'alert.released': {
      const d = raw as AlertRecordData['alert.released'];
      const from = alert.acknowledgedBy;
      alert.status = 'open';
      alert.acknowledgedBy = undefined;
      alert.heldSince = undefined;
      alert.flags.stalled = undefined;
      return { at, type: short, actor: d.actor, from, note: d.note };
    }
    case 'alert.handed_over': {
      const d = raw as AlertRecordData['alert.handed_over'];
      alert.acknowledgedBy = d.to;
      alert.heldSince = at;
      alert.flags.stalled = undefined;
      return { at, type: short, actor: d.actor, from: d.from, to: d.to, note: d.note };
    }
    case 'alert.stalled': {
      const d = raw as AlertRecordData['alert.stalled'];
      alert.flags.stalled = d.stage;
      return { at, type: short, actor: SYSTEM, stage: d.stage, holder: d.holder };
    }
    case 'alert.responder_late': {
      const d = raw as AlertRecordData['alert.responder_late'];
      const responder = alert.responders.find((r) => r.id === d.responderId);
      if (responder) responder.late = true;
      return { at, type: short, actor: SYSTEM, responderId: d.responderId, name: responder?.name };
    }
    case 'alert.reviewed': {
      const d = raw as AlertRecordData['alert.reviewed'];
      alert.review = structuredClone(d.review);
      return { at, type: short, actor: d.actor };
    }
    default:
      return { at, type: short, actor: SYSTEM };
  }
}

/** Keeps the alert's per-command state; a confirmed help_coming clears the "not confirmed" flag. */
function applyCommand(alert: Alert, at: string, d: AlertRecordData['alert.command_updated']): void {
  const commands = (alert.commands ??= []);
  let command = commands.find((c) => c.cmdId === d.cmdId);
  if (!command) {
    command = { cmdId: d.cmdId, deviceId: d.deviceId, command: d.command, state: d.state, queuedAt: at };
    commands.push(command);
  }
  command.state = d.state;
  if (d.state === 'delivered') command.deliveredAt = at;
  if (d.state === 'confirmed') {
    command.deliveredAt ??= at;
    command.confirmedAt = at;
    if (d.command === 'help_coming') alert.flags.helpUnconfirmed = false;
  }
  if (d.state === 'expired') {
    command.expiredAt = at;
    command.reason = d.reason;
  }
}
