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
 * Kept from every alert line the store applies (AlertStore.onApplied), not
 * from the bus: the lines replayed at start and those a cluster node follows
 * from the others count too. So it holds on every node, whichever keeps the
 * home's alerts: a standby (whose pipeline does not run) and an owner of
 * other partitions shed no fix from a home another node is handling an
 * emergency for. Made before the journal opens, and not a service: nothing
 * to start or stop. One Map lookup per triaged message.
 */
import { SEVERITY_RANK } from './alert.js';
import type { AlertStore } from './alert-store.js';
import { OpenAlertsByHome } from './open-alerts-by-home.js';

export class EmergencyHomes {
  /** An alert can be raised low and become urgent by a repeat. */
  private readonly urgent = new OpenAlertsByHome((alert) => SEVERITY_RANK[alert.severity] <= SEVERITY_RANK.high);

  constructor(store: Pick<AlertStore, 'onApplied'>) {
    store.onApplied((alert) => this.urgent.track(alert));
  }

  has(homeId: string): boolean {
    return this.urgent.has(homeId);
  }
}
