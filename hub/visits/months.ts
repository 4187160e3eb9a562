/**
 * Calendar months in the hub's time zone (HUB_TIMEZONE). The city's visit
 * target is "every special-hardship elder visited every calendar month", and
 * the month is the local one: a visit at 01:30 on 1 November in Shanghai is a
 * November visit even though it is still 31 October in UTC. Pure functions of
 * (epoch ms, zone).
 */
import { MONTH_PATTERN, nextMonth, parseMonth, previousMonth } from '../core/months.js';
import { localTime } from '../rules/time-of-day.js';

export { MONTH_PATTERN, nextMonth, previousMonth };

export interface MonthRange {
  month: string;
  /** First instant of the month in the zone, epoch ms (inclusive). */
  start: number;
  /** First instant of the next month, epoch ms (exclusive). */
  end: number;
}

/** The local month of an instant, `YYYY-MM`. */
export function localMonthOf(at: number, timeZone: string): string {
  return localTime(at, timeZone).date.slice(0, 7);
}

/** The instants [start, end) a local month covers. */
export function monthRange(month: string, timeZone: string): MonthRange {
  return { month, start: startOfMonth(month, timeZone), end: startOfMonth(nextMonth(month), timeZone) };
}

/** Every local month that overlaps [from, to), oldest first, at most `limit` of them (the latest kept). */
export function monthsOverlapping(from: number, to: number, timeZone: string, limit = 24): string[] {
  if (to <= from) return [];
  const months: string[] = [];
  const last = localMonthOf(to - 1, timeZone);
  for (let m = localMonthOf(from, timeZone); ; m = nextMonth(m)) {
    months.push(m);
    if (m === last) break;
  }
  return months.slice(-limit);
}

/** Offset of the zone from UTC at an instant, ms (Shanghai: +8 h). */
function zoneOffset(at: number, timeZone: string): number {
  const local = localTime(at, timeZone);
  const [y, m, d] = local.date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + Math.round(local.minuteOfDay * 60_000);
  return wall - at;
}

/** Local midnight starting day 1 of the month. Corrected once for a zone whose offset differs at the guess (DST). */
function startOfMonth(month: string, timeZone: string): number {
  const [y, m] = parseMonth(month);
  const wallMidnight = Date.UTC(y, m - 1, 1);
  let at = wallMidnight - zoneOffset(wallMidnight, timeZone);
  at = wallMidnight - zoneOffset(at, timeZone);
  return at;
}
