/**
 * Visits (探访, DESIGN.md §1 community worker / visitor, issue 5): who is due
 * this month, logging a visit (a follow-up raises a medium alert for
 * operators), the monthly visit rate, and the special-hardship flag and
 * community of a resident. Months are calendar months in HUB_TIMEZONE.
 */
import { randomUUID } from 'node:crypto';
import type { Alert, Severity } from '../alerts/alert.js';
import type { AuditLog } from '../audit/audit-log.js';
import { DomainError, notFound } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import type { HomeRecord, ResidentRecord } from '../registry/records.js';
import { localMonthOf, monthRange } from './months.js';
import { dueList, effectivePeriods, monthStatuses, visitRate, type DueResident, type RosterResident, type VisitRateReport } from './visit-rate.js';
import { needsFollowUp, type HardshipPeriod, type VisitCondition, type VisitRecord } from './visit.js';
import type { VisitStore } from './visit-store.js';

/** A visit may be logged up to 31 days after it took place (a worker catching up on last month's paper forms). */
export const MAX_VISIT_AGE_MS = 31 * 86_400_000;
/** Phones' clocks drift: a visit stamped up to 2 minutes ahead of the hub is accepted as "now". */
export const FUTURE_SKEW_MS = 2 * 60_000;
export const FOLLOW_UP_ALERT_KIND = 'visit_follow_up';
const FOLLOW_UP_SEVERITY: Severity = 'medium';

const CONDITION_LABEL: Record<VisitCondition, string> = { well: 'well', needs_help: 'needs help', not_home: 'not at home' };

export interface NewVisit {
  residentId: string;
  /** ISO date-time. */
  visitedAt: string;
  visitor?: string | undefined;
  condition: VisitCondition;
  notes?: string | undefined;
  followUp: boolean;
}

export interface VisitIssue {
  path: string;
  message: string;
}

/** A visit that cannot be stored; `issues` name the fields (the API answers 400 with them). */
export class InvalidVisit extends DomainError {
  constructor(readonly issues: VisitIssue[]) {
    super('invalid', `invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

export interface VisitServiceDeps {
  store: VisitStore;
  registry: Registry;
  intake: { raiseByPerson(input: { homeId: string; residentId?: string; kind: string; severity: Severity; title: string; details?: Record<string, unknown> }, actor: string, at: string): Promise<Alert> };
  audit: AuditLog;
  now: () => number;
  timezone: string;
}

export interface VisitFilter {
  residentId?: string | undefined;
  month?: string | undefined;
}

export interface ResidentVisitProfile {
  id: string;
  homeId: string;
  name: string;
  specialHardship: boolean;
  /** The community of the resident's home. */
  community: string | null;
  hardshipPeriods: HardshipPeriod[];
}

export class VisitService {
  constructor(private readonly deps: VisitServiceDeps) {}

  get timezone(): string {
    return this.deps.timezone;
  }

  currentMonth(): string {
    return localMonthOf(this.deps.now(), this.deps.timezone);
  }

  /** Special-hardship residents not yet visited in the month, overdue first. */
  due(month = this.currentMonth()): DueResident[] {
    const range = monthRange(month, this.deps.timezone);
    return dueList(monthStatuses(range, this.roster(), this.deps.store.list()), this.deps.now());
  }

  /** The month's visit rate, overall and per community, with the residents not visited. */
  rate(month = this.currentMonth()): VisitRateReport {
    const range = monthRange(month, this.deps.timezone);
    return visitRate(range, this.deps.timezone, monthStatuses(range, this.roster(), this.deps.store.list()));
  }

  /** Visits, newest first. */
  list(filter: VisitFilter = {}): VisitRecord[] {
    if (filter.residentId !== undefined) this.deps.registry.requireResident(filter.residentId);
    const range = filter.month ? monthRange(filter.month, this.deps.timezone) : undefined;
    return this.deps.store
      .list()
      .filter((v) => filter.residentId === undefined || v.residentId === filter.residentId)
      .filter((v) => !range || (Date.parse(v.visitedAt) >= range.start && Date.parse(v.visitedAt) < range.end))
      .sort((a, b) => b.visitedAt.localeCompare(a.visitedAt) || b.recordedAt.localeCompare(a.recordedAt));
  }

  /** What is wrong with a visit before anything is stored (empty: nothing). */
  check(input: NewVisit): VisitIssue[] {
    const issues: VisitIssue[] = [];
    if (!this.deps.registry.getResident(input.residentId)) issues.push({ path: 'residentId', message: `resident ${input.residentId} does not exist` });
    const at = Date.parse(input.visitedAt);
    const now = this.deps.now();
    if (Number.isNaN(at)) issues.push({ path: 'visitedAt', message: 'must be a date-time such as 2026-11-24T08:00:00+08:00' });
    else if (at > now + FUTURE_SKEW_MS) issues.push({ path: 'visitedAt', message: 'must not be in the future' });
    else if (at < now - MAX_VISIT_AGE_MS) issues.push({ path: 'visitedAt', message: 'must be within the last 31 days' });
    return issues;
  }

  /**
   * Logs a visit. A follow-up (asked for, or the resident needs help) first
   * raises a medium `visit_follow_up` alert for operators — on disk before the
   * visit is stored, so a stored follow-up visit always has its alert; a retry
   * after a failure adds an occurrence to the same open alert, not a second one.
   */
  async log(input: NewVisit, user: { username: string; displayName: string }): Promise<VisitRecord> {
    const issues = this.check(input);
    if (issues.length > 0) throw new InvalidVisit(issues);
    const resident = this.deps.registry.requireResident(input.residentId);
    const actor = `user:${user.username}`;
    const now = new Date(this.deps.now()).toISOString();
    const visit: VisitRecord = {
      id: `vis-${randomUUID().slice(0, 8)}`,
      residentId: resident.id,
      homeId: resident.homeId,
      visitedAt: new Date(input.visitedAt).toISOString(),
      visitor: input.visitor?.trim() || user.displayName || user.username,
      condition: input.condition,
      notes: input.notes,
      followUp: input.followUp,
      recordedAt: now,
      recordedBy: actor,
    };
    if (needsFollowUp(visit)) {
      // Raised now, not at visitedAt: the SLA timers (60 s / 180 s) run from when operators can see it.
      const alert = await this.deps.intake.raiseByPerson(
        {
          homeId: resident.homeId,
          residentId: resident.id,
          kind: FOLLOW_UP_ALERT_KIND,
          severity: FOLLOW_UP_SEVERITY,
          title: `Visit follow-up: ${resident.name} (${CONDITION_LABEL[visit.condition]})`,
          details: { visitId: visit.id, residentId: resident.id, visitor: visit.visitor, visitedAt: visit.visitedAt, condition: visit.condition, followUp: visit.followUp, notes: visit.notes },
        },
        actor,
        now,
      );
      visit.followUpAlertId = alert.id;
    }
    await this.deps.store.add(visit);
    this.deps.audit.record('visit.logged', actor, visit.id, { residentId: visit.residentId, condition: visit.condition, followUp: visit.followUp, alertId: visit.followUpAlertId });
    return visit;
  }

  profile(residentId: string): ResidentVisitProfile {
    const resident = this.deps.registry.requireResident(residentId);
    return this.view(resident, this.deps.registry.getHome(resident.homeId));
  }

  /**
   * Sets a resident's special-hardship flag and/or the community of the
   * resident's home (the community belongs to the home: it is where the
   * resident lives). A flag change is dated now in the flag history, which
   * decides the months the resident counts for.
   */
  async updateResident(residentId: string, change: { specialHardship?: boolean | undefined; community?: string | null | undefined }, actor: string): Promise<ResidentVisitProfile> {
    const before = this.deps.registry.requireResident(residentId);
    const home = this.deps.registry.getHome(before.homeId);
    if (!home) throw notFound('home', before.homeId);
    let resident = before;
    if (change.specialHardship !== undefined && change.specialHardship !== Boolean(before.specialHardship)) {
      const periods = effectivePeriods(before, this.deps.store.hardshipHistory(residentId));
      resident = await this.deps.registry.updateResident(residentId, (r) => ({ ...r, specialHardship: change.specialHardship! }));
      const at = resident.updatedAt;
      if (change.specialHardship) periods.push({ from: at });
      else {
        const open = periods.at(-1);
        if (open && open.to === undefined) open.to = at;
      }
      await this.deps.store.setHardshipHistory(residentId, periods);
    }
    let updatedHome: HomeRecord = home;
    const community = change.community === undefined ? undefined : change.community?.trim() || null;
    if (community !== undefined && community !== (home.community ?? null)) {
      updatedHome = await this.deps.registry.updateHome(home.id, (h) => ({ ...h, community: community ?? undefined }));
    }
    this.deps.audit.record('resident.updated', actor, residentId, {
      ...(change.specialHardship !== undefined ? { specialHardship: change.specialHardship } : {}),
      ...(community !== undefined ? { community, homeId: home.id } : {}),
    });
    return this.view(resident, updatedHome);
  }

  private view(resident: ResidentRecord, home: HomeRecord | undefined): ResidentVisitProfile {
    return {
      id: resident.id,
      homeId: resident.homeId,
      name: resident.name,
      specialHardship: resident.specialHardship,
      community: home?.community ?? null,
      hardshipPeriods: effectivePeriods(resident, this.deps.store.hardshipHistory(resident.id)),
    };
  }

  /** Every resident with a home, with their reconciled flag periods (flagged or not: past months need both). */
  private roster(): RosterResident[] {
    const out: RosterResident[] = [];
    // Every resident of every home: each of a couple is due their own visit.
    for (const home of this.deps.registry.listHomes()) {
      for (const resident of this.deps.registry.listResidents(home.id)) {
        const periods = effectivePeriods(resident, this.deps.store.hardshipHistory(resident.id));
        if (periods.length === 0) continue;
        out.push({ residentId: resident.id, name: resident.name, homeId: home.id, address: home.address, community: home.community ?? null, periods });
      }
    }
    return out;
  }
}
