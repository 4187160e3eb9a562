/**
 * SLA escalation (DESIGN.md §4, REFERENCES.md: TSA 60 s / 180 s): an alert
 * still unacknowledged 60 s after it was raised is flagged overdue and pushed
 * again; at 180 s it is escalated, which notifies supervisors and the family.
 * Timers are derived from `raisedAt` and rebuilt from the journal on start, so
 * a restart neither resets nor forgets them.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Alert } from './alert.js';
import type { AlertStore } from './alert-store.js';

export const OVERDUE_AFTER_MS = 60_000;
export const ESCALATE_AFTER_MS = 180_000;

export class Escalation {
  private readonly timers = new Map<string, TimerHandle>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: AlertStore,
    private readonly bus: EventBus<HubEvents>,
    private readonly clock: Clock,
  ) {}

  start(): void {
    for (const alert of this.store.list({ status: 'open' })) this.schedule(alert);
    this.unsubscribe = this.bus.on('alert.raised', (alert) => this.schedule(alert));
  }

  stop(): void {
    this.unsubscribe?.();
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
  }

  /** Arms the next step for an open alert: overdue first, then escalated. */
  private schedule(alert: Alert): void {
    const existing = this.timers.get(alert.id);
    if (existing !== undefined) this.clock.clearTimeout(existing);
    this.timers.delete(alert.id);
    if (alert.status !== 'open' || alert.flags.escalated) return;
    const raised = Date.parse(alert.raisedAt);
    const due = raised + (alert.flags.overdue ? ESCALATE_AFTER_MS : OVERDUE_AFTER_MS);
    const handle = this.clock.setTimeout(() => this.fire(alert.id), Math.max(0, due - this.clock.now()));
    this.timers.set(alert.id, handle);
  }

  private fire(alertId: string): void {
    this.timers.delete(alertId);
    const alert = this.store.get(alertId);
    if (!alert || alert.status !== 'open') return;
    const age = this.clock.now() - Date.parse(alert.raisedAt);
    if (!alert.flags.overdue) this.store.record('alert.overdue', { alertId });
    if (age >= ESCALATE_AFTER_MS) this.store.record('alert.escalated', { alertId });
    this.schedule(alert);
  }
}
