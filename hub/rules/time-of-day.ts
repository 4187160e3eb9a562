/**
 * Times of day in the hub's time zone (HUB_TIMEZONE), for rules with day and
 * night windows. Pure functions of (epoch ms, zone): no clock reads.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalTime {
  /** Minutes since local midnight, with seconds as a fraction. */
  minuteOfDay: number;
  /** Local calendar date, `YYYY-MM-DD`. */
  date: string;
}

const SLOT_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/** Per zone, quarter hour (since the epoch) → the zone's UTC offset (ms) then. Numbers for keys: no string made per call. */
const offsets = new Map<string, Map<number, number>>();

/**
 * The zone's offset from UTC at `at`. Intl formatting is slow (it was ~13 %
 * of the hub's CPU under load, called for every bracelet and door message), so
 * the offset is computed once per zone and quarter hour: zones change their
 * offset only on a quarter-hour boundary.
 */
function utcOffset(at: number, timeZone: string): number {
  const slot = Math.floor(at / SLOT_MS);
  let zone = offsets.get(timeZone);
  if (!zone) offsets.set(timeZone, (zone = new Map()));
  let offset = zone.get(slot);
  if (offset === undefined) {
    const start = slot * SLOT_MS;
    const p: Record<string, string> = {};
    for (const part of formatter(timeZone).formatToParts(start)) p[part.type] = part.value;
    offset = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - start;
    if (zone.size > 10_000) zone.clear();
    zone.set(slot, offset);
  }
  return offset;
}

export function localTime(at: number, timeZone: string): LocalTime {
  const local = at + utcOffset(at, timeZone);
  return { minuteOfDay: minuteOfLocalDay(local), date: new Date(local).toISOString().slice(0, 10) };
}

/**
 * The local minute of day at `at` (localTime's `minuteOfDay` without the
 * date): what the window rules ask, several times per reading, so no Date
 * and no string are made. The same arithmetic as Date's UTC fields, so the
 * same number to the last bit.
 */
export function minuteOfDay(at: number, timeZone: string): number {
  return minuteOfLocalDay(at + utcOffset(at, timeZone));
}

function minuteOfLocalDay(local: number): number {
  const ms = ((local % DAY_MS) + DAY_MS) % DAY_MS;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = Math.floor(ms / 1_000) % 60;
  return hours * 60 + minutes + (seconds + (ms % 1_000) / 1000) / 60;
}

/** Times of day already read: rules read their window's bounds on every evaluation. */
const parsedHhmm = new Map<string, number>();

/** `"07:00"` → 420. */
export function parseHhmm(text: string): number {
  const known = parsedHhmm.get(text);
  if (known !== undefined) return known;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new Error(`not a time of day (HH:MM): ${text}`);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  // Valid times of day only: at most 1,440 entries.
  parsedHhmm.set(text, minutes);
  return minutes;
}

export interface DailyWindow {
  /** Minutes since midnight; a window with start > end crosses midnight (22:00–06:00). */
  start: number;
  end: number;
}

export function windowFrom(start: string, end: string): DailyWindow {
  return { start: parseHhmm(start), end: parseHhmm(end) };
}

/** Whether a local minute of day is inside the window [start, end). */
export function inWindow(minuteOfDay: number, window: DailyWindow): boolean {
  if (window.start === window.end) return true;
  return window.start < window.end
    ? minuteOfDay >= window.start && minuteOfDay < window.end
    : minuteOfDay >= window.start || minuteOfDay < window.end;
}

export function isInWindow(at: number, window: DailyWindow, timeZone: string): boolean {
  return inWindow(minuteOfDay(at, timeZone), window);
}

const MINUTE = 60_000;

/** Minutes from `minuteOfDay` forward to `target` (0 < result ≤ 1440). */
function minutesUntil(minuteOfDay: number, target: number): number {
  const d = (target - minuteOfDay + 1440) % 1440;
  return d === 0 ? 1440 : d;
}

/**
 * The instant after `t` at which the local clock next shows `target` minutes.
 * Counting local minutes is an hour off across a daylight-saving change, so
 * the landing point is read back and corrected by the drift.
 */
function nextLocal(t: number, target: number, timeZone: string): number {
  const landed = t + minutesUntil(minuteOfDay(t, timeZone), target) * MINUTE;
  const drift = ((minuteOfDay(landed, timeZone) - target + 2160) % 1440) - 720;
  return landed - drift * MINUTE;
}

/**
 * The moment at which `durationMs` of time inside the daily window has passed
 * since `from`, counting only in-window time ("12 h of inactivity within the
 * day window 07:00–22:00" continues the next morning). Steps from boundary to
 * boundary, so at most two steps a day.
 */
export function addWindowTime(from: number, durationMs: number, window: DailyWindow, timeZone: string): number {
  let t = from;
  let remaining = durationMs;
  for (let guard = 0; guard < 2_000; guard++) {
    const local = minuteOfDay(t, timeZone);
    if (inWindow(local, window)) {
      const untilEnd = window.start === window.end ? Infinity : nextLocal(t, window.end, timeZone) - t;
      if (remaining <= untilEnd) return t + remaining;
      remaining -= untilEnd;
      t += untilEnd;
    } else {
      t = nextLocal(t, window.start, timeZone);
    }
  }
  throw new Error('addWindowTime did not converge');
}

/** In-window time elapsed between `from` and `to` (to ≥ from). */
export function windowTimeBetween(from: number, to: number, window: DailyWindow, timeZone: string): number {
  let t = from;
  let total = 0;
  for (let guard = 0; guard < 2_000 && t < to; guard++) {
    const local = minuteOfDay(t, timeZone);
    if (inWindow(local, window)) {
      const next = window.start === window.end ? to : Math.min(to, nextLocal(t, window.end, timeZone));
      total += next - t;
      t = next;
    } else {
      t = Math.min(to, nextLocal(t, window.start, timeZone));
    }
  }
  return total;
}
