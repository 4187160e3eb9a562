/**
 * Alerts: /api/v1/alerts — list with filters and paging, one alert with its
 * timeline, and the operator actions of the lifecycle. Every action returns
 * the updated alert once its journal line is on disk.
 */
import { z } from 'zod';
import { ALERT_STATUSES, OUTCOMES, RESPONDER_KINDS, RESPONDER_STATES, SEVERITIES, summarize } from '../../alerts/alert.js';
import type { Alert as AlertRecord } from '../../alerts/alert.js';
import type { AlertLifecycle } from '../../alerts/alert-lifecycle.js';
import { withActorNames, type NameOf } from '../actor-names.js';
import type { AlertStore } from '../../alerts/alert-store.js';
import { actorOf, assertHomeVisible, visibleHomeIds } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { Alert, AlertList } from '../schemas.js';

const isoTime = z.iso.datetime({ offset: true, error: 'must be a date-time such as 2026-11-24T08:00:00Z' });

const listQuery = z.object({
  status: z.enum([...ALERT_STATUSES, 'unresolved']).optional(),
  severity: z.enum(SEVERITIES).optional(),
  kind: z.string().max(50).optional(),
  homeId: z.string().max(50).optional(),
  from: isoTime.optional().describe('raisedAt ≥ from'),
  to: isoTime.optional().describe('raisedAt < to'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});

const AlertIdParam = z.object({ alertId: z.string().max(100) });
const handlers = ['admin', 'supervisor', 'operator'] as const;
/** Incident reviews are the supervisor's job (issue 13 item 9). */
const reviewers = ['admin', 'supervisor'] as const;
/** Who may pass on an alert someone else holds. */
const OVERRIDE_ROLES: ReadonlySet<string> = new Set(['admin', 'supervisor']);
const readers = ['admin', 'supervisor', 'operator', 'family'] as const;
const updated = { 200: jsonResponse(Alert, 'the updated alert, after its journal line is on disk') };

const routes = {
  list: defineRoute({ method: 'get', path: '/', roles: readers, replica: true, summary: 'List alerts, most urgent first', request: { query: listQuery }, responses: { 200: jsonResponse(AlertList, 'a page of alerts') } }),
  get: defineRoute({ method: 'get', path: '/{alertId}', roles: readers, replica: true, summary: 'One alert with its timeline', request: { params: AlertIdParam }, responses: { 200: jsonResponse(Alert, 'the alert') } }),
  acknowledge: defineRoute({
    method: 'post',
    path: '/{alertId}/acknowledge',
    roles: handlers,
    summary: 'Claim an open alert (sends help_coming to a bracelet for SOS and fall)',
    request: { params: AlertIdParam, body: jsonRequest(z.object({}).strict()) },
    responses: updated,
  }),
  dispatch: defineRoute({
    method: 'post',
    path: '/{alertId}/dispatch',
    roles: handlers,
    summary: 'Add one or more responders',
    request: {
      params: AlertIdParam,
      body: jsonRequest(
        z.object({
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
        }),
      ),
    },
    responses: updated,
  }),
  responder: defineRoute({
    method: 'patch',
    path: '/{alertId}/responders/{responderId}',
    roles: handlers,
    summary: "Move a responder forward (notified → accepted → on_scene → done)",
    request: { params: z.object({ alertId: z.string(), responderId: z.string() }), body: jsonRequest(z.object({ state: z.enum(RESPONDER_STATES) })) },
    responses: updated,
  }),
  note: defineRoute({
    method: 'post',
    path: '/{alertId}/notes',
    roles: handlers,
    summary: 'Add a note',
    request: { params: AlertIdParam, body: jsonRequest(z.object({ text: z.string().trim().min(1).max(4000) })) },
    responses: updated,
  }),
  resolve: defineRoute({
    method: 'post',
    path: '/{alertId}/resolve',
    roles: handlers,
    summary: 'Resolve with an outcome',
    request: { params: AlertIdParam, body: jsonRequest(z.object({ outcome: z.enum(OUTCOMES), note: z.string().trim().max(4000).optional() })) },
    responses: updated,
  }),
  onMyWay: defineRoute({
    method: 'post',
    path: '/{alertId}/on-my-way',
    roles: ['family'],
    summary: "A family member's \"I'm on my way\": joins the alert as an accepted family responder",
    request: { params: AlertIdParam, body: jsonRequest(z.object({}).strict()) },
    responses: updated,
  }),
  release: defineRoute({
    method: 'post',
    path: '/{alertId}/release',
    roles: handlers,
    summary: 'Give a claimed (not yet dispatched) alert back to the queue; the holder, or a supervisor or admin',
    request: { params: AlertIdParam, body: jsonRequest(z.object({ note: z.string().trim().max(2000).optional() }).strict()) },
    responses: updated,
  }),
  handover: defineRoute({
    method: 'post',
    path: '/{alertId}/handover',
    roles: handlers,
    summary: 'Hand a claimed or dispatched alert over to another operator with a note (shift change); the holder, or a supervisor or admin',
    request: {
      params: AlertIdParam,
      body: jsonRequest(z.object({ to: z.string().trim().min(1).max(100).describe('username of the operator taking it'), note: z.string().trim().min(1, 'say what the next operator needs to know').max(2000) }).strict()),
    },
    responses: updated,
  }),
  review: defineRoute({
    method: 'put',
    path: '/{alertId}/review',
    roles: reviewers,
    summary: 'The incident review of a resolved critical alert: what happened, what went well, what to improve (response times are added by the hub)',
    request: {
      params: AlertIdParam,
      body: jsonRequest(
        z
          .object({
            whatHappened: z.string().trim().min(1).max(4000),
            whatWentWell: z.string().trim().max(4000).optional(),
            toImprove: z.string().trim().min(1).max(4000),
            targetsMet: z.boolean(),
          })
          .strict(),
      ),
    },
    responses: updated,
  }),
  silence: defineRoute({
    method: 'post',
    path: '/{alertId}/silence',
    roles: handlers,
    summary: 'Silence the siren of a smoke or gas alarm (only on an operator request)',
    request: { params: AlertIdParam, body: jsonRequest(z.object({}).strict()) },
    responses: updated,
  }),
};

export interface AlertsRouteDeps {
  alerts: AlertStore;
  lifecycle: AlertLifecycle;
  displayName(userId: string): string | undefined;
  nameOf: NameOf;
}

type Router = ReturnType<typeof newRouter>;
/** The alert as the API returns it: actors with their display names. */
type Named = (alert: AlertRecord) => ReturnType<typeof withActorNames>;

export function alertsRoutes(deps: AlertsRouteDeps) {
  const app = newRouter();
  const named: Named = (alert) => withActorNames(alert, deps.nameOf);
  readingRoutes(app, deps, named);
  answeringRoutes(app, deps, named);
  holdingRoutes(app, deps, named);
  return app;
}

/** The list with its filters, and one alert. */
function readingRoutes(app: Router, deps: AlertsRouteDeps, named: Named): void {
  app.openapi(routes.list, (c) => {
    const q = c.req.valid('query');
    const session = c.get('session');
    let homeIds = visibleHomeIds(session);
    if (q.homeId) {
      assertHomeVisible(session, q.homeId);
      homeIds = new Set([q.homeId]);
    }
    const toIso = (s: string | undefined) => (s ? new Date(s).toISOString() : undefined);
    const all = deps.alerts.list({
      status: q.status === 'unresolved' ? undefined : q.status,
      unresolved: q.status === 'unresolved',
      severity: q.severity,
      kind: q.kind,
      homeIds,
      from: toIso(q.from),
      to: toIso(q.to),
    });
    return c.json({ alerts: all.slice(q.offset, q.offset + q.limit).map(summarize), total: all.length, offset: q.offset, limit: q.limit }, 200);
  });

  app.openapi(routes.get, (c) => {
    const { alertId } = c.req.valid('param');
    const alert = deps.alerts.get(alertId);
    const session = c.get('session');
    // 404, not 403, for another family's alert: do not confirm it exists.
    if (!alert || (session.role === 'family' && !session.homeIds.includes(alert.homeId))) {
      throw new HttpError(404, 'not_found', `alert ${alertId} does not exist`);
    }
    // The incident review is the centre's own assessment of its response, not for the family.
    if (session.role === 'family') return c.json(named({ ...alert, review: undefined }), 200);
    return c.json(named(alert), 200);
  });
}

/** Answering an alert: claim, send help, follow the responders, note, resolve; a family member on the way. */
function answeringRoutes(app: Router, deps: AlertsRouteDeps, named: Named): void {
  app.openapi(routes.acknowledge, async (c) => c.json(named(await deps.lifecycle.acknowledge(c.req.valid('param').alertId, actorOf(c))), 200));
  app.openapi(routes.dispatch, async (c) => c.json(named(await deps.lifecycle.dispatch(c.req.valid('param').alertId, actorOf(c), c.req.valid('json').responders)), 200));
  app.openapi(routes.responder, async (c) => {
    const { alertId, responderId } = c.req.valid('param');
    return c.json(named(await deps.lifecycle.updateResponder(alertId, responderId, c.req.valid('json').state, actorOf(c))), 200);
  });
  app.openapi(routes.note, async (c) => c.json(named(await deps.lifecycle.addNote(c.req.valid('param').alertId, actorOf(c), c.req.valid('json').text)), 200));
  app.openapi(routes.resolve, async (c) => {
    const { outcome, note } = c.req.valid('json');
    return c.json(named(await deps.lifecycle.resolve(c.req.valid('param').alertId, actorOf(c), outcome, note)), 200);
  });
  app.openapi(routes.onMyWay, async (c) => {
    const { alertId } = c.req.valid('param');
    const session = c.get('session');
    const alert = deps.alerts.get(alertId);
    if (!alert || !session.homeIds.includes(alert.homeId)) throw new HttpError(404, 'not_found', `alert ${alertId} does not exist`);
    return c.json(named(await deps.lifecycle.familyOnTheWay(alertId, actorOf(c), deps.displayName(session.userId) ?? session.username)), 200);
  });
}

/** Who holds the alert (release, hand over), its review afterwards, and the siren. */
function holdingRoutes(app: Router, deps: AlertsRouteDeps, named: Named): void {
  const override = (c: { get(k: 'session'): { role: string } }) => OVERRIDE_ROLES.has(c.get('session').role);
  app.openapi(routes.release, async (c) => c.json(named(await deps.lifecycle.release(c.req.valid('param').alertId, actorOf(c), override(c), c.req.valid('json').note)), 200));
  app.openapi(routes.handover, async (c) => {
    const { to, note } = c.req.valid('json');
    return c.json(named(await deps.lifecycle.handOver(c.req.valid('param').alertId, actorOf(c), override(c), to, note)), 200);
  });
  app.openapi(routes.review, async (c) => c.json(named(await deps.lifecycle.review(c.req.valid('param').alertId, actorOf(c), c.req.valid('json'))), 200));
  app.openapi(routes.silence, async (c) => c.json(named(await deps.lifecycle.silence(c.req.valid('param').alertId, actorOf(c))), 200));
}
