/**
 * Call-backs and wellbeing plans as journal lines (no file of their own): each
 * change is one line, applied to memory at once and replayed at start, so a
 * restart keeps every due call and every plan (DESIGN.md §6). The lines are
 * audited like alert lines: the line itself is the record.
 */
import type { Logger } from '../core/logger.js';
import type { AuditSink, JournalWriter } from '../alerts/alert-store.js';
import type { JournalEntry } from '../storage/journal-format.js';
import type { CallbackOutcome, CallbackRecord, WellbeingPlan } from './callback.js';

export interface CallbackRecordData {
  'callback.scheduled': { callback: CallbackRecord };
  'callback.logged': { callbackId: string; actor: string; outcome: CallbackOutcome; note?: string | undefined; retryAt?: string | undefined };
  'callback.cancelled': { callbackId: string; actor: string; note?: string | undefined };
  'wellbeing.plan_set': { plan: WellbeingPlan };
  'wellbeing.plan_ended': { planId: string; actor: string };
}
export type CallbackRecordType = keyof CallbackRecordData;

const TYPES = new Set<string>(['callback.scheduled', 'callback.logged', 'callback.cancelled', 'wellbeing.plan_set', 'wellbeing.plan_ended'] satisfies CallbackRecordType[]);

export interface CallbackFilter {
  status?: CallbackRecord['status'] | undefined;
  homeId?: string | undefined;
  /** dueAt < before (ISO strings compare in time order). */
  dueBefore?: string | undefined;
}

export class CallbackStore {
  private readonly callbacks = new Map<string, CallbackRecord>();
  private readonly byAlert = new Map<string, string>();
  private readonly plans = new Map<string, WellbeingPlan>();

  constructor(
    private readonly journal: JournalWriter,
    private readonly audit: AuditSink,
    private readonly log: Logger,
  ) {}

  replay({ at, type, data }: JournalEntry): void {
    if (TYPES.has(type)) this.apply(at, type as CallbackRecordType, data as never);
  }

  /** Appends one line and applies it; resolves once it is on disk. */
  async record<T extends CallbackRecordType>(type: T, data: CallbackRecordData[T]): Promise<void> {
    const { entry, durable } = this.journal.append(type, data, this.homeOf(type, data));
    this.apply(entry.at, type, data);
    await durable.catch((err: unknown) => {
      this.log.error({ err, type }, 'call-back change not stored: journal write failed');
      throw err;
    });
  }

  /** The home a line belongs to: its call-back's or plan's (the journal's partition). */
  private homeOf<T extends CallbackRecordType>(type: T, raw: CallbackRecordData[T]): string | undefined {
    const d = raw as Partial<CallbackRecordData['callback.scheduled'] & CallbackRecordData['callback.logged'] & CallbackRecordData['wellbeing.plan_set'] & CallbackRecordData['wellbeing.plan_ended']>;
    if (type === 'callback.scheduled') return d.callback?.homeId;
    if (type === 'wellbeing.plan_set') return d.plan?.homeId;
    if (type === 'wellbeing.plan_ended') return d.planId === undefined ? undefined : this.plans.get(d.planId)?.homeId;
    return d.callbackId === undefined ? undefined : this.callbacks.get(d.callbackId)?.homeId;
  }

  get(id: string): CallbackRecord | undefined {
    return this.callbacks.get(id);
  }

  forAlert(alertId: string): CallbackRecord | undefined {
    const id = this.byAlert.get(alertId);
    return id === undefined ? undefined : this.callbacks.get(id);
  }

  /** Soonest due first. */
  list(filter: CallbackFilter = {}): CallbackRecord[] {
    return [...this.callbacks.values()]
      .filter((cb) => (!filter.status || cb.status === filter.status) && (!filter.homeId || cb.homeId === filter.homeId) && (!filter.dueBefore || cb.dueAt < filter.dueBefore))
      .sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.id.localeCompare(b.id));
  }

  plan(id: string): WellbeingPlan | undefined {
    return this.plans.get(id);
  }

  listPlans(homeId?: string): WellbeingPlan[] {
    return [...this.plans.values()].filter((p) => !p.endedAt && (!homeId || p.homeId === homeId)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  private apply<T extends CallbackRecordType>(at: string, type: T, raw: CallbackRecordData[T]): void {
    const target = this.change(at, type, raw);
    if (target) this.audit.noteJournaled(at, type, actorOf(raw), target.id, { homeId: target.homeId });
  }

  /** Mutates memory for one line; returns what it changed (for the audit). */
  private change(at: string, type: CallbackRecordType, raw: unknown): { id: string; homeId: string } | undefined {
    switch (type) {
      case 'callback.scheduled': {
        const cb = structuredClone((raw as CallbackRecordData['callback.scheduled']).callback);
        this.callbacks.set(cb.id, cb);
        if (cb.alertId) this.byAlert.set(cb.alertId, cb.id);
        return cb;
      }
      case 'callback.logged': {
        const d = raw as CallbackRecordData['callback.logged'];
        const cb = this.callbacks.get(d.callbackId);
        if (!cb) return undefined;
        cb.attempts.push({ at, actor: d.actor, outcome: d.outcome, note: d.note });
        if (d.outcome === 'no_answer' && d.retryAt) cb.dueAt = d.retryAt;
        if (d.outcome !== 'no_answer') Object.assign(cb, { status: 'done', completedAt: at, completedBy: d.actor, outcome: d.outcome });
        return cb;
      }
      case 'callback.cancelled': {
        const cb = this.callbacks.get((raw as CallbackRecordData['callback.cancelled']).callbackId);
        if (cb) cb.status = 'cancelled';
        return cb;
      }
      case 'wellbeing.plan_set': {
        const plan = structuredClone((raw as CallbackRecordData['wellbeing.plan_set']).plan);
        this.plans.set(plan.id, plan);
        return plan;
      }
      case 'wellbeing.plan_ended': {
        const d = raw as CallbackRecordData['wellbeing.plan_ended'];
        const plan = this.plans.get(d.planId);
        if (plan) Object.assign(plan, { endedAt: at, endedBy: d.actor });
        return plan;
      }
    }
  }
}

function actorOf(data: unknown): string {
  const d = data as { actor?: unknown; callback?: { createdBy?: string }; plan?: { createdBy?: string } };
  return typeof d.actor === 'string' ? d.actor : (d.callback?.createdBy ?? d.plan?.createdBy ?? 'system');
}
