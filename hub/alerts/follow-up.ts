/**
 * After acknowledgement (issue 13 item 5). An acknowledged alert that is
 * neither dispatched nor resolved N minutes (per severity) after its holder
 * took it is flagged `stalled: holder` — the holder's console sounds again —
 * and after another N minutes `stalled: supervisor`, which sounds on the
 * supervisors' consoles. A dispatched responder not on scene within the
 * severity's target is flagged late. Like escalation.ts, every deadline is
 * derived from journal times (`heldSince`, the responder's `addedAt`) and the
 * timers are rebuilt at start, so a restart neither resets nor forgets them.
 * In a cluster only the owner of the alert's home keeps these deadlines
 * (issue 12 step 3): a partition gained is rebuilt the same way, one lost
 * has its timers dropped.
 */
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import type { Alert, Responder } from './alert.js';
import type { AlertStore } from './alert-store.js';
import type { FollowUpTimes } from '../config/follow-up-times.js';
import { HomeTimers, type HomeFilter } from './home-timers.js';

const MINUTE = 60_000;
const WAITING: ReadonlySet<Responder['state']> = new Set(['notified', 'accepted']);

export class FollowUp {
  /** `alertId` → the stall timer; `alertId/responderId` → that responder's on-scene timer. */
  private readonly timers: HomeTimers;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly store: AlertStore,
    private readonly bus: EventBus<HubEvents>,
    private readonly clock: Clock,
    private readonly times: FollowUpTimes,
    private readonly ownership: PartitionOwnership = OWNS_EVERYTHING,
  ) {
    this.timers = new HomeTimers(clock, ownership);
  }

  start(): void {
    this.armUnresolved((homeId) => this.ownership.owns(homeId));
    this.unsubscribe.push(
      this.bus.on('alert.updated', (alert) => {
        if (this.ownership.owns(alert.homeId)) this.schedule(alert);
      }),
      this.timers.follow((homes) => this.armUnresolved(homes)),
    );
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.timers.clearAll();
  }

  /** Arms the deadlines of these homes' unresolved alerts from their journal times. */
  private armUnresolved(homes: HomeFilter): void {
    for (const alert of this.store.list({ unresolved: true })) if (homes(alert.homeId)) this.schedule(alert);
  }

  /** Re-arms every deadline of one alert from its current state. */
  private schedule(alert: Alert): void {
    this.timers.clearAlert(alert.id);
    if (alert.status === 'resolved') return;
    const stallDue = this.stallDue(alert);
    if (stallDue !== undefined) this.timers.arm(alert.id, alert.homeId, stallDue, () => this.fireStall(alert.id));
    const target = this.times.onScene[alert.severity];
    if (target === null) return;
    for (const r of alert.responders) {
      if (r.late || !WAITING.has(r.state)) continue;
      this.timers.arm(`${alert.id}/${r.id}`, alert.homeId, Date.parse(r.addedAt) + target * MINUTE, () => this.fireLate(alert.id, r.id));
    }
  }

  /** The next stall deadline: one follow-up period after the claim, then a second one. */
  private stallDue(alert: Alert): number | undefined {
    const minutes = this.times.followUp[alert.severity];
    if (alert.status !== 'acknowledged' || !alert.heldSince || minutes === null || alert.flags.stalled === 'supervisor') return undefined;
    const periods = alert.flags.stalled === 'holder' ? 2 : 1;
    return Date.parse(alert.heldSince) + periods * minutes * MINUTE;
  }

  /** Runs only while this node owns the alert's home (HomeTimers), as does fireLate. */
  private fireStall(alertId: string): void {
    const alert = this.store.get(alertId);
    const minutes = alert && this.times.followUp[alert.severity];
    if (!alert || alert.status !== 'acknowledged' || !alert.heldSince || !minutes) return;
    const held = this.clock.now() - Date.parse(alert.heldSince);
    const holder = alert.acknowledgedBy;
    // A hub that was down past both deadlines catches up with both lines at once.
    if (!alert.flags.stalled) this.store.record('alert.stalled', { alertId, stage: 'holder', holder });
    if (held >= 2 * minutes * MINUTE) this.store.record('alert.stalled', { alertId, stage: 'supervisor', holder });
    this.schedule(alert);
  }

  private fireLate(alertId: string, responderId: string): void {
    const alert = this.store.get(alertId);
    const responder = alert?.responders.find((r) => r.id === responderId);
    if (!alert || alert.status === 'resolved' || !responder || responder.late || !WAITING.has(responder.state)) return;
    this.store.record('alert.responder_late', { alertId, responderId });
  }
}
