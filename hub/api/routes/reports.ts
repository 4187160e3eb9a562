/**
 * Supervisor reports (issue 5): GET /reports/summary and one CSV per table
 * (GET /reports/<table>.csv) over a period [from, to), and the monthly visit
 * rate (GET /reports/visits). Definitions of every figure: docs/REPORTS.md.
 */
import { z } from 'zod';
import type { ReportService } from '../../reports/report-service.js';
import { REPORT_TABLE_NAMES, type ReportTableName } from '../../reports/summary.js';
import { MONTH_PATTERN } from '../../visits/months.js';
import type { VisitService } from '../../visits/visit-service.js';
import { HttpError } from '../errors.js';
import { defineRoute, jsonResponse, newRouter } from '../openapi-route.js';

const readers = ['admin', 'supervisor'] as const;
const isoTime = z.iso.datetime({ offset: true, error: 'must be a date-time such as 2026-11-01T00:00:00+08:00' });
const periodQuery = z.object({
  from: isoTime.optional().describe('alerts raised at or after; default: the start of this month in the hub\u2019s time zone'),
  to: isoTime.optional().describe('alerts raised before; default: the start of next month'),
});

const VisitRate = z
  .looseObject({
    month: z.string(),
    timezone: z.string(),
    from: z.string(),
    to: z.string(),
    target: z.number(),
    overall: z.looseObject({ residents: z.number().int(), visited: z.number().int(), notVisited: z.number().int(), rate: z.number().nullable(), targetMet: z.boolean().nullable() }),
    byCommunity: z.array(z.looseObject({ community: z.string().nullable(), residents: z.number().int(), visited: z.number().int(), rate: z.number().nullable() })),
    notVisited: z.array(z.looseObject({ residentId: z.string(), name: z.string(), community: z.string().nullable() })),
  })
  .meta({ id: 'VisitRate' });

const Summary = z
  .looseObject({
    period: z.object({ from: z.string(), to: z.string(), timezone: z.string() }),
    alerts: z.looseObject({ total: z.number().int(), byKind: z.array(z.looseObject({})), bySeverity: z.array(z.looseObject({})) }),
    responseTimes: z.array(z.looseObject({ scope: z.string() })),
    outcomes: z.looseObject({}),
    falseAlarms: z.array(z.looseObject({})),
    devices: z.looseObject({ total: z.number().int(), online: z.number().int(), onlineRate: z.number().nullable() }),
    visits: z.array(VisitRate),
    followUp: z.looseObject({}).describe('stalled alerts (holder / supervisor re-alerted), late responders, time to the scene'),
    callbacks: z.array(z.looseObject({ reason: z.string(), due: z.number().int(), onTime: z.number().int(), onTimeShare: z.number().nullable() })).describe('call-backs first due in the period: all, then per reason'),
    reviews: z.looseObject({ reviewed: z.array(z.looseObject({})), awaiting: z.array(z.looseObject({})) }).describe('incident reviews, and resolved critical alerts waiting for one'),
  })
  .meta({ id: 'ReportSummary' });

const csvResponse = (description: string) => ({ description, content: { 'text/csv': { schema: z.string() } } }) as const;

const routes = {
  summary: defineRoute({
    method: 'get',
    path: '/summary',
    roles: readers,
    summary: 'Every report figure over [from, to): alerts by kind and severity, answer times vs the TSA standard, dispatch and resolve times, outcomes, false alarms, devices now, visit rates',
    request: { query: periodQuery },
    responses: { 200: jsonResponse(Summary, 'the report') },
  }),
  visits: defineRoute({
    method: 'get',
    path: '/visits',
    roles: readers,
    summary: 'Monthly visit rate of special-hardship residents, overall and per community, with the residents not visited',
    request: { query: z.object({ month: z.string().regex(MONTH_PATTERN, 'must be a month such as 2026-11').optional().describe('YYYY-MM in the hub\u2019s time zone; default: this month') }) },
    responses: { 200: jsonResponse(VisitRate, 'the month\u2019s visit rate') },
  }),
};

/** One CSV route per table: GET /reports/<table>.csv. */
const csvRoute = (table: ReportTableName) =>
  defineRoute({
    method: 'get',
    path: `/${table}.csv`,
    roles: readers,
    summary: `The ${table} table as CSV (header row, UTF-8 with BOM, formula-safe)`,
    request: { query: periodQuery },
    responses: { 200: csvResponse(`${table} as CSV`) },
  });

export function reportsRoutes(deps: { reports: ReportService; visits: VisitService }) {
  const app = newRouter();

  const period = (q: { from?: string | undefined; to?: string | undefined }) => {
    const fallback = deps.reports.defaultPeriod();
    const from = q.from ? Date.parse(q.from) : fallback.from;
    const to = q.to ? Date.parse(q.to) : fallback.to;
    if (!(from < to)) throw new HttpError(400, 'invalid_query', 'invalid query: to: must be after from', [{ path: 'to', message: 'must be after from' }]);
    return { from, to };
  };

  app.openapi(routes.summary, (c) => c.json(deps.reports.summary(period(c.req.valid('query'))) as unknown as Record<string, unknown>, 200));

  app.openapi(routes.visits, (c) => c.json(deps.visits.rate(c.req.valid('query').month ?? deps.visits.currentMonth()) as unknown as Record<string, unknown>, 200));

  for (const table of REPORT_TABLE_NAMES) {
    app.openapi(csvRoute(table), (c) => {
      const p = period(c.req.valid('query'));
      const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      return c.body(deps.reports.csv(table, p), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${table}_${stamp(p.from)}_${stamp(p.to)}.csv"`,
        'Cache-Control': 'no-store',
      });
    });
  }

  return app;
}
