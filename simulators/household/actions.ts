/**
 * What happens in a simulated home, as data: each action is one thing at one
 * simulated instant. The routine, the device heartbeats and a scenario's
 * timeline are all turned into one time-ordered list of these, which either
 * runs against the wall clock (sped up) or is stepped by a test that moves
 * the hub's clock to each action's time first.
 */
import type { Activity } from './resident.js';

/** The four devices of a home, by the role they play in it. */
export const ROLES = ['bracelet', 'gas', 'smoke', 'door'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_KIND: Record<Role, string> = { bracelet: 'bracelet', gas: 'gas_alarm', smoke: 'smoke_sensor', door: 'door_sensor' };

export type Action =
  /** The device's periodic telemetry (the bracelet's comes from the resident's body). */
  | { at: number; kind: 'heartbeat'; role: Role }
  | { at: number; kind: 'event'; role: Role; type: string; fields?: Record<string, unknown> }
  /** Readings that override the usual ones, e.g. a heart-rate episode or a rising LEL. */
  | { at: number; kind: 'telemetry'; role: Role; fields: Record<string, unknown> }
  /** Power cut (no DISCONNECT: the broker publishes the will) and power back. */
  | { at: number; kind: 'power'; role: Role; on: boolean }
  | { at: number; kind: 'resident'; activity: Activity }
  | { at: number; kind: 'note'; text: string };

/**
 * Stable order: by time, then as listed (a heartbeat and an event at the same instant keep their
 * order). Times become whole milliseconds: devices send them as `ts`, which must be an integer.
 */
export function sortActions(actions: readonly Action[]): Action[] {
  return actions
    .map((a, i) => ({ a: { ...a, at: Math.round(a.at) }, i }))
    .sort((x, y) => x.a.at - y.a.at || x.i - y.i)
    .map((x) => x.a);
}

/** Heartbeats of every device from `start` to `end` at their intervals (seconds), staggered so they do not all fire at once. */
export function heartbeatActions(start: number, end: number, intervalsSec: Record<Role, number>): Action[] {
  const out: Action[] = [];
  ROLES.forEach((role, i) => {
    const every = intervalsSec[role] * 1000;
    for (let at = start + (i * every) / ROLES.length; at < end; at += every) out.push({ at, kind: 'heartbeat', role });
  });
  return out;
}
