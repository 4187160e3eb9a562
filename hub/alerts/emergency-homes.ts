/**
 * The homes in an emergency now: those with an unresolved alert of high or
 * critical severity. Under overload the hub sheds routine telemetry, but
 * never a position fix from such a home (Ingest.routine, `mayCarryAlarm`):
 * while help is on its way, the alert's location follows the wearer's fixes
 * and the responder goes by it. Only the fixes: with every reading of such
 * homes kept, a day with many alarms (the bench's, where nobody resolves
 * one: every home within seconds) would switch the shedding off. Low and
 * medium alerts (a low battery, a device offline) do not count: after a
 * network outage thousands of homes have one open.
 *
 * Kept from the alert events, as AlertLocations keeps its open alerts: one
 * Map lookup per triaged message.
 */
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import { SEVERITY_RANK } from './alert.js';
import type { AlertStore } from './alert-store.js';
import { OpenAlertsByHome } from './open-alerts-by-home.js';

export class EmergencyHomes {
  /** An alert can be raised low and become urgent by a repeat. */
  private readonly urgent = new OpenAlertsByHome((alert) => SEVERITY_RANK[alert.severity] <= SEVERITY_RANK.high);
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: { bus: EventBus<HubEvents>; store: Pick<AlertStore, 'list'> }) {}

  /** After journal replay. */
  start(): void {
    for (const alert of this.deps.store.list({ unresolved: true })) this.urgent.track(alert);
    this.unsubscribe = [this.deps.bus.on('alert.raised', (alert) => this.urgent.track(alert)), this.deps.bus.on('alert.updated', (alert) => this.urgent.track(alert))];
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.urgent.clear();
  }

  has(homeId: string): boolean {
    return this.urgent.has(homeId);
  }
}
