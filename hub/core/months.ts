/**
 * Calendar months as `YYYY-MM` strings, with no time zone: the UTC month of
 * an instant (journal and delivery-log files rotate by it) and month
 * arithmetic. One definition instead of one per store (issue 11 §1); the
 * visit target's local months (hub/visits/months.ts) build on it.
 */

/** `YYYY-MM`, months 01–12. */
export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The UTC month of an instant, given as epoch ms or as an ISO 8601 string. */
export function utcMonthOf(at: number | string): string {
  return (typeof at === 'string' ? at : new Date(at).toISOString()).slice(0, 7);
}

export function parseMonth(month: string): [number, number] {
  if (!MONTH_PATTERN.test(month)) throw new Error(`not a month (YYYY-MM): ${month}`);
  return [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
}

/** `2026-11` → `2026-12`; `2026-12` → `2027-01`. */
export function nextMonth(month: string): string {
  const [y, m] = parseMonth(month);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

export function previousMonth(month: string): string {
  const [y, m] = parseMonth(month);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}
