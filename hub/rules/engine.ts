/**
 * Runs the catalogue's rules over device signals, presence changes and the
 * wake-ups rules ask for. Rules are indexed by (device kind, event type) so a
 * message meets only the rules that care. Each rule runs isolated: one that
 * throws is logged and counted and the others still run (DESIGN.md §2). The
 * engine owns each rule's state and its one timer per home — per resident for
 * rules about a person, so each of a couple is judged against their own
 * thresholds (issue 13 item 12).
 *
 * In a cluster only the owner of a home's partition runs its rules (issue 12
 * step 3, docs/CLUSTER.md "Step 3, service by service"): a message, a
 * presence change or a wake-up for a home this node does not own changes no
 * state and raises nothing; a partition lost drops its homes' states and
 * wake-ups (the new owner restores them from the checkpoint); a partition
 * gained restores the previous owner's slice when the hand-over has one.
 */
import type { AlertDraft, AlertTrigger } from '../alerts/alert.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { DeviceSignal, DeviceStatusChange, HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { NotOwnedHereError, OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import { partitionOfHome } from '../core/partitions.js';
import { rejected } from '../core/rejected.js';
import { PERSONAL_DEVICE_KINDS, type DeviceRecord, type HomeRecord, type ResidentRecord } from '../registry/records.js';
import type { z } from 'zod';
import type { AnyRule, RuleInput, RuleOutcome } from './define-rule.js';

export interface RulesEngineDeps {
  rules: readonly AnyRule[];
  bus: EventBus<HubEvents>;
  registry: {
    getHome(id: string): HomeRecord | undefined;
    getResident(id: string): ResidentRecord | undefined;
    getDevice(id: string): DeviceRecord | undefined;
    /** The home's residents' ids, its first resident first. */
    residentIds(homeId: string): readonly string[];
  };
  /** Returns the durability of what the draft wrote, if anything (the PUBACK of the triggering message waits for it). */
  alerts: { submit(draft: AlertDraft, trigger: AlertTrigger): Promise<unknown> | undefined };
  clock: Clock;
  timezone: string;
  log: Logger;
  /** Which homes this node runs rules for; default: every home (a hub alone, the leader). */
  ownership?: PartitionOwnership;
  /**
   * The previous owner's rule state of partitions just gained, read by
   * whoever took their leases BEFORE it called `gain` (the listener cannot
   * wait for a database); undefined: those homes start with no state.
   */
  handOver?: (partitions: readonly number[]) => RulesSnapshot | undefined;
}

const TELEMETRY = '#telemetry';

export interface RulesSnapshot {
  savedAt: number;
  /** `ruleId|homeId` (or `ruleId|homeId|residentId` for a couple's second resident) → the rule's state */
  states: Record<string, unknown>;
  /** same keys → when the rule asked to be woken */
  wakeAts: Record<string, number>;
}
/**
 * A home's first resident keeps the plain home key, so snapshots and state of
 * single-resident homes are the same as before couples existed.
 */
const key = (ruleId: string, homeId: string, residentId?: string) => (residentId === undefined ? `${ruleId}|${homeId}` : `${ruleId}|${homeId}|${residentId}`);

/** The home a state or wake-up key is about (the second part of `ruleId|homeId[|residentId]`). */
export function homeOfRuleKey(k: string): string | undefined {
  return k.split('|')[1];
}

/** A key's home is in `partitions` (every key when there is no such set). */
const inPartitions = (k: string, partitions: ReadonlySet<number> | undefined): boolean => {
  if (partitions === undefined) return true;
  const homeId = homeOfRuleKey(k);
  return homeId !== undefined && partitions.has(partitionOfHome(homeId));
};

export class RulesEngine {
  private readonly signalIndex = new Map<string, AnyRule[]>();
  private readonly presenceIndex = new Map<string, AnyRule[]>();
  private readonly states = new Map<string, unknown>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly wakeAts = new Map<string, number>();
  readonly errors = new Map<string, number>();
  /** Per rule, alert changes it proposed that could not be written (see `submit`). */
  readonly notRecorded = new Map<string, number>();
  private unsubscribe: (() => void)[] = [];
  private readonly ownership: PartitionOwnership;

  constructor(private readonly deps: RulesEngineDeps) {
    this.ownership = deps.ownership ?? OWNS_EVERYTHING;
  }

  start(): void {
    for (const rule of this.deps.rules) {
      const keys = [...(rule.on.events ?? []), ...(rule.on.telemetry ? [TELEMETRY] : [])];
      for (const kind of rule.on.deviceKinds) {
        for (const k of keys) push(this.signalIndex, `${kind}:${k}`, rule);
        if (rule.on.presence) push(this.presenceIndex, kind, rule);
      }
    }
    this.unsubscribe = [
      this.deps.bus.on('device.signal', (signal) => this.handleSignal(signal)),
      this.deps.bus.on('device.status', (change) => this.handlePresence(change)),
      this.ownership.onGained((gained) => {
        const snapshot = this.deps.handOver?.(gained);
        if (snapshot) this.restore(snapshot, gained);
      }),
      this.ownership.onLost((lost) => this.dropPartitions(lost)),
    ];
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const handle of this.timers.values()) this.deps.clock.clearTimeout(handle);
    this.timers.clear();
    this.wakeAts.clear();
    this.signalIndex.clear();
    this.presenceIndex.clear();
  }

  handleSignal(signal: DeviceSignal): void {
    if (!this.ownership.owns(signal.homeId)) return;
    const rules = this.signalIndex.get(`${signal.deviceKind}:${signal.channel === 'event' ? signal.type : TELEMETRY}`);
    if (!rules) return;
    const trigger: AlertTrigger = {
      deviceId: signal.deviceId,
      eventType: signal.channel === 'event' ? signal.type : 'telemetry',
      at: new Date(signal.receivedAt).toISOString(),
      seq: signal.payload.seq,
      ts: signal.payload.ts,
    };
    for (const rule of rules) this.runFor(rule, signal.homeId, signal.deviceId, { type: 'signal', signal }, trigger, signal.writes);
  }

  handlePresence(change: DeviceStatusChange): void {
    if (!this.ownership.owns(change.homeId)) return;
    const device = this.deps.registry.getDevice(change.deviceId);
    const rules = device && this.presenceIndex.get(device.kind);
    if (!rules) return;
    const trigger: AlertTrigger = { deviceId: change.deviceId, eventType: change.online ? 'online' : 'offline', at: new Date(change.at).toISOString() };
    for (const rule of rules) this.runFor(rule, change.homeId, device.id, { type: 'presence', change, deviceKind: device.kind }, trigger);
  }

  /** A home rule once; a per-resident rule for the device's wearer, or for each resident when the device is the home's. */
  private runFor(rule: AnyRule, homeId: string, deviceId: string, input: RuleInput, trigger: AlertTrigger, writes?: Promise<unknown>[]): void {
    if (!rule.perResident) return this.run(rule, homeId, undefined, input, trigger, writes);
    const residents = residentsJudged(this.deps.registry.getDevice(deviceId), this.deps.registry.residentIds(homeId));
    if (residents.length === 0) return this.run(rule, homeId, undefined, input, trigger, writes);
    for (const residentId of residents) this.run(rule, homeId, residentId, input, trigger, writes);
  }

  /**
   * Everything the rules remember, for a planned restart or a checkpoint (rule
   * states are plain JSON); with `partitions`, only their homes' (an owner
   * saves its own).
   */
  snapshot(savedAt: number, partitions?: Iterable<number>): RulesSnapshot {
    const wanted = partitions === undefined ? undefined : new Set(partitions);
    const pick = <V>(entries: Map<string, V>) => Object.fromEntries([...entries].filter(([k]) => inPartitions(k, wanted)));
    return { savedAt, states: pick(this.states), wakeAts: pick(this.wakeAts) };
  }

  /**
   * Restores a snapshot taken by the previous run (or owner); overdue
   * wake-ups fire at once. Call after start(). Only homes this node owns are
   * restored, and with `partitions` only those partitions' homes (a new
   * owner restores what it gained, and keeps what it already ran).
   */
  restore(snapshot: RulesSnapshot, partitions?: Iterable<number>): void {
    const wanted = partitions === undefined ? undefined : new Set(partitions);
    const ours = (k: string) => {
      const homeId = homeOfRuleKey(k);
      return homeId !== undefined && this.ownership.owns(homeId) && inPartitions(k, wanted);
    };
    const byId = new Map(this.deps.rules.map((r) => [r.id, r]));
    for (const [k, state] of Object.entries(snapshot.states)) if (byId.has(k.split('|')[0]!) && ours(k)) this.states.set(k, state);
    for (const [k, at] of Object.entries(snapshot.wakeAts)) {
      if (!ours(k)) continue;
      const [ruleId, homeId, residentId] = k.split('|');
      const rule = ruleId && byId.get(ruleId);
      const home = homeId === undefined ? undefined : this.deps.registry.getHome(homeId);
      if (rule && home) this.schedule(rule, home.id, residentId ?? (rule.perResident ? home.residentId : undefined), at);
    }
  }

  /** Forgets the states and cancels the wake-ups of these partitions' homes (lost to another node, which restores them). */
  dropPartitions(partitions: Iterable<number>): void {
    const lost = new Set(partitions);
    for (const k of [...this.states.keys()]) if (inPartitions(k, lost)) this.states.delete(k);
    for (const [k, handle] of [...this.timers]) {
      if (!inPartitions(k, lost)) continue;
      this.deps.clock.clearTimeout(handle);
      this.timers.delete(k);
    }
    for (const k of [...this.wakeAts.keys()]) if (inPartitions(k, lost)) this.wakeAts.delete(k);
  }

  /** A rule's remembered state for a home, or for one of its residents (tests and diagnostics). */
  stateOf(ruleId: string, homeId: string, residentId?: string): unknown {
    const home = this.deps.registry.getHome(homeId);
    return this.states.get(key(ruleId, homeId, residentId === home?.residentId ? undefined : residentId));
  }

  /** `residentId` only for per-resident rules; a home rule sees the resident only when the home has just one. */
  private run(rule: AnyRule, homeId: string, residentId: string | undefined, input: RuleInput, trigger: AlertTrigger | undefined, writes?: Promise<unknown>[]): void {
    // Another node's home (a wake-up armed before a loss not yet heard): its owner runs it.
    if (!this.ownership.owns(homeId)) return;
    const home = this.deps.registry.getHome(homeId);
    if (!home) return;
    const resident = residentSeen(this.deps.registry, home, residentId);
    const now = this.deps.clock.now();
    const k = key(rule.id, homeId, residentId === home.residentId ? undefined : residentId);
    let outcome: RuleOutcome<unknown> | null;
    try {
      outcome = rule.evaluate({ input, home, resident, now, timezone: this.deps.timezone, params: this.paramsFor(rule, home, resident), state: this.states.get(k) });
    } catch (err) {
      this.errors.set(rule.id, (this.errors.get(rule.id) ?? 0) + 1);
      this.deps.log.error({ err, rule: rule.id, homeId }, 'rule failed; other rules still ran');
      return;
    }
    if (!outcome) return;
    if (Object.hasOwn(outcome, 'state')) {
      if (outcome.state === undefined) this.states.delete(k);
      else this.states.set(k, outcome.state);
    }
    if (outcome.wakeAt !== undefined) this.schedule(rule, homeId, residentId, outcome.wakeAt);
    for (const proposed of outcome.drafts ?? []) {
      // The alert names whom it is about: the resident this run was for.
      const draft = residentId !== undefined && proposed.residentId === undefined ? { ...proposed, residentId } : proposed;
      const durable = this.submit(rule, draft, trigger ?? { deviceId: draft.deviceId, eventType: `timer:${rule.id}`, at: new Date(now).toISOString() });
      if (durable) writes?.push(durable);
    }
  }

  /**
   * A draft to the alerts. Writing it can throw: a cluster node whose lease on
   * the home's partition ran out a moment ago refuses the line at append
   * (hub/storage/postgres/journal-batch-commit.ts `notHeldHere`) before it
   * has heard of the loss. Thrown, that failure would be lost on the bus
   * (listeners are isolated), and the device's alarm acknowledged with
   * nothing written; in a wake-up it would stop the process. It becomes the
   * write's rejection instead: the triggering message gets no PUBACK and its
   * device sends it again (to the home's owner by then), and a wake-up's is
   * logged (the owner re-arms the rule from its checkpoint).
   */
  private submit(rule: AnyRule, draft: AlertDraft, trigger: AlertTrigger): Promise<unknown> | undefined {
    try {
      return this.deps.alerts.submit(draft, trigger);
    } catch (err) {
      this.notRecorded.set(rule.id, (this.notRecorded.get(rule.id) ?? 0) + 1);
      const context = { err, rule: rule.id, homeId: draft.homeId, kind: draft.kind, trigger: trigger.eventType };
      // A lease that ran out is expected in a failover; anything else is a fault to look at.
      if (err instanceof NotOwnedHereError) this.deps.log.warn(context, 'alert change not recorded: another node acts for the home now; its trigger is not acknowledged');
      else this.deps.log.error(context, 'alert change not recorded; its trigger is not acknowledged');
      return rejected(err); // a wake-up has nobody waiting on it
    }
  }

  private schedule(rule: AnyRule, homeId: string, residentId: string | undefined, wakeAt: number | null): void {
    const k = key(rule.id, homeId, residentId === this.deps.registry.getHome(homeId)?.residentId ? undefined : residentId);
    const existing = this.timers.get(k);
    if (existing !== undefined) this.deps.clock.clearTimeout(existing);
    this.timers.delete(k);
    this.wakeAts.delete(k);
    if (wakeAt === null) return;
    const handle = this.deps.clock.setTimeout(() => {
      this.timers.delete(k);
      this.wakeAts.delete(k);
      this.run(rule, homeId, residentId, { type: 'timer' }, undefined);
    }, Math.max(0, wakeAt - this.deps.clock.now()));
    this.timers.set(k, handle);
    this.wakeAts.set(k, wakeAt);
  }

  /** A bad stored override falls back to the defaults, logged. */
  private paramsFor(rule: AnyRule, home: HomeRecord, resident: ResidentRecord | undefined): Record<string, unknown> {
    const parsed = storedParams(rule, home, resident);
    if (parsed.success) return parsed.data;
    this.deps.log.error({ rule: rule.id, homeId: home.id, issues: parsed.error.issues }, 'stored rule settings invalid; using defaults');
    return rule.params.parse({});
  }
}

/**
 * Whom a per-resident rule judges a device's message for: its wearer; a
 * bracelet nobody was given yet (just moved in) is taken as the first
 * resident's (one SOS, one alert); a home's device, for each resident.
 */
export function residentsJudged(device: DeviceRecord | undefined, household: readonly string[]): readonly string[] {
  if (device?.residentId !== undefined) return [device.residentId];
  return device && PERSONAL_DEVICE_KINDS.includes(device.kind) ? household.slice(0, 1) : household;
}

/** The resident a rule run sees: the one judged, or for a home rule the resident of a home of one. */
export function residentSeen(registry: Pick<RulesEngineDeps['registry'], 'getResident' | 'residentIds'>, home: HomeRecord, residentId: string | undefined): ResidentRecord | undefined {
  return registry.getResident(residentId ?? (registry.residentIds(home.id).length <= 1 ? home.residentId : ''));
}

/** One rule's parsed params for one home record and resident record (or none). */
interface ParsedParams {
  rule: object;
  result: z.ZodSafeParseResult<unknown>;
}

/**
 * Parsed params by home record, then resident record (or `NO_RESIDENT`), then
 * rule id. The registry never changes a record, it replaces it, so one parse
 * serves every run until then, and a replaced record's entries go with it
 * (weak keys). Every rule run parsed them again: a spread and a zod parse per
 * rule per message, ~8 % of what a loaded hub allocated (docs/PERFORMANCE.md).
 */
const parsedParams = new WeakMap<HomeRecord, WeakMap<object, Map<string, ParsedParams>>>();
const NO_RESIDENT = {};

/**
 * A rule's params: defaults, then the home's overrides, then the resident's.
 * The result is shared by every caller until a record changes: read it, do not change it.
 */
export function storedParams<P extends z.ZodObject>(rule: { id: string; params: P }, home: HomeRecord, resident: ResidentRecord | undefined): z.ZodSafeParseResult<z.output<P>> {
  let byResident = parsedParams.get(home);
  if (!byResident) parsedParams.set(home, (byResident = new WeakMap()));
  let byRule = byResident.get(resident ?? NO_RESIDENT);
  if (!byRule) byResident.set(resident ?? NO_RESIDENT, (byRule = new Map()));
  const cached = byRule.get(rule.id);
  if (cached?.rule === rule) return cached.result as z.ZodSafeParseResult<z.output<P>>;
  const result = rule.params.safeParse({ ...home.ruleSettings?.[rule.id], ...resident?.ruleSettings?.[rule.id] });
  byRule.set(rule.id, { rule, result });
  return result;
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}
