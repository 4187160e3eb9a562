/**
 * Where the wearer was, as a bracelet last reported it (DESIGN.md §3: telemetry
 * `location` is `{lat, lon, accuracyM}` or `{room}`), with the device and the
 * hub's receive time — the fix's age is what an operator needs to judge it
 * (issue 13 item 4). Pure helpers, no I/O.
 */

interface FixBase {
  /** The bracelet that reported it. */
  deviceId: string;
  /** When the hub received the fix (ISO): device clocks may be wrong or missing. */
  at: string;
}

export interface RoomFix extends FixBase {
  room: string;
}

export interface GpsFix extends FixBase {
  lat: number;
  lon: number;
  accuracyM?: number | undefined;
  /** Metres from the home's coordinates when the fix came, if the home has them (rounded). */
  distanceM?: number | undefined;
}

export type LocationFix = RoomFix | GpsFix;

/**
 * A GPS fix that moved less than this is the same place: receivers jitter by
 * a few metres, and a new timeline entry per jitter would bury what matters.
 */
const SAME_PLACE_M = 25;
const EARTH_RADIUS_M = 6_371_000;

/**
 * The fix in an already validated telemetry payload (ingest checked it against
 * the bracelet schema), or undefined when it carries none.
 */
export function fixFromPayload(deviceId: string, payload: Record<string, unknown>, at: string, home?: { lat: number; lon: number }): LocationFix | undefined {
  const location = payload.location as { room?: unknown; lat?: unknown; lon?: unknown; accuracyM?: unknown } | undefined;
  if (typeof location !== 'object' || location === null) return undefined;
  if (typeof location.room === 'string') return { deviceId, at, room: location.room };
  if (typeof location.lat !== 'number' || typeof location.lon !== 'number') return undefined;
  const fix: GpsFix = { deviceId, at, lat: location.lat, lon: location.lon };
  if (typeof location.accuracyM === 'number') fix.accuracyM = location.accuracyM;
  // Worked out here, once per fix, so every reader (console, family, API) shows the same figure.
  if (home) fix.distanceM = Math.round(metresBetween(home, fix));
  return fix;
}

export function isGps(fix: LocationFix): fix is GpsFix {
  return 'lat' in fix;
}

/** Great-circle distance in metres (haversine; ample for "how far from home"). */
export function metresBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Whether two fixes name the same place: the same room, or GPS within jitter. */
export function samePlace(a: LocationFix, b: LocationFix): boolean {
  if (a.deviceId !== b.deviceId) return false;
  if (!isGps(a) || !isGps(b)) return !isGps(a) && !isGps(b) && a.room === b.room;
  return metresBetween(a, b) < SAME_PLACE_M;
}
