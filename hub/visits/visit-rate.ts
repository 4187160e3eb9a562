/**
 * The monthly visit rate of special-hardship residents (REFERENCES.md: city
 * target 100 %), and the list of residents still due. Pure functions over the
 * roster, the visits and a month range; the exact rules are in
 * docs/REPORTS.md ("Visits"):
 *
 * - the month's roster: every resident flagged special-hardship at any moment
 *   of the local calendar month (flagged part-way through counts; unflagged
 *   before the month starts does not);
 * - visited: at least one visit in the month whose condition is not `not_home`;
 * - rate = visited / roster; the target is met only at 100 %.
 */
import type { MonthRange } from './months.js';
import { countsAsVisited, type HardshipPeriod, type VisitCondition, type VisitRecord } from './visit.js';

export const VISIT_RATE_TARGET = 1;
const DAY_MS = 86_400_000;

/**
 * The flag periods of a resident, reconciled with the resident's current flag.
 * Without a recorded history (flag set when the home was created, or data from
 * before visits existed) a flagged resident counts as flagged since the
 * resident was created. If the flag was changed by another route (the
 * recorded history disagrees with the flag), the change is dated at the
 * resident's last update.
 */
export function effectivePeriods(
  resident: { specialHardship: boolean; createdAt: string; updatedAt: string },
  recorded: readonly HardshipPeriod[] | undefined,
): HardshipPeriod[] {
  const periods = recorded ? recorded.map((p) => ({ ...p })) : resident.specialHardship ? [{ from: resident.createdAt }] : [];
  const last = periods.at(-1);
  const open = last !== undefined && last.to === undefined;
  if (resident.specialHardship && !open) periods.push({ from: resident.updatedAt });
  if (!resident.specialHardship && open) last.to = resident.updatedAt;
  return periods;
}

/** Whether any flag period overlaps [start, end): flagged at some instant of the month. */
export function flaggedDuring(periods: readonly HardshipPeriod[], start: number, end: number): boolean {
  return periods.some((p) => {
    const from = Date.parse(p.from);
    const to = p.to === undefined ? Infinity : Date.parse(p.to);
    return to > from && from < end && to > start;
  });
}

export interface RosterResident {
  residentId: string;
  name: string;
  homeId: string;
  address: string;
  community: string | null;
  periods: readonly HardshipPeriod[];
}

export interface LastVisit {
  visitId: string;
  visitedAt: string;
  condition: VisitCondition;
  visitor: string;
}

export interface ResidentMonthStatus {
  residentId: string;
  name: string;
  homeId: string;
  address: string;
  community: string | null;
  visited: boolean;
  /** Visits in the month that count (condition well or needs_help). */
  visitsInMonth: number;
  /** Visits in the month that found nobody at home. */
  notHomeAttempts: number;
  /** The latest visit of any condition before the end of the month. */
  lastVisit: LastVisit | null;
  /** The latest counting visit before the end of the month (what "overdue" is measured from). */
  lastCompletedVisitAt: string | null;
}

/** Each roster resident's standing for the month. Residents not flagged during the month are left out. */
export function monthStatuses(range: MonthRange, roster: readonly RosterResident[], visits: readonly VisitRecord[]): ResidentMonthStatus[] {
  const byResident = new Map<string, VisitRecord[]>();
  for (const v of visits) {
    const at = Date.parse(v.visitedAt);
    if (at >= range.end) continue;
    let list = byResident.get(v.residentId);
    if (!list) byResident.set(v.residentId, (list = []));
    list.push(v);
  }
  const out: ResidentMonthStatus[] = [];
  for (const r of roster) {
    if (!flaggedDuring(r.periods, range.start, range.end)) continue;
    const before = (byResident.get(r.residentId) ?? []).sort((a, b) => a.visitedAt.localeCompare(b.visitedAt));
    const inMonth = before.filter((v) => Date.parse(v.visitedAt) >= range.start);
    const counting = inMonth.filter(countsAsVisited);
    const last = before.at(-1);
    const lastCompleted = before.filter(countsAsVisited).at(-1);
    out.push({
      residentId: r.residentId,
      name: r.name,
      homeId: r.homeId,
      address: r.address,
      community: r.community,
      visited: counting.length > 0,
      visitsInMonth: counting.length,
      notHomeAttempts: inMonth.length - counting.length,
      lastVisit: last ? { visitId: last.id, visitedAt: last.visitedAt, condition: last.condition, visitor: last.visitor } : null,
      lastCompletedVisitAt: lastCompleted?.visitedAt ?? null,
    });
  }
  return out;
}

/** Overdue first: never visited, then the longest since the last counting visit; then by name and id. */
export function byLongestSinceVisit(a: ResidentMonthStatus, b: ResidentMonthStatus): number {
  if (a.lastCompletedVisitAt !== b.lastCompletedVisitAt) {
    if (a.lastCompletedVisitAt === null) return -1;
    if (b.lastCompletedVisitAt === null) return 1;
    return a.lastCompletedVisitAt.localeCompare(b.lastCompletedVisitAt);
  }
  return a.name.localeCompare(b.name) || a.residentId.localeCompare(b.residentId);
}

export interface DueResident extends ResidentMonthStatus {
  /** Whole days from the last counting visit to now; null if never visited. */
  daysSinceLastVisit: number | null;
}

/** Roster residents not yet visited in the month, overdue first. */
export function dueList(statuses: readonly ResidentMonthStatus[], now: number): DueResident[] {
  return statuses
    .filter((s) => !s.visited)
    .sort(byLongestSinceVisit)
    .map((s) => ({ ...s, daysSinceLastVisit: s.lastCompletedVisitAt === null ? null : Math.floor((now - Date.parse(s.lastCompletedVisitAt)) / DAY_MS) }));
}

export interface VisitRateFigures {
  residents: number;
  visited: number;
  notVisited: number;
  /** visited / residents; null when nobody was on the roster. */
  rate: number | null;
  /** rate ≥ 100 %; null when nobody was on the roster. */
  targetMet: boolean | null;
}

export interface CommunityVisitRate extends VisitRateFigures {
  /** null: homes with no community set. */
  community: string | null;
}

export interface VisitRateReport {
  month: string;
  timezone: string;
  /** The month's instants [from, to) in the zone, ISO UTC. */
  from: string;
  to: string;
  target: number;
  overall: VisitRateFigures;
  byCommunity: CommunityVisitRate[];
  /** Residents not visited in the month, overdue first. */
  notVisited: ResidentMonthStatus[];
}

function figures(statuses: readonly ResidentMonthStatus[]): VisitRateFigures {
  const residents = statuses.length;
  const visited = statuses.filter((s) => s.visited).length;
  return {
    residents,
    visited,
    notVisited: residents - visited,
    rate: residents === 0 ? null : visited / residents,
    targetMet: residents === 0 ? null : visited / residents >= VISIT_RATE_TARGET,
  };
}

export function visitRate(range: MonthRange, timezone: string, statuses: readonly ResidentMonthStatus[]): VisitRateReport {
  const communities = new Map<string | null, ResidentMonthStatus[]>();
  for (const s of statuses) {
    let list = communities.get(s.community);
    if (!list) communities.set(s.community, (list = []));
    list.push(s);
  }
  const byCommunity = [...communities]
    .map(([community, list]) => ({ community, ...figures(list) }))
    // Named communities in order, homes without one last.
    .sort((a, b) => (a.community === null ? 1 : b.community === null ? -1 : a.community.localeCompare(b.community)));
  return {
    month: range.month,
    timezone,
    from: new Date(range.start).toISOString(),
    to: new Date(range.end).toISOString(),
    target: VISIT_RATE_TARGET,
    overall: figures(statuses),
    byCommunity,
    notVisited: statuses.filter((s) => !s.visited).sort(byLongestSinceVisit),
  };
}
