/**
 * What each journal line of an existing alert changes in it, one small function
 * per line type. The reducer (alert-reducer.ts) looks the line's type up in this
 * table, so adding a line type is adding one entry here, and a type the table
 * does not know (a newer hub's line) still gets a plain timeline entry.
 *
 * A change may set any field of the alert, and change in place the alert's
 * objects (flags) and arrays (responders, commands) and the objects in them (a
 * responder's state), but nothing deeper: a deeper object is replaced whole
 * (the location). The stream feed's replay keeps each event's alert as a copy
 * that deep (alert.ts summarySnapshot) and serializes it only if it is sent;
 * tests/journal-replay-equivalence.test.ts holds every line type to it.
 */
import { samePlace } from './location-fix.js';
import { triggerActor, type Alert, type TimelineEntry } from './alert.js';
import type { AlertRecordData, AlertRecordType } from './alert-reducer.js';

export const SYSTEM = 'system';

/** A timeline entry without its time and type, which the reducer adds. */
export interface ChangeDetail {
  actor: string;
  [detail: string]: unknown;
}

/**
 * How a change takes objects of the line into the alert: a live change copies them (the caller
 * keeps its data); a replay adopts them, the line's data having been parsed for it alone.
 */
export type Copy = <T>(value: T) => T;

/** Mutates the alert for one line; the detail of its timeline entry, or undefined for none. */
type Change<K extends AlertRecordType> = (alert: Alert, at: string, d: AlertRecordData[K], copy: Copy) => ChangeDetail | undefined;

type ChangeTable = { [K in Exclude<AlertRecordType, 'alert.raised'>]: Change<K> };

const systemFlag = (flag: 'overdue' | 'escalated' | 'helpUnconfirmed') => (alert: Alert): ChangeDetail => {
  alert.flags[flag] = true;
  return { actor: SYSTEM };
};

/** The lines of the alert's first life: occurrences, answers, responders, notes and the end. */
const LIFECYCLE = {
  'alert.occurrence': (alert, _at, d) => {
    alert.occurrences++;
    alert.lastOccurrenceAt = d.trigger.at;
    if (d.severity) alert.severity = d.severity;
    if (d.title) alert.title = d.title;
    return { actor: triggerActor(d.trigger), eventType: d.trigger.eventType, seq: d.trigger.seq, severity: d.severity };
  },
  'alert.attached': (_alert, _at, d) => ({ actor: triggerActor(d.trigger), eventType: d.trigger.eventType, note: d.note }),
  'alert.severity_changed': (alert, _at, d) => {
    const from = alert.severity;
    alert.severity = d.severity;
    alert.title = d.title;
    return { actor: d.actor, from, to: d.severity, note: d.note };
  },
  'alert.acknowledged': (alert, at, d) => {
    alert.status = 'acknowledged';
    alert.acknowledgedAt ??= at; // a claim after a release keeps the first answer time
    alert.acknowledgedBy = d.actor;
    alert.heldSince = at;
    return { actor: d.actor };
  },
  'alert.dispatched': (alert, _at, d, copy) => {
    alert.status = 'dispatched';
    alert.flags.stalled = undefined; // help is on its way: nothing is waiting on the holder any more
    alert.responders.push(...copy(d.responders));
    return { actor: d.actor, responders: d.responders.map((r) => ({ id: r.id, kind: r.kind, name: r.name })) };
  },
  'alert.responder_joined': (alert, _at, d, copy) => {
    alert.responders.push(copy(d.responder));
    return { actor: d.actor, responderId: d.responder.id, name: d.responder.name, kind: d.responder.kind, state: d.responder.state };
  },
  'alert.responder_updated': (alert, at, d) => {
    const responder = alert.responders.find((r) => r.id === d.responderId);
    if (responder) {
      responder.state = d.state;
      responder.updatedAt = at;
    }
    return { actor: d.actor, responderId: d.responderId, name: responder?.name, state: d.state };
  },
  'alert.note_added': (_alert, _at, d) => ({ actor: d.actor, text: d.text }),
  'alert.resolved': (alert, at, d) => {
    alert.status = 'resolved';
    alert.flags.stalled = undefined;
    alert.resolvedAt = at;
    alert.resolvedBy = d.actor;
    alert.outcome = d.outcome;
    return { actor: d.actor, outcome: d.outcome, note: d.note };
  },
  'alert.overdue': systemFlag('overdue'),
  'alert.escalated': systemFlag('escalated'),
} satisfies Partial<ChangeTable>;

/** Commands to the home's devices and the wearer's location. */
const DEVICES = {
  'alert.command_sent': (_alert, _at, d) => ({ actor: d.actor, command: d.command }),
  'alert.command_updated': (alert, at, d) => {
    applyCommand(alert, at, d);
    return { actor: d.actor, command: d.command, deviceId: d.deviceId, cmdId: d.cmdId, state: d.state, reason: d.reason };
  },
  'alert.help_unconfirmed': systemFlag('helpUnconfirmed'),
  'alert.location': (alert, _at, { location }, copy) => {
    const moved = !alert.location || !samePlace(alert.location, location);
    alert.location = copy(location);
    const { deviceId, at: _fixAt, ...place } = location;
    // A fix of the same place only refreshes its age: no timeline entry.
    return moved ? { actor: `device:${deviceId}`, ...place } : undefined;
  },
} satisfies Partial<ChangeTable>;

/** The lines of issue 13: who holds the alert, follow-up flags and the review. */
const HANDLING = {
  'alert.released': (alert, _at, d) => {
    const from = alert.acknowledgedBy;
    alert.status = 'open';
    alert.acknowledgedBy = undefined;
    alert.heldSince = undefined;
    alert.flags.stalled = undefined;
    return { actor: d.actor, from, note: d.note };
  },
  'alert.handed_over': (alert, at, d) => {
    alert.acknowledgedBy = d.to;
    alert.heldSince = at;
    alert.flags.stalled = undefined;
    return { actor: d.actor, from: d.from, to: d.to, note: d.note };
  },
  'alert.stalled': (alert, _at, d) => {
    alert.flags.stalled = d.stage;
    return { actor: SYSTEM, stage: d.stage, holder: d.holder };
  },
  'alert.responder_late': (alert, _at, d) => {
    const responder = alert.responders.find((r) => r.id === d.responderId);
    if (responder) responder.late = true;
    return { actor: SYSTEM, responderId: d.responderId, name: responder?.name };
  },
  'alert.reviewed': (alert, _at, d, copy) => {
    alert.review = copy(d.review);
    return { actor: d.actor };
  },
} satisfies Partial<ChangeTable>;

const CHANGES: ChangeTable = { ...LIFECYCLE, ...DEVICES, ...HANDLING };

/** A timeline entry's type, `alert.` cut off: one string per type, not one per line kept in every timeline. */
const SHORT_TYPES = new Map(Object.keys(CHANGES).map((type) => [type, type.slice('alert.'.length)]));

/** Mutates the alert for one line and returns the timeline entry describing it (none for a location refresh). */
export function applyChange(alert: Alert, at: string, type: AlertRecordType, raw: unknown, copy: Copy = structuredClone): TimelineEntry | undefined {
  const short = SHORT_TYPES.get(type) ?? type.slice('alert.'.length);
  const change = CHANGES[type as keyof ChangeTable] as Change<AlertRecordType> | undefined;
  if (!change) return { at, type: short, actor: SYSTEM };
  const detail = change(alert, at, raw as AlertRecordData[AlertRecordType], copy);
  return detail && { at, type: short, ...detail };
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
