/**
 * Visits (探访, issue 5): GET /visits/due, POST /visits, GET /visits, and
 * PATCH /residents/{id} for a resident's special-hardship flag and community.
 * The monthly visit rate is in routes/reports.ts (GET /reports/visits).
 * Months are calendar months in HUB_TIMEZONE.
 */
import { z } from 'zod';
import type { Registry } from '../../registry/registry.js';
import { MONTH_PATTERN } from '../../visits/months.js';
import { VISIT_CONDITIONS } from '../../visits/visit.js';
import type { VisitService } from '../../visits/visit-service.js';
import { HttpError } from '../errors.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { actorOf } from '../auth-middleware.js';

const month = z.string().regex(MONTH_PATTERN, 'must be a month such as 2026-11').describe('calendar month YYYY-MM in the hub\u2019s time zone; default: this month');
const iso = z.string().describe('ISO 8601 date-time (UTC)');

const LastVisit = z.object({ visitId: z.string(), visitedAt: iso, condition: z.enum(VISIT_CONDITIONS), visitor: z.string() }).nullable();

export const DueResident = z
  .looseObject({
    residentId: z.string(),
    name: z.string(),
    homeId: z.string(),
    address: z.string(),
    community: z.string().nullable(),
    lastVisit: LastVisit.describe('the latest visit of any condition, not_home included'),
    lastCompletedVisitAt: iso.nullable().describe('the latest visit that found the resident (what overdue is measured from)'),
    daysSinceLastVisit: z.number().int().nullable(),
    notHomeAttempts: z.number().int().describe('not_home visits this month'),
  })
  .meta({ id: 'DueResident' });

export const Visit = z
  .looseObject({
    id: z.string(),
    residentId: z.string(),
    homeId: z.string(),
    visitedAt: iso,
    visitor: z.string(),
    condition: z.enum(VISIT_CONDITIONS),
    notes: z.string().optional(),
    followUp: z.boolean(),
    followUpAlertId: z.string().optional().describe('the medium visit_follow_up alert raised for operators'),
    recordedAt: iso,
    recordedBy: z.string(),
  })
  .meta({ id: 'Visit' });

const ResidentVisitProfile = z
  .looseObject({
    id: z.string(),
    homeId: z.string(),
    name: z.string(),
    specialHardship: z.boolean(),
    community: z.string().nullable().describe('the community of the resident\u2019s home'),
    hardshipPeriods: z.array(z.object({ from: iso, to: iso.optional() })),
  })
  .meta({ id: 'ResidentVisitProfile' });

const visitors = ['admin', 'visitor'] as const;
const readers = ['admin', 'supervisor', 'operator', 'visitor'] as const;

const routes = {
  due: defineRoute({
    method: 'get',
    path: '/visits/due',
    roles: ['admin', 'supervisor', 'visitor'],
    summary: 'Special-hardship residents not yet visited this month, overdue first (never visited, then longest since the last visit)',
    request: { query: z.object({ month: month.optional() }) },
    responses: { 200: jsonResponse(z.object({ month: z.string(), timezone: z.string(), due: z.array(DueResident) }), 'residents due a visit') },
  }),
  list: defineRoute({
    method: 'get',
    path: '/visits',
    roles: readers,
    summary: 'Visits, newest first, by resident and/or month',
    request: {
      query: z.object({
        residentId: z.string().max(100).optional(),
        month: month.optional().describe('calendar month YYYY-MM in the hub\u2019s time zone; default: every month'),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
        offset: z.coerce.number().int().min(0).default(0),
      }),
    },
    responses: { 200: jsonResponse(z.object({ visits: z.array(Visit), total: z.number().int(), offset: z.number().int(), limit: z.number().int() }), 'a page of visits') },
  }),
  create: defineRoute({
    method: 'post',
    path: '/visits',
    roles: visitors,
    summary: 'Log a visit; follow-up (or needs_help) raises a medium visit_follow_up alert for operators',
    request: {
      body: jsonRequest(
        z
          .object({
            residentId: z.string().trim().min(1).max(100),
            visitedAt: z.iso.datetime({ offset: true, error: 'must be a date-time such as 2026-11-24T08:00:00+08:00' }).describe('not in the future, at most 31 days ago'),
            visitor: z.string().trim().min(1).max(100).optional().describe('who visited; default: your display name'),
            condition: z.enum(VISIT_CONDITIONS, { error: `must be one of: ${VISIT_CONDITIONS.join(', ')}` }).describe('not_home is recorded but does not count as visited'),
            notes: z.string().trim().max(4000).optional(),
            followUp: z.boolean().default(false),
          })
          .strict(),
      ),
    },
    responses: { 201: jsonResponse(Visit, 'the visit, stored') },
  }),
  resident: defineRoute({
    method: 'patch',
    path: '/residents/{id}',
    roles: ['admin', 'operator'],
    summary: 'Set a resident\u2019s special-hardship flag (monthly visits) and the community of their home; audited. Medical fields are not changed here',
    request: {
      params: z.object({ id: z.string().max(100) }),
      body: jsonRequest(
        z
          .object({
            specialHardship: z.boolean().optional(),
            community: z.string().trim().max(200).nullable().optional().describe('null or empty clears it'),
          })
          .strict()
          .refine((b) => b.specialHardship !== undefined || b.community !== undefined, 'give specialHardship and/or community'),
      ),
    },
    responses: { 200: jsonResponse(ResidentVisitProfile, 'the resident\u2019s visit profile') },
  }),
};

export function visitsRoutes(deps: { visits: VisitService; registry: Registry }) {
  const app = newRouter();

  app.openapi(routes.due, (c) => {
    const month = c.req.valid('query').month ?? deps.visits.currentMonth();
    return c.json({ month, timezone: deps.visits.timezone, due: deps.visits.due(month) }, 200);
  });

  app.openapi(routes.list, (c) => {
    const q = c.req.valid('query');
    const all = deps.visits.list({ residentId: q.residentId, month: q.month });
    // The resident's name: visitors cannot read /homes, and a list of ids helps nobody.
    const page = all.slice(q.offset, q.offset + q.limit).map((v) => ({ ...v, residentName: deps.registry.getResident(v.residentId)?.name }));
    return c.json({ visits: page, total: all.length, offset: q.offset, limit: q.limit }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    // Checked before anything is stored or raised: 400 naming the field.
    const issues = deps.visits.check(body);
    if (issues.length > 0) throw new HttpError(400, 'invalid_body', `invalid body: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    const session = c.get('session');
    const user = deps.registry.getUser(session.userId);
    const visit = await deps.visits.log(body, { username: session.username, displayName: user?.displayName ?? session.username });
    return c.json(visit, 201);
  });

  app.openapi(routes.resident, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await deps.visits.updateResident(id, c.req.valid('json'), actorOf(c)), 200);
  });

  return app;
}
