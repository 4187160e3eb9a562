/** The audit view for supervisors and admins: /api/v1/audit, newest first. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import { allow, type ApiEnv } from '../auth-middleware.js';
import { queryParams } from '../validation.js';

const auditQuery = z.object({
  action: z.string().max(100).optional(),
  actor: z.string().max(200).optional(),
  target: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export function auditRoutes(deps: { audit: AuditLog }) {
  const app = new Hono<ApiEnv>();
  app.get('/', allow('admin', 'supervisor'), (c) => {
    const q = queryParams(c, auditQuery);
    const entries = deps.audit
      .recent()
      .filter((e) => (!q.action || e.action.startsWith(q.action)) && (!q.actor || e.actor === q.actor) && (!q.target || e.target === q.target))
      .slice(-q.limit)
      .reverse();
    return c.json({ entries });
  });
  return app;
}
