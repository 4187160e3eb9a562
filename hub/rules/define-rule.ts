/**
 * Rules are data: `defineRule({ id, severity, on, params, evaluate })`, one
 * file per rule in catalog/. `evaluate` is a pure function of what happened
 * (a device signal, a presence change, or the wake-up it asked for), the home
 * and resident, the clock reading, the parameters and the rule's own state for
 * that home. No I/O, no timers: a rule asks the engine to wake it at a time
 * (`wakeAt`) and keeps what it must remember in `state`, so every rule is
 * table-testable with plain values (DESIGN.md §2).
 */
import type { z } from 'zod';
import type { AlertDraft, Severity } from '../alerts/alert.js';
import type { DeviceSignal, DeviceStatusChange } from '../core/hub-events.js';
import type { HomeRecord, ResidentRecord } from '../registry/records.js';

export interface RuleTrigger {
  /** Device kinds whose signals (and presence changes) this rule sees. */
  deviceKinds: readonly string[];
  /** Event types it reacts to (on the `event` channel). */
  events?: readonly string[];
  /** Whether it sees telemetry. */
  telemetry?: boolean;
  /** Whether it sees online/offline changes of those device kinds. */
  presence?: boolean;
}

export type RuleInput =
  | { type: 'signal'; signal: DeviceSignal }
  | { type: 'presence'; change: DeviceStatusChange; deviceKind: string }
  /** The wake-up this rule asked for with `wakeAt`. */
  | { type: 'timer' };

export interface RuleContext<P, S> {
  input: RuleInput;
  home: HomeRecord;
  resident: ResidentRecord | undefined;
  /** Epoch ms, from the injected clock. */
  now: number;
  /** IANA zone for times of day (HUB_TIMEZONE). */
  timezone: string;
  /** Defaults merged with the home's and then the resident's overrides. */
  params: P;
  /** What this rule remembered for this home (per-resident rules: for this resident); undefined at first. */
  state: S | undefined;
}

export interface RuleOutcome<S> {
  drafts?: readonly AlertDraft[];
  /** Present (even as undefined) → replaces the rule's state for this home. */
  state?: S | undefined;
  /** A number → wake me then (replacing any earlier wake-up); null → cancel it; absent → unchanged. */
  wakeAt?: number | null;
}

export interface Rule<P extends z.ZodObject = z.ZodObject, S = unknown> {
  id: string;
  description: string;
  /** The alert kind it raises, e.g. `sos`. */
  alertKind: string;
  /** Its usual severity (documentation and reports; drafts carry their own). */
  severity: Severity;
  on: RuleTrigger;
  /**
   * About a person rather than the home (issue 13 item 12): run once per
   * resident — for a personal device only for its wearer, for a shared one
   * (the door) for each resident — with that resident's thresholds and state,
   * and the alert names them. Otherwise once per home.
   */
  perResident?: boolean;
  /** Parameters with their defaults (`.describe()` each: docs/RULES.md is generated from them). */
  params: P;
  evaluate(ctx: RuleContext<z.infer<P>, S>): RuleOutcome<S> | null;
}

// `any` in the state slot lets rules with different state types share one catalogue array.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRule = Rule<z.ZodObject, any>;

export function defineRule<P extends z.ZodObject, S = undefined>(rule: Rule<P, S>): Rule<P, S> {
  return rule;
}

/** Shorthand for an outcome that raises one alert. */
export function raise(draft: AlertDraft): RuleOutcome<never> {
  return { drafts: [draft] };
}
