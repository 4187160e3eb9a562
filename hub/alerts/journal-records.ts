/**
 * The journal line types the alert service writes, and the pure reducer that
 * rebuilds alert state from them. The same reducer runs live and on replay, so
 * a restarted hub has exactly the state it had before (DESIGN.md §6).
 */
import type { TestEventRecord } from '../core/hub-events.js';
import type { Alert, AlertTrigger } from './alert.js';

export interface AlertRaisedRecord {
  alert: Alert;
}

export interface AlertOccurrenceRecord {
  alertId: string;
  trigger: AlertTrigger;
}

export type AlertJournalRecord =
  | { type: 'alert.raised'; data: AlertRaisedRecord }
  | { type: 'alert.occurrence'; data: AlertOccurrenceRecord }
  | { type: 'device.test_event'; data: TestEventRecord };

export interface StoredAlert {
  alert: Alert;
  /** Journal line number of the raise: the alert is shown only once that line is durable. */
  raisedN: number;
}

export class AlertState {
  readonly alerts = new Map<string, StoredAlert>();
  /** `homeId:kind` → id of the one unresolved alert of that kind in that home (dedupe, DESIGN.md §4). */
  readonly openByKey = new Map<string, string>();

  static key(homeId: string, kind: string): string {
    return `${homeId}:${kind}`;
  }

  apply(n: number, record: { type: string; data: unknown }): Alert | undefined {
    switch (record.type) {
      case 'alert.raised': {
        const { alert } = record.data as AlertRaisedRecord;
        const copy = structuredClone(alert);
        this.alerts.set(copy.id, { alert: copy, raisedN: n });
        if (copy.status !== 'resolved') this.openByKey.set(AlertState.key(copy.homeId, copy.kind), copy.id);
        return copy;
      }
      case 'alert.occurrence': {
        const { alertId, trigger } = record.data as AlertOccurrenceRecord;
        const stored = this.alerts.get(alertId);
        if (!stored) return undefined;
        const alert = stored.alert;
        alert.occurrences++;
        alert.lastOccurrenceAt = trigger.at;
        alert.updatedAt = trigger.at;
        alert.timeline.push({ at: trigger.at, type: 'occurrence', actor: `device:${trigger.deviceId}`, eventType: trigger.eventType, seq: trigger.seq });
        return alert;
      }
      default:
        return undefined;
    }
  }
}
