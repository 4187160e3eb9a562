/**
 * The hub's value lists the console offers in its forms. They cannot be
 * imported at run time from hub/ (DESIGN.md §2), so they are repeated here and
 * `allOf` makes the type-check fail when the hub gains or loses a value.
 */
import type { Outcome, ResponderKind, ResponderState, Severity } from './types.js';

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
