/**
 * SLA escalation (DESIGN.md §4, REFERENCES.md: TSA 60 s / 180 s): an alert
 * still unacknowledged 60 s after it was raised is flagged overdue and pushed
 * again; at 180 s it is escalated, which notifies supervisors and the family.
 * Timers are derived from `raisedAt` and rebuilt from the journal on start, so
 * a restart neither resets nor forgets them. In a cluster only the owner of
 * the alert's home keeps its time (issue 12 step 3): a node that gains a
 * partition rebuilds its alerts' timers the same way, so an alert that passed
 * a deadline while nobody owned it is flagged at once.
 */
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import type { Alert } from './alert.js';
import type { AlertStore } from './alert-store.js';
import { HomeTimers, type HomeFilter } from './home-timers.js';

export const OVERDUE_AFTER_MS = 60_000;
export const ESCALATE_AFTER_MS = 180_000;

export class Escalation {
  private readonly timers: HomeTimers;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly store: AlertStore,
    private readonly bus: EventBus<HubEvents>,
    private readonly clock: Clock,
    private readonly ownership: PartitionOwnership = OWNS_EVERYTHING,
  ) {
    this.timers = new HomeTimers(clock, ownership);
  }

  start(): void {
    this.armOpen((homeId) => this.ownership.owns(homeId));
    this.unsubscribe.push(
      this.bus.on('alert.raised', (alert) => {
        if (this.ownership.owns(alert.homeId)) this.schedule(alert);
      }),
      this.timers.follow((homes) => this.armOpen(homes)),
    );
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.timers.clearAll();
  }

  /** Arms the open alerts of these homes from their `raisedAt`. */
  private armOpen(homes: HomeFilter): void {
    for (const alert of this.store.list({ status: 'open' })) if (homes(alert.homeId)) this.schedule(alert);
  }

  /** Arms the next step for an open alert: overdue first, then escalated. */
  private schedule(alert: Alert): void {
    this.timers.clear(alert.id);
    if (alert.status !== 'open' || alert.flags.escalated) return;
    const due = Date.parse(alert.raisedAt) + (alert.flags.overdue ? ESCALATE_AFTER_MS : OVERDUE_AFTER_MS);
    this.timers.arm(alert.id, alert.homeId, due, () => this.fire(alert.id));
  }

  /** Runs only while this node owns the alert's home (HomeTimers). */
  private fire(alertId: string): void {
    const alert = this.store.get(alertId);
    if (!alert || alert.status !== 'open') return;
    const age = this.clock.now() - Date.parse(alert.raisedAt);
    if (!alert.flags.overdue) this.store.record('alert.overdue', { alertId });
    if (age >= ESCALATE_AFTER_MS) this.store.record('alert.escalated', { alertId });
    this.schedule(alert);
  }
}
