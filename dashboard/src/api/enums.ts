/**
 * The hub's value lists the console offers in its forms. They cannot be
 * imported at run time from hub/ (DESIGN.md §2), so they are repeated here and
 * `allOf` makes the type-check fail when the hub gains or loses a value.
 */
import type { CONDITIONS as HUB_CONDITIONS } from '../../../hub/registry/records.js';
import type { Outcome, ResponderKind, ResponderState, Severity, VisitCondition } from './types.js';

type Missing<T, U extends readonly T[]> = Exclude<T, U[number]>;
const allOf =
  <T>() =>
  <const U extends readonly T[]>(values: U & ([Missing<T, U>] extends [never] ? unknown : { missing: Missing<T, U> })): U =>
    values;

export const SEVERITIES = allOf<Severity>()(['critical', 'high', 'medium', 'low']);
export const RESPONDER_KINDS = allOf<ResponderKind>()(['family', 'community_worker', 'property', 'doctor', 'ambulance_120', 'fire_119', 'police_110']);
export const RESPONDER_STATES = allOf<ResponderState>()(['notified', 'accepted', 'on_scene', 'done']);
export const OUTCOMES = allOf<Outcome>()(['emergency_handled', 'resident_ok', 'false_alarm', 'technical', 'no_access']);

export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Alert kinds with a local siren the operator may silence (hub: SILENCEABLE_KINDS). */
export const SILENCEABLE_KINDS: ReadonlySet<string> = new Set(['smoke', 'gas']);

/** Roles that may read the audit (GET /audit allows admin and supervisor). */
export const AUDIT_ROLES: ReadonlySet<string> = new Set(['admin', 'supervisor']);
/** Roles that may act on alerts. */
export const HANDLER_ROLES: ReadonlySet<string> = new Set(['admin', 'supervisor', 'operator']);

type Condition = (typeof HUB_CONDITIONS)[number];
/** The resident's conditions an installer may record (hub: CONDITIONS). */
export const CONDITIONS = allOf<Condition>()(['dementia', 'mobility', 'heart_disease', 'diabetes', 'hypertension', 'respiratory', 'epilepsy', 'hearing', 'vision', 'other']);
/** How a visitor found the resident (hub: VISIT_CONDITIONS). */
export const VISIT_CONDITIONS = allOf<VisitCondition>()(['well', 'needs_help', 'not_home']);
/**
 * The device kinds an installer registers. The catalogue (devices/catalog.ts)
 * is a run-time list the console may not import; tests/dashboard-i18n.test.ts
 * checks every catalogue kind has a name, and the hub refuses an unknown kind.
 */
export const DEVICE_KINDS = ['bracelet', 'smoke_sensor', 'gas_alarm', 'door_sensor'] as const;
