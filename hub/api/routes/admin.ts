/**
 * The admin's view of the hub's data (issue 13 item 2): GET /admin/data-status —
 * the newest backup and its age, and what the hub keeps (journal months,
 * alerts, the delivery log). Computed from the files on each request
 * (hub/storage/data-status.ts); it reveals sizes and dates, never content.
 */
import { z } from 'zod';
import type { DataStatus } from '../../storage/data-status.js';
import { defineRoute, jsonResponse, newRouter } from '../openapi-route.js';

const MonthFile = z.object({ month: z.string().describe('YYYY-MM'), bytes: z.number().int() });

const DataStatusBody = z
  .looseObject({
    checkedAt: z.string(),
    storage: z.enum(['files', 'postgres']),
    backup: z.looseObject({
      dir: z.string().nullable().describe('HUB_BACKUP_DIR; null when not set'),
      count: z.number().int(),
      latest: z
        .looseObject({ name: z.string(), createdAt: z.string(), ageHours: z.number(), files: z.number().int(), bytes: z.number().int(), journalLines: z.number().int() })
        .nullable(),
      maxAgeHours: z.number(),
      overdue: z.boolean().describe('no backup, or the newest is older than maxAgeHours'),
      problem: z.string().optional(),
    }),
    retention: z.looseObject({
      journal: z.looseObject({ months: z.array(MonthFile).nullable().describe('null with PostgreSQL'), alerts: z.number().int(), oldestAlertAt: z.string().nullable() }),
      deliveries: z.looseObject({ months: z.array(MonthFile) }),
    }),
  })
  .meta({ id: 'DataStatus' });

const routes = {
  dataStatus: defineRoute({
    method: 'get',
    path: '/data-status',
    roles: ['admin'],
    summary: 'Backups (newest, age, overdue) and what the hub keeps: journal months, alerts, delivery log',
    responses: { 200: jsonResponse(DataStatusBody, 'the status') },
  }),
};

export function adminRoutes(deps: { dataStatus(): Promise<DataStatus> }) {
  const app = newRouter();
  app.openapi(routes.dataStatus, async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(await deps.dataStatus(), 200);
  });
  return app;
}
