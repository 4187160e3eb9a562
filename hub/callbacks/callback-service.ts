/**
 * What happens to call-backs (issue 13 item 6): alerts that owe one get it
 * (live from the bus, and again at start for any the hub missed while it was
 * stopping), operators log each call's outcome, wellbeing plans schedule
 * their next call when the last one is done, and a call that finds the
 * resident needing help raises an alert for the operators. In a cluster only
 * the owner of the alert's home writes its call-back (issue 12 step 3): a
 * node that gains a partition catches up on its homes as a start does.
 */
import { randomUUID } from 'node:crypto';
import type { Alert, Severity } from '../alerts/alert.js';
import type { AlertStore } from '../alerts/alert-store.js';
import { followOwnership, type HomeFilter } from '../alerts/home-timers.js';
import type { EventBus } from '../core/event-bus.js';
import { conflict, notFound } from '../core/errors.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import type { HomeRecord } from '../registry/records.js';
import { localTime } from '../rules/time-of-day.js';
import { callbackOwed, DEFAULT_RETRY_MS, type CallbackOutcome, type CallbackReason, type CallbackRecord, type WellbeingPlan } from './callback.js';
import type { CallbackStore } from './callback-store.js';

const DAY_MS = 24 * 3_600_000;
/** At start, alerts changed this recently are checked for a call-back the hub may have missed. */
const CATCH_UP_MS = 7 * DAY_MS;
/** The alert a worrying call raises for the operators. */
export const CALLBACK_ALERT_KIND = 'callback_needs_help';
const CALLBACK_ALERT_SEVERITY: Severity = 'medium';

export interface CallbackServiceDeps {
  store: CallbackStore;
  alerts: Pick<AlertStore, 'list'>;
  bus: EventBus<HubEvents>;
  homes: { getHome(id: string): HomeRecord | undefined };
  intake: { raiseByPerson(input: { homeId: string; kind: string; severity: Severity; title: string; details?: Record<string, unknown> }, actor: string, at: string): Promise<Alert> };
  now: () => number;
  timezone: string;
  log: Logger;
  /** The homes this node acts for; a hub alone owns them all. */
  ownership?: PartitionOwnership | undefined;
}

export interface NewCallback {
  homeId: string;
  dueAt: string;
  note?: string | undefined;
}

export interface NewPlan {
  homeId: string;
  everyDays: number;
  firstDueAt: string;
  note?: string | undefined;
}

export class CallbackService {
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: CallbackServiceDeps) {}

  private get ownership(): PartitionOwnership {
    return this.deps.ownership ?? OWNS_EVERYTHING;
  }

  start(): void {
    this.catchUp((homeId) => this.ownership.owns(homeId));
    // Call-backs are records, not timers: a partition lost leaves nothing to cancel, only to stop writing.
    this.unsubscribe.push(
      this.deps.bus.on('alert.transition', ({ alert }) => void this.ensureFor(alert)),
      followOwnership(this.ownership, (homes) => this.catchUp(homes)),
    );
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** Pending call-backs due before the end of today in the hub's zone, overdue first: the operator's agenda. */
  agenda(): CallbackRecord[] {
    return this.deps.store.list({ status: 'pending', dueBefore: new Date(this.endOfToday()).toISOString() });
  }

  /** An operator's own call-back ("call her again tomorrow at ten"). */
  async schedule(input: NewCallback, actor: string): Promise<CallbackRecord> {
    const home = this.requireHome(input.homeId);
    return this.add({ home, reason: 'manual', dueAt: Date.parse(input.dueAt), note: input.note, actor });
  }

  /**
   * Logs one call. `no_answer` keeps it pending, due again at `retryAt` (default
   * in 30 min); any other outcome completes it. A plan's call schedules the
   * plan's next one; `needs_help` raises an alert so someone acts on it now.
   */
  async log(callbackId: string, actor: string, outcome: CallbackOutcome, note?: string, retryAt?: string): Promise<CallbackRecord> {
    const cb = this.deps.store.get(callbackId);
    if (!cb) throw notFound('call-back', callbackId);
    if (cb.status !== 'pending') throw conflict(`call-back ${callbackId} is already ${cb.status}`);
    const now = this.deps.now();
    const retry = outcome === 'no_answer' ? new Date(retryAt ? Date.parse(retryAt) : now + DEFAULT_RETRY_MS).toISOString() : undefined;
    await this.deps.store.record('callback.logged', { callbackId, actor, outcome, note, retryAt: retry });
    if (outcome === 'needs_help') await this.raiseConcern(cb, actor, note);
    const plan = cb.planId ? this.deps.store.plan(cb.planId) : undefined;
    if (plan && !plan.endedAt && outcome !== 'no_answer') await this.scheduleNext(plan, cb);
    return structuredClone(this.deps.store.get(callbackId)!);
  }

  async setPlan(input: NewPlan, actor: string): Promise<WellbeingPlan> {
    const home = this.requireHome(input.homeId);
    const plan: WellbeingPlan = {
      id: `wbp-${randomUUID().slice(0, 8)}`,
      homeId: home.id,
      residentId: home.residentId,
      everyDays: input.everyDays,
      firstDueAt: new Date(input.firstDueAt).toISOString(),
      note: input.note,
      createdAt: new Date(this.deps.now()).toISOString(),
      createdBy: actor,
    };
    await this.deps.store.record('wellbeing.plan_set', { plan });
    await this.add({ home, reason: 'wellbeing', dueAt: Date.parse(plan.firstDueAt), note: plan.note, actor, planId: plan.id });
    return plan;
  }

  /** Ends a plan and cancels its pending call. */
  async endPlan(planId: string, actor: string): Promise<void> {
    const plan = this.deps.store.plan(planId);
    if (!plan || plan.endedAt) throw notFound('wellbeing plan', planId);
    await this.deps.store.record('wellbeing.plan_ended', { planId, actor });
    for (const cb of this.deps.store.list({ status: 'pending', homeId: plan.homeId })) {
      if (cb.planId === planId) await this.deps.store.record('callback.cancelled', { callbackId: cb.id, actor, note: 'wellbeing plan ended' });
    }
  }

  /** The call-backs these homes' recent alerts owe and may not have got (the hub was stopping, or nobody owned the home). */
  private catchUp(homes: HomeFilter): void {
    const since = new Date(this.deps.now() - CATCH_UP_MS).toISOString();
    for (const alert of this.deps.alerts.list()) if (alert.updatedAt >= since && homes(alert.homeId)) void this.ensureFor(alert);
  }

  /** One call-back per alert that owes one; a second transition of the same alert adds nothing. */
  private async ensureFor(alert: Alert): Promise<void> {
    // Only the home's owner writes its call-back; the journal's fence would refuse anyone else's line.
    if (!this.ownership.owns(alert.homeId)) return;
    const owed = callbackOwed(alert);
    if (!owed || this.deps.store.forAlert(alert.id)) return;
    const home = this.deps.homes.getHome(alert.homeId);
    if (!home) return;
    try {
      // A couple: the call-back is to the resident the alert named (issue 13 item 12).
      await this.add({ home, reason: owed.reason, dueAt: owed.dueAt, actor: 'system', alertId: alert.id, residentId: alert.residentId });
    } catch (err) {
      this.deps.log.error({ err, alertId: alert.id }, 'call-back not scheduled');
    }
  }

  /** The plan's next call: every N days after the last due time, and never in the past. */
  private async scheduleNext(plan: WellbeingPlan, last: CallbackRecord): Promise<void> {
    const home = this.deps.homes.getHome(plan.homeId);
    if (!home) return;
    const step = plan.everyDays * DAY_MS;
    let due = Date.parse(last.firstDueAt) + step;
    while (due <= this.deps.now()) due += step;
    await this.add({ home, reason: 'wellbeing', dueAt: due, note: plan.note, actor: 'system', planId: plan.id });
  }

  private async add(input: { home: HomeRecord; reason: CallbackReason; dueAt: number; note?: string | undefined; actor: string; alertId?: string; planId?: string; residentId?: string | undefined }): Promise<CallbackRecord> {
    const due = new Date(input.dueAt).toISOString();
    const callback: CallbackRecord = {
      id: `cb-${randomUUID().slice(0, 8)}`,
      homeId: input.home.id,
      residentId: input.residentId ?? input.home.residentId,
      reason: input.reason,
      alertId: input.alertId,
      planId: input.planId,
      dueAt: due,
      firstDueAt: due,
      note: input.note,
      status: 'pending',
      createdAt: new Date(this.deps.now()).toISOString(),
      createdBy: input.actor,
      attempts: [],
    };
    await this.deps.store.record('callback.scheduled', { callback });
    return callback;
  }

  private async raiseConcern(cb: CallbackRecord, actor: string, note: string | undefined): Promise<void> {
    const at = new Date(this.deps.now()).toISOString();
    const title = `Call-back: the resident needs help${note ? ` — ${note.slice(0, 120)}` : ''}`;
    await this.deps.intake.raiseByPerson({ homeId: cb.homeId, kind: CALLBACK_ALERT_KIND, severity: CALLBACK_ALERT_SEVERITY, title, details: { callbackId: cb.id, note } }, actor, at);
  }

  private requireHome(homeId: string): HomeRecord {
    const home = this.deps.homes.getHome(homeId);
    if (!home) throw notFound('home', homeId);
    return home;
  }

  /** The first instant of tomorrow in the hub's zone (a DST change today shifts it by that hour, which is harmless here). */
  private endOfToday(): number {
    const now = this.deps.now();
    return now + Math.round((1440 - localTime(now, this.deps.timezone).minuteOfDay) * 60_000);
  }
}
