/**
 * Drives one rule the way the engine does, with plain values: threads the
 * rule's `state` and `wakeAt` from call to call, and delivers the wake-up
 * (`{type: 'timer'}` at `wakeAt`) when time passes it — so a rule test is a
 * short list of (time, input) steps and the drafts they produced.
 */
import type { z } from 'zod';
import type { AlertDraft } from '../../hub/alerts/alert.js';
import type { DeviceStatusChange } from '../../hub/core/hub-events.js';
import type { Rule, RuleInput } from '../../hub/rules/define-rule.js';
import type { HomeRecord, ResidentRecord } from '../../hub/registry/records.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** An instant from an ISO string with its offset: `at('2026-01-15T23:00+08:00')`. */
export function at(iso: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad instant ${iso}`);
  return t;
}

export function home(overrides: Partial<HomeRecord> = {}): HomeRecord {
  return { id: 'home-1', name: 'Flat 3', address: '1 Test Road', status: 'live', residentId: 'res-1', createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', ...overrides };
}

export function resident(overrides: Partial<ResidentRecord> = {}): ResidentRecord {
  return {
    id: 'res-1',
    homeId: 'home-1',
    name: 'Wang Fang',
    birthYear: 1940,
    conditions: [],
    specialHardship: false,
    contacts: [],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

const DEFAULT_IDS: Record<string, string> = { bracelet: 'brc-1', gas_alarm: 'gas-1', smoke_sensor: 'smk-1', door_sensor: 'dor-1' };
const idFor = (kind: string) => DEFAULT_IDS[kind] ?? `${kind}-1`;

/** A device event; `receivedAt` is set when the harness delivers it. */
export function event(deviceKind: string, type: string, fields: Record<string, unknown> = {}, deviceId = idFor(deviceKind)): RuleInput {
  return { type: 'signal', signal: { channel: 'event', deviceId, deviceKind, homeId: 'home-1', receivedAt: 0, type, payload: { type, ...fields }, alarm: false } };
}

export function telemetry(deviceKind: string, fields: Record<string, unknown>, deviceId = idFor(deviceKind)): RuleInput {
  return { type: 'signal', signal: { channel: 'telemetry', deviceId, deviceKind, homeId: 'home-1', receivedAt: 0, payload: fields } };
}

export function presence(deviceKind: string, online: boolean, deviceId = idFor(deviceKind), reason: DeviceStatusChange['reason'] = 'watchdog'): RuleInput {
  return { type: 'presence', deviceKind, change: { deviceId, homeId: 'home-1', online, at: 0, reason } };
}

export const TIMER: RuleInput = { type: 'timer' };

export interface HarnessOptions<P extends z.ZodObject> {
  home?: HomeRecord;
  /** `null`: a home with no resident record. */
  resident?: ResidentRecord | null;
  timezone?: string;
  params?: Partial<z.input<P>>;
}

export class RuleHarness<P extends z.ZodObject, S> {
  state: S | undefined;
  wakeAt: number | undefined;
  /** Every draft so far, wake-ups included, with the time it was produced. */
  readonly log: { at: number; draft: AlertDraft }[] = [];
  home: HomeRecord;
  resident: ResidentRecord | undefined;
  readonly timezone: string;
  readonly params: z.infer<P>;

  constructor(
    readonly rule: Rule<P, S>,
    options: HarnessOptions<P> = {},
  ) {
    this.home = options.home ?? home();
    this.resident = options.resident === null ? undefined : (options.resident ?? resident());
    this.timezone = options.timezone ?? 'UTC';
    // Defaults merged with the overrides, as the engine does with ruleSettings.
    this.params = rule.params.parse(options.params ?? {});
  }

  /** Delivers `input` at `now`, after any wake-up due by then. Returns the drafts of this step. */
  send(now: number, input: RuleInput): AlertDraft[] {
    const drafts = this.advanceTo(now);
    return [...drafts, ...this.evaluate(now, stamp(input, now))];
  }

  /** Lets time pass to `now`, delivering the wake-up if it falls due (again, if the rule re-arms). */
  advanceTo(now: number): AlertDraft[] {
    const drafts: AlertDraft[] = [];
    for (let guard = 0; this.wakeAt !== undefined && this.wakeAt <= now; guard++) {
      if (guard > 1_000) throw new Error(`${this.rule.id}: wake-ups do not progress`);
      const due = this.wakeAt;
      this.wakeAt = undefined; // the engine forgets a timer once it has fired
      drafts.push(...this.evaluate(due, TIMER));
    }
    return drafts;
  }

  /** Delivers the pending wake-up at its time (fails if there is none). */
  wake(): AlertDraft[] {
    if (this.wakeAt === undefined) throw new Error(`${this.rule.id}: no wake-up pending`);
    return this.advanceTo(this.wakeAt);
  }

  private evaluate(now: number, input: RuleInput): AlertDraft[] {
    const outcome = this.rule.evaluate({ input, home: this.home, resident: this.resident, now, timezone: this.timezone, params: this.params, state: this.state });
    if (!outcome) return [];
    if (Object.hasOwn(outcome, 'state')) this.state = outcome.state;
    if (outcome.wakeAt !== undefined) this.wakeAt = outcome.wakeAt ?? undefined;
    const drafts = [...(outcome.drafts ?? [])];
    for (const draft of drafts) this.log.push({ at: now, draft });
    return drafts;
  }
}

function stamp(input: RuleInput, now: number): RuleInput {
  if (input.type === 'signal') return { ...input, signal: { ...input.signal, receivedAt: now } };
  if (input.type === 'presence') return { ...input, change: { ...input.change, at: now } };
  return input;
}

/** The parts of drafts a table row states: effect (raise when absent), severity, kind. */
export function brief(drafts: readonly AlertDraft[]): string[] {
  return drafts.map((d) => `${d.effect ?? 'raise'} ${d.severity} ${d.kind}`);
}

/** One step of a scenario: at this time, deliver this input — or, without one, only let time pass. */
export type Step = readonly [number, RuleInput?];

/**
 * Plays a scenario and returns every draft it produced, wake-ups included, in
 * order, as `"<effect> <severity> <kind> @<UTC time>"`, e.g.
 * `"raise medium inactivity @2026-01-15T20:00:00Z"`.
 */
export function play<P extends z.ZodObject, S>(harness: RuleHarness<P, S>, steps: readonly Step[]): string[] {
  const from = harness.log.length;
  for (const [now, input] of steps) {
    if (input) harness.send(now, input);
    else harness.advanceTo(now);
  }
  return harness.log.slice(from).map(({ at, draft }) => `${brief([draft])[0]} @${utc(at)}`);
}

/** `2026-01-15T20:00:00Z`. */
export function utc(t: number): string {
  return `${new Date(t).toISOString().slice(0, 19)}Z`;
}

/** A table row: a scenario and the drafts it must produce. */
export interface Scenario<P extends z.ZodObject> {
  name: string;
  options?: HarnessOptions<P>;
  steps: readonly Step[];
  expected: readonly string[];
}
