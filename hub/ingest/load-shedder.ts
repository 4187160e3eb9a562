/**
 * Overload protection (DESIGN.md §10: "alarms must overtake telemetry under
 * overload: shed telemetry first"). The event loop's utilisation is sampled a
 * few times a second; above ENTER the hub sheds routine telemetry — it still
 * counts as a sign of life, but is not parsed, validated or run through the
 * rules — until utilisation falls below LEAVE. Events (SOS, fall, smoke, gas…)
 * are never shed, and neither is telemetry that may carry an alarm
 * (`mayCarryAlarm`): every gas alarm reading with an LEL, a bracelet
 * reading of 0 bpm or outside its wearer's range, and a battery reading
 * below the home's threshold. The broker's scheduler sheds too, as telemetry arrives, once its
 * queue is full (hub/broker/uplink-scheduler.ts); both count here.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { pausedMs } from '../core/deliberate-pauses.js';

export const ENTER_UTILISATION = 0.95;
export const LEAVE_UTILISATION = 0.8;
const SAMPLE_MS = 250;

/** Returns the event loop's utilisation (0–1) since the previous call. */
export type UtilisationSampler = () => number;

/** The loop's utilisation, less the pauses the hub made on purpose (core/deliberate-pauses.ts). */
export function eventLoopSampler(paused: () => number = pausedMs): UtilisationSampler {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let lastPaused = paused();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    const pausedNow = paused();
    const pause = Math.min(Math.max(pausedNow - lastPaused, 0), delta.active);
    last = now;
    lastPaused = pausedNow;
    const total = delta.active + delta.idle;
    return total > 0 ? (delta.active - pause) / total : 0;
  };
}

const HEART_RATE = Buffer.from('"heartRate"', 'latin1');
const BATTERY = Buffer.from('"battery"', 'latin1');
const LOCATION = Buffer.from('"location"', 'latin1');
const LEL = Buffer.from('"lel"', 'latin1');
const isSpace = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
const isDigitOrDot = (byte: number | undefined): boolean => byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || byte === 0x2e);

/**
 * Where the rules raise an alert on a telemetry value, for one device
 * (hub/rules/telemetry-limits.ts gives them; declared here so ingest does
 * not import the rules).
 */
export interface TelemetryLimits {
  /** Normal heart rate, bpm, inclusive; absent: not a bracelet. */
  heartRate?: { min: number; max: number } | undefined;
  /** A battery reading below this (%) raises an alert. */
  batteryBelow: number;
}

/**
 * Whether the number that follows `key` at `at` (its opening quote) in the
 * raw payload is below `min`, above `max`, 0 when `zeroCounts`, or does not
 * read as a number (NaN). Not a number at all (a string, null, an object, or
 * `key` is only the start of a longer name): false, not what the rules read.
 */
function numberOutsideAt(payload: Buffer, at: number, key: Buffer, min: number, max: number, zeroCounts: boolean): boolean {
  let i = valueAt(payload, at, key);
  if (i === -1) return false;
  const start = i;
  while (isNumberByte(payload[i])) i++;
  if (i === start) return false;
  const value = readNumber(payload, start, i);
  return Number.isNaN(value) || value < min || value > max || (zeroCounts && value === 0);
}

/** Where the value of `key` starts when `key` (with its quotes) is at `at` and a ':' follows; else -1. */
function valueAt(payload: Buffer, at: number, key: Buffer): number {
  for (let k = 1; k < key.length; k++) if (payload[at + k] !== key[k]) return -1;
  let i = at + key.length;
  while (isSpace(payload[i])) i++;
  if (payload[i] !== 0x3a) return -1; // ':'
  i++;
  while (isSpace(payload[i])) i++;
  return i;
}

/**
 * One pass over the raw payload (no JSON parse, no string for a plain
 * decimal, no native call per key: it runs per message under overload) for
 * a `"heartRate"` (when `heartRate` is given) or `"battery"` number outside
 * its bounds, or, with `keepLocation`, any `"location"`. JSON allows only
 * these four whitespace bytes, so every such key a JSON parse would see is
 * checked (a nested object's too: more, never fewer).
 */
function someReadingOutside(payload: Buffer, heartRate: { min: number; max: number } | undefined, batteryBelow: number, keepLocation: boolean): boolean {
  for (let at = 0; at < payload.length; at++) {
    if (payload[at] !== 0x22) continue;
    const next = payload[at + 1];
    if (next === 0x68 && heartRate && numberOutsideAt(payload, at, HEART_RATE, heartRate.min, heartRate.max, true)) return true; // "h…
    if (next === 0x62 && numberOutsideAt(payload, at, BATTERY, batteryBelow, Infinity, false)) return true; // "b…
    if (next === 0x6c && keepLocation && valueAt(payload, at, LOCATION) !== -1) return true; // "l…
  }
  return false;
}

/** Bounds that only 0 bpm (and NaN) fall outside: a bracelet of a home not known here. */
const ANY_HEART_RATE = { min: -Infinity, max: Infinity };

const isNumberByte = (byte: number | undefined): boolean => isDigitOrDot(byte) || byte === 0x2d || byte === 0x2b || byte === 0x65 || byte === 0x45; // - + e E

/** Digits with at most one dot, by hand; anything else (a sign, an exponent) through Number. */
function readNumber(payload: Buffer, start: number, end: number): number {
  let value = 0;
  let scale = 0;
  for (let i = start; i < end; i++) {
    const byte = payload[i]!;
    if (byte === 0x2e && scale === 0) scale = 1;
    else if (byte >= 0x30 && byte <= 0x39) {
      value = value * 10 + (byte - 0x30);
      if (scale > 0) scale *= 10;
    } else return Number(payload.toString('latin1', start, end));
  }
  if (scale === 1 || payload[start] === 0x2e) return Number.NaN; // "1." or ".5": not JSON
  return scale > 0 ? value / scale : value;
}

/**
 * Telemetry that may raise an alert and is never shed: anything of a device
 * whose kind is unknown here; every gas alarm reading that has an `lel` (it
 * may be an alarm); a bracelet reading of 0 bpm, or outside its wearer's
 * range; a battery below the threshold. A value that does not read as a
 * number (NaN) is kept too: ingest decides what it is. Without `limits`
 * (a home not known here) only the first three are checked. `inEmergency`
 * (the home has an open high or critical alert, hub/alerts/emergency-homes.ts):
 * a position fix is kept too, for the alert's location and the responder.
 */
export function mayCarryAlarm(deviceKind: string | undefined, payload: Buffer, limits?: TelemetryLimits, inEmergency = false): boolean {
  if (deviceKind === undefined) return true;
  // The gas rule reads `lel` (and counts readings in a row at the warning level): a gas alarm's
  // telemetry without one cannot raise or build up to a gas alert.
  if (deviceKind === 'gas_alarm' && payload.includes(LEL)) return true;
  const heartRate = deviceKind === 'bracelet' ? (limits?.heartRate ?? ANY_HEART_RATE) : undefined;
  // Without limits only 0 bpm counts: no battery is below -Infinity.
  return someReadingOutside(payload, heartRate, limits?.batteryBelow ?? -Infinity, inEmergency);
}

export class LoadShedder {
  shedding = false;
  utilisation = 0;
  shedTelemetry = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sample: UtilisationSampler,
    private readonly onChange: (shedding: boolean, utilisation: number) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One sample; public so tests can step it. */
  check(): void {
    this.utilisation = this.sample();
    const next = this.shedding ? this.utilisation > LEAVE_UTILISATION : this.utilisation >= ENTER_UTILISATION;
    if (next !== this.shedding) {
      this.shedding = next;
      this.onChange(next, this.utilisation);
    }
  }

  /**
   * Whether this telemetry message may be shed now (counted when it is): only
   * while shedding, and never one that may carry an alarm.
   */
  mayShed(deviceKind: string | undefined, payload: Buffer, limits?: TelemetryLimits, inEmergency = false): boolean {
    if (!this.shedding || mayCarryAlarm(deviceKind, payload, limits, inEmergency)) return false;
    this.shedTelemetry++;
    return true;
  }

  /** Counts telemetry the broker's scheduler shed as it arrived (its queue was full). */
  countShed(): void {
    this.shedTelemetry++;
  }
}
