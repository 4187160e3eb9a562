/**
 * The visit model (DESIGN.md §1 community worker): a community worker's visit
 * to a resident, and the periods during which a resident was flagged
 * special-hardship (特殊困难), which decide whose visits the monthly rate
 * counts.
 */

export const VISIT_CONDITIONS = ['well', 'needs_help', 'not_home'] as const;
export type VisitCondition = (typeof VISIT_CONDITIONS)[number];

/**
 * Whether a visit counts as "visited" for the monthly rate. A worker who found
 * nobody at home has not seen the resident, so a `not_home` visit is recorded
 * (it shows as an attempt) but the resident stays due (docs/REPORTS.md).
 */
export function countsAsVisited(visit: { condition: VisitCondition }): boolean {
  return visit.condition !== 'not_home';
}

/** A visit that asks operators to act: follow-up requested, or the resident needs help. */
export function needsFollowUp(visit: { condition: VisitCondition; followUp: boolean }): boolean {
  return visit.followUp || visit.condition === 'needs_help';
}

export interface VisitRecord {
  id: string;
  residentId: string;
  /** The resident's home when the visit was logged. */
  homeId: string;
  /** When the visit took place, ISO UTC. Its calendar month is taken in the hub's zone. */
  visitedAt: string;
  /** Who visited (a name; defaults to the logging user's display name). */
  visitor: string;
  condition: VisitCondition;
  notes?: string | undefined;
  followUp: boolean;
  /** The medium `visit_follow_up` alert raised for operators (follow-up or needs_help). */
  followUpAlertId?: string | undefined;
  /** When it was logged, ISO UTC, and by whom (`user:<username>`). */
  recordedAt: string;
  recordedBy: string;
}

/** A resident was flagged special-hardship during [from, to); `to` absent = still flagged. */
export interface HardshipPeriod {
  from: string;
  to?: string | undefined;
}
