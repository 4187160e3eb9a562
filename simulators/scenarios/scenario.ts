/**
 * Scenarios are declarative timelines (DESIGN.md §7): data saying what
 * happens in a home and when, e.g. `{ at: '+10m', device: 'bracelet', event: 'sos' }`,
 * plus the alerts the hub must and must not raise. `scenarioActions` turns one
 * into the time-ordered actions a Household performs, with the devices'
 * heartbeats (and, for an ordinary day, the resident's routine) around it.
 */
import { findDeviceKind } from '../../devices/catalog.js';
import { heartbeatActions, ROLE_KIND, ROLES, sortActions, type Action, type Role } from '../household/actions.js';
import type { Activity } from '../household/resident.js';
import { routineBetween } from '../household/routine.js';
import { nextLocalTime, parseOffset } from '../household/sim-time.js';
import type { Random } from '../kinds/index.js';

export interface ScenarioStep {
  /** Offset from the scenario's start: `+10m`, `+1h30m`, `+45s`. */
  at: string;
  device?: Role;
  event?: string;
  /** Extra fields of the event, e.g. `{ confidence: 0.9 }`. */
  fields?: Record<string, unknown>;
  /** Readings that replace the device's usual telemetry at this instant. */
  telemetry?: Record<string, unknown>;
  power?: 'off' | 'on';
  /** The resident starts doing something else (asleep, still, home, out). */
  resident?: Activity;
  note?: string;
}

export interface ExpectedAlert {
  /** Alert kind as the hub's rules name it (hub/rules/catalog). */
  kind: string;
  /** Severity the alert must have by the end, when that is the point (a cancelled fall drops to medium). */
  severity?: 'critical' | 'high' | 'medium' | 'low';
}

export interface Scenario {
  name: string;
  title: string;
  description: string;
  /** Local time of day in the home when the timeline starts. */
  startsAt: string;
  /** How much simulated time the scenario covers, from its start. */
  duration: string;
  /** Run the resident's ordinary routine around the timeline (otherwise they stay as `resident.activity`). */
  routine: boolean;
  resident?: { activity?: Activity; conditions?: string[] };
  battery?: Partial<Record<Role, number>>;
  timeline: ScenarioStep[];
  expect: { raises: ExpectedAlert[]; notRaises: string[] };
  /**
   * Set when an expected alert depends on time passing at the hub (the hub's rules use the
   * hub's clock, not the devices' `ts`): sped up from the device side it would take real hours.
   */
  hubClock?: string;
}

/** Readings rising step by step: `values[i]` of `field` every `every`, from `from`. */
export function rising(device: Role, field: string, from: string, every: string, values: readonly number[], extra: Record<string, unknown> = {}): ScenarioStep[] {
  const start = parseOffset(from);
  const step = parseOffset(every);
  return values.map((value, i) => ({ at: `+${Math.round((start + i * step) / 1000)}s`, device, telemetry: { ...extra, [field]: value } }));
}

function stepAction(step: ScenarioStep, at: number): Action {
  if (step.resident) return { at, kind: 'resident', activity: step.resident };
  if (step.note !== undefined && !step.device) return { at, kind: 'note', text: step.note };
  const role = step.device;
  if (!role) throw new Error(`scenario step at ${step.at} names no device`);
  if (step.power) return { at, kind: 'power', role, on: step.power === 'on' };
  if (step.event) return { at, kind: 'event', role, type: step.event, ...(step.fields ? { fields: step.fields } : {}) };
  if (step.telemetry) return { at, kind: 'telemetry', role, fields: step.telemetry };
  throw new Error(`scenario step at ${step.at} for ${role} does nothing: give event, telemetry or power`);
}

export interface ScenarioRun {
  start: number;
  end: number;
  actions: Action[];
}

/** The whole run: timeline, heartbeats at each kind's real interval, and the routine if asked. */
export function scenarioActions(scenario: Scenario, from: number, random: Random, utcOffsetMin: number): ScenarioRun {
  const start = nextLocalTime(from, scenario.startsAt, utcOffsetMin);
  const end = start + parseOffset(scenario.duration);
  const heartbeatSec = Object.fromEntries(ROLES.map((r) => [r, findDeviceKind(ROLE_KIND[r])?.heartbeatSec ?? 300])) as Record<Role, number>;
  const timeline = scenario.timeline.map((step) => stepAction(step, start + parseOffset(step.at)));
  const routine = scenario.routine ? routineBetween(start, end, random, utcOffsetMin) : [];
  const initial: Action[] = scenario.resident?.activity ? [{ at: start, kind: 'resident', activity: scenario.resident.activity }] : [];
  return { start, end, actions: sortActions([...initial, ...routine, ...heartbeatActions(start, end, heartbeatSec), ...timeline]) };
}

/**
 * Only the scenario's own timeline, from `base`, with offsets divided by `compress`: the demo
 * plays an emergency inside a home whose routine and heartbeats are already running.
 */
export function timelineActions(scenario: Scenario, base: number, compress = 1): Action[] {
  const first = Math.min(...scenario.timeline.map((s) => parseOffset(s.at)));
  return sortActions(scenario.timeline.map((step) => stepAction(step, base + (parseOffset(step.at) - first) / compress)));
}
