/**
 * The alert service: turns rule drafts into alerts, dedupes them per
 * (home, kind), records test events of homes still being installed, and keeps
 * every change in the journal. An alert is on disk before anyone is shown it
 * (DESIGN.md §4 "Durability"): it is listed and pushed only once its journal
 * line is durable.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { DeviceSignal, HubEvents, TestEventRecord } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { HomeRecord } from '../registry/records.js';
import { SEVERITY_RANK, type Alert, type AlertDraft, type AlertStatus, type AlertTrigger, type Severity } from './alert.js';
import { AlertState, type AlertOccurrenceRecord, type AlertRaisedRecord } from './journal-records.js';

export interface JournalWriter {
  append<T>(type: string, data: T): { entry: { n: number; at: string }; durable: Promise<void> };
  readonly durableN: number;
}

export interface AlertServiceDeps {
  journal: JournalWriter;
  bus: EventBus<HubEvents>;
  homes: { getHome(id: string): HomeRecord | undefined };
  clock: Clock;
  log: Logger;
}

export interface AlertFilter {
  status?: AlertStatus | undefined;
  severity?: Severity | undefined;
  kind?: string | undefined;
  homeIds?: ReadonlySet<string> | undefined;
}

export class AlertService {
  private readonly state = new AlertState();

  constructor(private readonly deps: AlertServiceDeps) {}

  /** Replays one journal line at start (before the broker accepts connections). */
  applyJournalLine(n: number, type: string, data: unknown): void {
    this.state.apply(n, { type, data });
  }

  /** Handles a rule's draft for the signal that caused it. Synchronous up to the journal append. */
  submit(draft: AlertDraft, signal: DeviceSignal): void {
    const home = this.deps.homes.getHome(draft.homeId);
    if (!home) {
      this.deps.log.error({ homeId: draft.homeId, kind: draft.kind }, 'alert draft for an unknown home dropped');
      return;
    }
    const at = new Date(signal.receivedAt).toISOString();
    const trigger: AlertTrigger = {
      deviceId: signal.deviceId,
      eventType: signal.channel === 'event' ? signal.type : 'telemetry',
      at,
      seq: signal.payload.seq,
      ts: signal.payload.ts,
    };
    // A home still being installed raises no real alert: its events tick the commissioning checklist.
    if (home.status === 'installing') {
      this.recordTestEvent(draft, trigger);
      return;
    }
    const openId = this.state.openByKey.get(AlertState.key(draft.homeId, draft.kind));
    if (openId) {
      this.addOccurrence(openId, trigger);
      return;
    }
    this.raise(draft, home, trigger, at);
  }

  private raise(draft: AlertDraft, home: HomeRecord, trigger: AlertTrigger, at: string): void {
    const alert: Alert = {
      id: `al-${randomUUID()}`,
      homeId: draft.homeId,
      residentId: home.residentId,
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
      timeline: [{ at, type: 'raised', actor: `device:${trigger.deviceId}`, eventType: trigger.eventType, seq: trigger.seq }],
    };
    const record: AlertRaisedRecord = { alert };
    const { entry, durable } = this.deps.journal.append('alert.raised', record);
    const stored = this.state.apply(entry.n, { type: 'alert.raised', data: record })!;
    this.publishWhenDurable(durable, 'alert.raised', stored.id);
  }

  private addOccurrence(alertId: string, trigger: AlertTrigger): void {
    const record: AlertOccurrenceRecord = { alertId, trigger };
    const { entry, durable } = this.deps.journal.append('alert.occurrence', record);
    this.state.apply(entry.n, { type: 'alert.occurrence', data: record });
    this.publishWhenDurable(durable, 'alert.updated', alertId);
  }

  private recordTestEvent(draft: AlertDraft, trigger: AlertTrigger): void {
    const record: TestEventRecord = {
      homeId: draft.homeId,
      deviceId: trigger.deviceId,
      eventType: trigger.eventType,
      alertKind: draft.kind,
      at: trigger.at,
      seq: trigger.seq,
      ts: trigger.ts,
    };
    const { durable } = this.deps.journal.append('device.test_event', record);
    durable.then(
      () => this.deps.bus.emit('device.test_event', record),
      (err: unknown) => this.deps.log.error({ err, deviceId: record.deviceId }, 'test event not stored'),
    );
  }

  private publishWhenDurable(durable: Promise<void>, event: 'alert.raised' | 'alert.updated', alertId: string): void {
    durable.then(
      () => {
        const stored = this.state.alerts.get(alertId);
        if (stored) this.deps.bus.emit(event, structuredClone(stored.alert));
      },
      (err: unknown) =>
        // The journal is now unhealthy (sticky until restart) and the device got no PUBACK,
        // so it will retransmit to the restarted hub: loud, never silent.
        this.deps.log.fatal({ err, alertId }, 'ALERT NOT STORED: journal write failed'),
    );
  }

  /** Durable alerts only, most urgent first, then oldest first. */
  list(filter: AlertFilter = {}): Alert[] {
    const durableN = this.deps.journal.durableN;
    const out: Alert[] = [];
    for (const { alert, raisedN } of this.state.alerts.values()) {
      if (raisedN > durableN) continue;
      if (filter.status && alert.status !== filter.status) continue;
      if (filter.severity && alert.severity !== filter.severity) continue;
      if (filter.kind && alert.kind !== filter.kind) continue;
      if (filter.homeIds && !filter.homeIds.has(alert.homeId)) continue;
      out.push(alert);
    }
    return out.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.raisedAt.localeCompare(b.raisedAt));
  }

  get(id: string): Alert | undefined {
    const stored = this.state.alerts.get(id);
    if (!stored || stored.raisedN > this.deps.journal.durableN) return undefined;
    return stored.alert;
  }
}
