/**
 * Per home, the ids of its unresolved alerts that `counts` picks, kept from
 * the alert as each change leaves it (`track`: AlertLocations feeds it the
 * durable alerts from the bus, EmergencyHomes every line the store applies).
 * An alert leaves when it is resolved or no longer counted (a severity
 * changed by a repeat). One Map lookup to ask.
 */
import type { Alert } from './alert.js';

export class OpenAlertsByHome {
  private readonly byHome = new Map<string, Set<string>>();

  constructor(private readonly counts: (alert: Alert) => boolean = () => true) {}

  /** The ids of this home's counted open alerts; undefined: none. */
  of(homeId: string): ReadonlySet<string> | undefined {
    return this.byHome.get(homeId);
  }

  has(homeId: string): boolean {
    return this.byHome.has(homeId);
  }

  track(alert: Alert): void {
    let open = this.byHome.get(alert.homeId);
    if (alert.status === 'resolved' || !this.counts(alert)) {
      open?.delete(alert.id);
      if (open?.size === 0) this.byHome.delete(alert.homeId);
      return;
    }
    if (!open) this.byHome.set(alert.homeId, (open = new Set()));
    open.add(alert.id);
  }
}
