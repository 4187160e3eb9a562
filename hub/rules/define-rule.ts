/**
 * Rules are data: `defineRule({ id, severity, on, params, evaluate })`, one
 * file per rule in catalog/. `evaluate` is a pure function of the signal, the
 * home and resident, the clock reading and the parameters: no I/O, no timers,
 * so every rule is table-testable with an injected clock (DESIGN.md §2).
 */
import type { z } from 'zod';
import type { DeviceSignal } from '../core/hub-events.js';
import type { AlertDraft, Severity } from '../alerts/alert.js';
import type { HomeRecord, ResidentRecord } from '../registry/records.js';

export interface RuleTrigger {
  /** Device kinds whose signals this rule sees. */
  deviceKinds: readonly string[];
  /** Event types it reacts to (on the `event` channel). */
  events?: readonly string[];
  /** Whether it also sees telemetry. */
  telemetry?: boolean;
}

export interface RuleContext<P> {
  signal: DeviceSignal;
  home: HomeRecord;
  resident: ResidentRecord | undefined;
  /** Epoch ms, from the injected clock. */
  now: number;
  /** IANA zone for times of day (HUB_TIMEZONE). */
  timezone: string;
  params: P;
}

export interface Rule<P extends z.ZodObject = z.ZodObject> {
  id: string;
  description: string;
  /** The alert kind it raises, e.g. `sos`. */
  alertKind: string;
  severity: Severity;
  on: RuleTrigger;
  /** Parameters with their defaults; per-resident overrides are validated against it. */
  params: P;
  evaluate(ctx: RuleContext<z.infer<P>>): AlertDraft | readonly AlertDraft[] | null;
}

export function defineRule<P extends z.ZodObject>(rule: Rule<P>): Rule<P> {
  return rule;
}
