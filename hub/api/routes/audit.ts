/** The audit view for supervisors and admins: /api/v1/audit, newest first. */
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import { auditWithActorNames, type NameOf } from '../actor-names.js';
import { defineRoute, jsonResponse, newRouter } from '../openapi-route.js';
import { AuditEntry } from '../schemas.js';

const route = defineRoute({
  method: 'get',
  path: '/',
  roles: ['admin', 'supervisor'],
  replica: true,
  summary: 'Recent audited actions, newest first',
  request: {
    query: z.object({
      action: z.string().max(100).optional().describe('prefix, e.g. alert. or mqtt.'),
      actor: z.string().max(200).optional(),
      target: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(200),
    }),
  },
  responses: { 200: jsonResponse(z.object({ entries: z.array(AuditEntry) }), 'audit entries') },
});

export function auditRoutes(deps: { audit: AuditLog; nameOf: NameOf }) {
  const app = newRouter();
  app.openapi(route, (c) => {
    const q = c.req.valid('query');
    const entries = deps.audit
      .recent()
      .filter((e) => (!q.action || e.action.startsWith(q.action)) && (!q.actor || e.actor === q.actor) && (!q.target || e.target === q.target))
      .slice(-q.limit)
      .reverse();
    return c.json({ entries: entries.map((e) => auditWithActorNames(e, deps.nameOf)) }, 200);
  });
  return app;
}
