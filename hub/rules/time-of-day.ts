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
/** `zone|slot` → the zone's UTC offset (ms) during that quarter hour. */
const offsets = new Map<string, number>();

/**
 * The zone's offset from UTC at `at`. Intl formatting is slow (it was ~13 %
 * of the hub's CPU under load, called for every bracelet and door message), so
 * the offset is computed once per zone and quarter hour: zones change their
 * offset only on a quarter-hour boundary.
 */
function utcOffset(at: number, timeZone: string): number {
  const slot = Math.floor(at / SLOT_MS);
  const key = `${timeZone}|${slot}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = slot * SLOT_MS;
    const p: Record<string, string> = {};
    for (const part of formatter(timeZone).formatToParts(start)) p[part.type] = part.value;
    offset = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - start;
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

export function localTime(at: number, timeZone: string): LocalTime {
  const local = new Date(at + utcOffset(at, timeZone));
  const minuteOfDay = local.getUTCHours() * 60 + local.getUTCMinutes() + (local.getUTCSeconds() + local.getUTCMilliseconds() / 1000) / 60;
  return { minuteOfDay, date: local.toISOString().slice(0, 10) };
}

/** `"07:00"` → 420. */
export function parseHhmm(text: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new Error(`not a time of day (HH:MM): ${text}`);
  return Number(m[1]) * 60 + Number(m[2]);
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
  return inWindow(localTime(at, timeZone).minuteOfDay, window);
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
  const landed = t + minutesUntil(localTime(t, timeZone).minuteOfDay, target) * MINUTE;
  const drift = ((localTime(landed, timeZone).minuteOfDay - target + 2160) % 1440) - 720;
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
    const local = localTime(t, timeZone).minuteOfDay;
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
    const local = localTime(t, timeZone).minuteOfDay;
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
