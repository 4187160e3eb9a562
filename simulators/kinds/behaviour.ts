/**
 * What a simulated device kind does between messages: a pure step function
 * from (state, now, random) to the next state and the telemetry to send, so
 * a behaviour can be tested over a simulated day without a broker or timers.
 */

/** A source of uniform numbers in [0, 1): `Math.random`, or a seeded one in tests. */
export type Random = () => number;

/** The kind-specific telemetry fields; the device adds `seq`, `ts` and `battery`. */
export type TelemetryFields = Record<string, unknown>;

export interface BehaviourContext {
  /** Offset of the resident's local time from UTC, minutes (Shanghai: 480). Night is local. */
  utcOffsetMin: number;
}

export interface KindBehaviour<S = unknown> {
  readonly kind: string;
  /** Battery drain in percent per hour: a bracelet is charged weekly, a smoke sensor lasts years. */
  readonly batteryDrainPerHour: number;
  init(now: number, random: Random, context: BehaviourContext): S;
  // Method syntax on purpose: it lets a KindBehaviour<BraceletState> sit in a registry of KindBehaviour<unknown>.
  step(state: S, now: number, random: Random): { state: S; telemetry: TelemetryFields };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Local hour of day, 0–23.99…, for a UTC offset — pure, unlike `Date#getHours` which reads the process time zone. */
export function localHour(now: number, utcOffsetMin: number): number {
  const local = now + utcOffsetMin * 60_000;
  return (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/** Local calendar day number (days since 1970-01-01 local), to reset daily counters at midnight. */
export function localDay(now: number, utcOffsetMin: number): number {
  return Math.floor((now + utcOffsetMin * 60_000) / DAY_MS);
}

/** 22:00–06:00 local. */
export function isNight(now: number, utcOffsetMin: number): boolean {
  const hour = localHour(now, utcOffsetMin);
  return hour >= 22 || hour < 6;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The offset of this process's time zone at `now`, used when the caller gives none. */
export function processUtcOffsetMin(now: number): number {
  return -new Date(now).getTimezoneOffset();
}
