/**
 * Turns rule drafts into alert changes: a new alert, an occurrence on the open
 * one of the same (home, kind), a note, or a severity change — and, while a
 * home is still being installed, a test record instead of any real alert.
 * Synchronous up to the journal append, so the broker can await durability
 * before the PUBACK (DESIGN.md §6).
 */
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents, TestEventRecord } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { DeviceRecord, HomeRecord } from '../registry/records.js';
import { notFound } from '../core/errors.js';
import { SEVERITY_RANK, triggerActor, type Alert, type AlertDraft, type AlertTrigger, type Severity } from './alert.js';
import type { AlertStore, JournalWriter } from './alert-store.js';
import type { LocationFix } from './location-fix.js';

export interface AlertIntakeDeps {
  store: AlertStore;
  journal: JournalWriter;
  bus: EventBus<HubEvents>;
  homes: { getHome(id: string): HomeRecord | undefined; getDevice(id: string): DeviceRecord | undefined; residentIds(homeId: string): readonly string[] };
  log: Logger;
  /** The wearer's last known location for a new alert (hub/alerts/alert-location.ts). */
  locate?: ((homeId: string, deviceId: string) => LocationFix | undefined) | undefined;
}

export interface PersonRaisedAlert {
  homeId: string;
  kind: string;
  severity: Severity;
  title: string;
  /** The resident it is about (a visit to one of a couple); absent: the home. */
  residentId?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

export class AlertIntake {
  constructor(private readonly deps: AlertIntakeDeps) {}

  /** Records what the draft says; returns when that line will be durable (undefined when nothing was written). */
  submit(draft: AlertDraft, trigger: AlertTrigger): Promise<unknown> | undefined {
    const home = this.deps.homes.getHome(draft.homeId);
    if (!home) {
      this.deps.log.error({ homeId: draft.homeId, kind: draft.kind }, 'alert draft for an unknown home dropped');
      return undefined;
    }
    const effect = draft.effect ?? 'raise';
    // A home still being installed raises no real alert: its events tick the commissioning checklist.
    if (home.status === 'installing') return effect === 'raise' ? this.recordTestEvent(draft, trigger) : undefined;
    const residentId = this.residentOf(home, draft);
    const open = this.deps.store.openFor(draft.homeId, draft.kind, residentId);
    if (effect === 'attach') {
      return open && this.deps.store.record('alert.attached', { alertId: open.id, trigger, note: draft.note ?? draft.title }).durable;
    }
    if (effect === 'set_severity') {
      if (!open || open.severity === draft.severity) return undefined;
      return this.deps.store.record('alert.severity_changed', { alertId: open.id, severity: draft.severity, title: draft.title, note: draft.note ?? draft.title, actor: triggerActor(trigger) }).durable;
    }
    if (open) {
      // Severity only rises through occurrences; only a person or an explicit rule effect lowers it.
      const more = SEVERITY_RANK[draft.severity] < SEVERITY_RANK[open.severity];
      return this.deps.store.record('alert.occurrence', { alertId: open.id, trigger, ...(more ? { severity: draft.severity, title: draft.title } : {}) }).durable;
    }
    const alert = newAlert(draft, residentId, trigger);
    const location = this.deps.locate?.(draft.homeId, draft.deviceId);
    if (location) alert.location = location;
    return this.deps.store.record('alert.raised', { alert }).durable;
  }

  /**
   * Whom an alert names (issue 13 item 12): the resident the rule ran for, else
   * the wearer of the device that raised it, else — for a home's shared
   * device — the only resident, or nobody in a couple's home (the alert then
   * names the home, and its views list the residents).
   */
  private residentOf(home: HomeRecord, draft: { residentId?: string | undefined; deviceId?: string | undefined }): string | undefined {
    if (draft.residentId !== undefined) return draft.residentId;
    const wearer = draft.deviceId ? this.deps.homes.getDevice(draft.deviceId)?.residentId : undefined;
    if (wearer !== undefined) return wearer;
    return this.deps.homes.residentIds(home.id).length > 1 ? undefined : home.residentId;
  }

  /**
   * An alert raised by a person (a visitor asking for follow-up): no device,
   * the person as its trigger, deduped like any other. Resolves once on disk.
   */
  async raiseByPerson(input: PersonRaisedAlert, actor: string, at: string): Promise<Alert> {
    const home = this.deps.homes.getHome(input.homeId);
    if (!home) throw notFound('home', input.homeId);
    const trigger: AlertTrigger = { actor, eventType: input.kind, at };
    const residentId = this.residentOf(home, input);
    const open = this.deps.store.openFor(input.homeId, input.kind, residentId);
    if (open) return this.deps.store.record('alert.occurrence', { alertId: open.id, trigger }).durable;
    const alert = newAlert({ ...input, deviceId: '' }, residentId, trigger);
    alert.deviceId = undefined;
    return this.deps.store.record('alert.raised', { alert }).durable;
  }

  private recordTestEvent(draft: AlertDraft, trigger: AlertTrigger): Promise<void> {
    const record: TestEventRecord = {
      homeId: draft.homeId,
      deviceId: draft.deviceId,
      eventType: trigger.eventType,
      alertKind: draft.kind,
      at: trigger.at,
      seq: trigger.seq,
      ts: trigger.ts,
    };
    const { durable } = this.deps.journal.append('device.test_event', record, record.homeId);
    durable.then(
      () => this.deps.bus.emit('device.test_event', record),
      (err: unknown) => this.deps.log.error({ err, deviceId: record.deviceId }, 'test event not stored'),
    );
    return durable;
  }
}

/** A new open alert from a draft (also used by hub/drills/ for drill alerts). */
export function newAlert(draft: AlertDraft, residentId: string | undefined, trigger: AlertTrigger): Alert {
  const at = trigger.at;
  return {
    id: `al-${randomUUID()}`,
    homeId: draft.homeId,
    residentId,
    deviceId: draft.deviceId,
    kind: draft.kind,
    severity: draft.severity,
    status: 'open',
    title: draft.title,
    details: draft.details ?? {},
    raisedAt: at,
    updatedAt: at,
    occurrences: 1,
    lastOccurrenceAt: at,
    flags: { overdue: false, escalated: false },
    trigger,
    responders: [],
    timeline: [{ at, type: 'raised', actor: triggerActor(trigger), eventType: trigger.eventType, seq: trigger.seq }],
  };
}
