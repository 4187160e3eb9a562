/** Reading device signals the same way in every rule. */
import { findDeviceKind } from '../../../../devices/catalog.js';
import type { DeviceSignal } from '../../../core/hub-events.js';

/** `Smoke sensor`, `Door sensor`… for titles; the raw kind if the catalogue does not know it. */
export function kindTitle(kind: string): string {
  return findDeviceKind(kind)?.title ?? kind;
}

/**
 * Whether a bracelet message was sent from home: no location, or an indoor
 * `{room}`; a GPS fix `{lat, lon}` means the wearer is outside (DESIGN.md §3).
 */
export function sentFromHome(signal: DeviceSignal): boolean {
  const location = signal.payload.location;
  return location === undefined || (typeof location === 'object' && location !== null && 'room' in location);
}

/**
 * Whether the bracelet is on the wrist after this message: `removed` / `worn`
 * events and the telemetry field `worn` say so; otherwise what was known
 * before (undefined = never said, which rules treat as worn — issue 3).
 */
export function wornAfter(signal: DeviceSignal, before: boolean | undefined): boolean | undefined {
  if (signal.channel === 'event') {
    if (signal.type === 'removed') return false;
    if (signal.type === 'worn') return true;
    return before;
  }
  return typeof signal.payload.worn === 'boolean' ? signal.payload.worn : before;
}

/** The earliest of some due times, or null (cancel the wake-up) when there is none. */
export function earliest(times: Iterable<number>): number | null {
  let min: number | null = null;
  for (const t of times) if (min === null || t < min) min = t;
  return min;
}

/** A copy of a per-device record without one device. */
export function without<T>(record: Readonly<Record<string, T>>, deviceId: string): Record<string, T> {
  const { [deviceId]: _gone, ...rest } = record;
  return rest;
}
