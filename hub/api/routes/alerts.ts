/** Alerts: /api/v1/alerts (the lifecycle actions arrive with the rules-engine issue). */
import { Hono } from 'hono';
import { z } from 'zod';
import { ALERT_STATUSES, SEVERITIES, summarize } from '../../alerts/alert.js';
import type { AlertService } from '../../alerts/alert-service.js';
import { allow, assertHomeVisible, visibleHomeIds, type ApiEnv } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import { queryParams } from '../validation.js';

const listQuery = z.object({
  status: z.enum(ALERT_STATUSES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  kind: z.string().max(50).optional(),
  homeId: z.string().max(50).optional(),
});

export function alertsRoutes(deps: { alerts: AlertService }) {
  const app = new Hono<ApiEnv>();
  const readers = allow('admin', 'supervisor', 'operator', 'family');

  app.get('/', readers, (c) => {
    const query = queryParams(c, listQuery);
    const session = c.get('session');
    let homeIds = visibleHomeIds(session);
    if (query.homeId) {
      assertHomeVisible(session, query.homeId);
      homeIds = new Set([query.homeId]);
    }
    const alerts = deps.alerts.list({ status: query.status, severity: query.severity, kind: query.kind, homeIds });
    return c.json({ alerts: alerts.map(summarize) });
  });

  app.get('/:alertId', readers, (c) => {
    const id = c.req.param('alertId');
    const alert = deps.alerts.get(id);
    const session = c.get('session');
    if (!alert || (session.role === 'family' && !session.homeIds.includes(alert.homeId))) {
      throw new HttpError(404, 'not_found', `alert ${id} does not exist`);
    }
    return c.json(alert);
  });

  return app;
}
