/**
 * Alerts: /api/v1/alerts — list with filters and paging, one alert with its
 * timeline, and the operator actions of the lifecycle. Every action returns
 * the updated alert once its journal line is on disk.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { ALERT_STATUSES, OUTCOMES, RESPONDER_KINDS, RESPONDER_STATES, SEVERITIES, summarize } from '../../alerts/alert.js';
import type { AlertLifecycle } from '../../alerts/alert-lifecycle.js';
import type { AlertStore } from '../../alerts/alert-store.js';
import { allow, assertHomeVisible, visibleHomeIds, type ApiEnv } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import { jsonBody, queryParams } from '../validation.js';

const isoTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date-time such as 2026-11-24T08:00:00Z')
  .transform((s) => new Date(s).toISOString());

const listQuery = z.object({
  status: z.enum([...ALERT_STATUSES, 'unresolved']).optional(),
  severity: z.enum(SEVERITIES).optional(),
  kind: z.string().max(50).optional(),
  homeId: z.string().max(50).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});

const dispatchBody = z.object({
  responders: z
    .array(
      z.object({
        kind: z.enum(RESPONDER_KINDS),
        name: z.string().trim().min(1).max(100),
        phone: z.string().trim().regex(/^\+?[0-9 ()-]{3,30}$/, 'must be a phone number').optional(),
      }),
    )
    .min(1, 'name at least one responder')
    .max(10),
});
const responderBody = z.object({ state: z.enum(RESPONDER_STATES) });
const noteBody = z.object({ text: z.string().trim().min(1).max(4000) });
const resolveBody = z.object({ outcome: z.enum(OUTCOMES), note: z.string().trim().max(4000).optional() });
const emptyBody = z.object({}).strict();

export function alertsRoutes(deps: { alerts: AlertStore; lifecycle: AlertLifecycle }) {
  const app = new Hono<ApiEnv>();
  const readers = allow('admin', 'supervisor', 'operator', 'family');
  const handlers = allow('admin', 'supervisor', 'operator');
  const actor = (c: { get(k: 'session'): { username: string } }) => `user:${c.get('session').username}`;

  app.get('/', readers, (c) => {
    const q = queryParams(c, listQuery);
    const session = c.get('session');
    let homeIds = visibleHomeIds(session);
    if (q.homeId) {
      assertHomeVisible(session, q.homeId);
      homeIds = new Set([q.homeId]);
    }
    const all = deps.alerts.list({
      status: q.status === 'unresolved' ? undefined : q.status,
      unresolved: q.status === 'unresolved',
      severity: q.severity,
      kind: q.kind,
      homeIds,
      from: q.from,
      to: q.to,
    });
    return c.json({ alerts: all.slice(q.offset, q.offset + q.limit).map(summarize), total: all.length, offset: q.offset, limit: q.limit });
  });

  app.get('/:alertId', readers, (c) => {
    const id = c.req.param('alertId');
    const alert = deps.alerts.get(id);
    const session = c.get('session');
    // 404, not 403, for another family's alert: do not confirm it exists.
    if (!alert || (session.role === 'family' && !session.homeIds.includes(alert.homeId))) {
      throw new HttpError(404, 'not_found', `alert ${id} does not exist`);
    }
    return c.json(alert);
  });

  app.post('/:alertId/acknowledge', handlers, async (c) => {
    await jsonBody(c, emptyBody);
    return c.json(await deps.lifecycle.acknowledge(c.req.param('alertId'), actor(c)));
  });

  app.post('/:alertId/dispatch', handlers, async (c) => {
    const { responders } = await jsonBody(c, dispatchBody);
    return c.json(await deps.lifecycle.dispatch(c.req.param('alertId'), actor(c), responders));
  });

  app.patch('/:alertId/responders/:responderId', handlers, async (c) => {
    const { state } = await jsonBody(c, responderBody);
    return c.json(await deps.lifecycle.updateResponder(c.req.param('alertId'), c.req.param('responderId'), state, actor(c)));
  });

  app.post('/:alertId/notes', handlers, async (c) => {
    const { text } = await jsonBody(c, noteBody);
    return c.json(await deps.lifecycle.addNote(c.req.param('alertId'), actor(c), text));
  });

  app.post('/:alertId/resolve', handlers, async (c) => {
    const { outcome, note } = await jsonBody(c, resolveBody);
    return c.json(await deps.lifecycle.resolve(c.req.param('alertId'), actor(c), outcome, note));
  });

  app.post('/:alertId/silence', handlers, async (c) => {
    await jsonBody(c, emptyBody);
    return c.json(await deps.lifecycle.silence(c.req.param('alertId'), actor(c)));
  });

  return app;
}
