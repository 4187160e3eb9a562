/**
 * Call-backs and wellbeing plans (issue 13 item 6): /api/v1/callbacks — the
 * agenda (due today and overdue), every call-back by status, an operator's own
 * call-back, and the outcome of each call; /api/v1/wellbeing-plans — recurring
 * proactive calls per home. Operators, supervisors and admins only: these
 * name residents and their homes.
 */
import { z } from 'zod';
import { CALLBACK_OUTCOMES, CALLBACK_REASONS, CALLBACK_STATUSES } from '../../callbacks/callback.js';
import type { CallbackService } from '../../callbacks/callback-service.js';
import type { CallbackStore } from '../../callbacks/callback-store.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { Ok } from '../schemas.js';
import { actorOf } from '../auth-middleware.js';

const handlers = ['admin', 'supervisor', 'operator'] as const;
const iso = z.string().describe('ISO 8601 date-time (UTC)');
const isoTime = z.iso.datetime({ offset: true, error: 'must be a date-time such as 2026-11-24T10:00:00+08:00' });
const note = z.string().trim().max(2000).optional();

export const Callback = z
  .looseObject({
    id: z.string(),
    homeId: z.string(),
    residentId: z.string().optional(),
    reason: z.enum(CALLBACK_REASONS),
    alertId: z.string().optional(),
    planId: z.string().optional(),
    dueAt: iso.describe('due now; a no-answer moves it to the retry time'),
    firstDueAt: iso.describe('the first due time, which "on time" is judged against'),
    status: z.enum(CALLBACK_STATUSES),
    attempts: z.array(z.looseObject({ at: iso, actor: z.string(), outcome: z.enum(CALLBACK_OUTCOMES), note: z.string().optional() })),
    outcome: z.enum(CALLBACK_OUTCOMES).optional(),
    completedAt: iso.optional(),
  })
  .meta({ id: 'Callback' });

const Plan = z
  .looseObject({ id: z.string(), homeId: z.string(), everyDays: z.number().int(), firstDueAt: iso, note: z.string().optional(), createdBy: z.string() })
  .meta({ id: 'WellbeingPlan' });

const routes = {
  list: defineRoute({
    method: 'get',
    path: '/callbacks',
    replica: true,
    roles: handlers,
    summary: 'Call-backs, soonest due first: the agenda (pending, due before the end of today in the hub\u2019s zone, overdue included) or by status',
    request: {
      query: z.object({
        view: z.enum(['agenda', ...CALLBACK_STATUSES, 'all']).default('agenda'),
        homeId: z.string().max(50).optional(),
      }),
    },
    responses: { 200: jsonResponse(z.object({ callbacks: z.array(Callback) }), 'the call-backs') },
  }),
  create: defineRoute({
    method: 'post',
    path: '/callbacks',
    roles: handlers,
    summary: 'Schedule a call-back to a home',
    request: { body: jsonRequest(z.object({ homeId: z.string().min(1).max(50), dueAt: isoTime, note }).strict()) },
    responses: { 201: jsonResponse(Callback, 'the call-back') },
  }),
  log: defineRoute({
    method: 'post',
    path: '/callbacks/{callbackId}/outcome',
    roles: handlers,
    summary: 'Log a call: reached_ok and needs_help complete it (needs_help also raises an alert); no_answer keeps it due again at retryAt (default in 30 min)',
    request: {
      params: z.object({ callbackId: z.string().max(50) }),
      body: jsonRequest(z.object({ outcome: z.enum(CALLBACK_OUTCOMES), note, retryAt: isoTime.optional() }).strict()),
    },
    responses: { 200: jsonResponse(Callback, 'the call-back after this call') },
  }),
  plans: defineRoute({
    method: 'get',
    path: '/wellbeing-plans',
    replica: true,
    roles: handlers,
    summary: 'Recurring wellbeing calls that are running',
    request: { query: z.object({ homeId: z.string().max(50).optional() }) },
    responses: { 200: jsonResponse(z.object({ plans: z.array(Plan) }), 'the plans') },
  }),
  setPlan: defineRoute({
    method: 'post',
    path: '/wellbeing-plans',
    roles: handlers,
    summary: 'Start recurring wellbeing calls to a home: the first at firstDueAt, then every everyDays days',
    request: { body: jsonRequest(z.object({ homeId: z.string().min(1).max(50), everyDays: z.number().int().min(1).max(90), firstDueAt: isoTime, note }).strict()) },
    responses: { 201: jsonResponse(Plan, 'the plan; its first call-back is scheduled') },
  }),
  endPlan: defineRoute({
    method: 'delete',
    path: '/wellbeing-plans/{planId}',
    roles: handlers,
    summary: 'End a wellbeing plan; its pending call is cancelled',
    request: { params: z.object({ planId: z.string().max(50) }) },
    responses: { 200: jsonResponse(Ok, 'ended') },
  }),
};

export function callbacksRoutes(deps: { callbacks: CallbackService; callbackStore: CallbackStore }) {
  const app = newRouter();

  app.openapi(routes.list, (c) => {
    const { view, homeId } = c.req.valid('query');
    const all = view === 'agenda' ? deps.callbacks.agenda() : deps.callbackStore.list({ status: view === 'all' ? undefined : view });
    return c.json({ callbacks: all.filter((cb) => !homeId || cb.homeId === homeId) }, 200);
  });
  app.openapi(routes.create, async (c) => c.json(await deps.callbacks.schedule(c.req.valid('json'), actorOf(c)), 201));
  app.openapi(routes.log, async (c) => {
    const { outcome, note: text, retryAt } = c.req.valid('json');
    return c.json(await deps.callbacks.log(c.req.valid('param').callbackId, actorOf(c), outcome, text, retryAt), 200);
  });
  app.openapi(routes.plans, (c) => c.json({ plans: deps.callbackStore.listPlans(c.req.valid('query').homeId) }, 200));
  app.openapi(routes.setPlan, async (c) => c.json(await deps.callbacks.setPlan(c.req.valid('json'), actorOf(c)), 201));
  app.openapi(routes.endPlan, async (c) => {
    await deps.callbacks.endPlan(c.req.valid('param').planId, actorOf(c));
    return c.json({ ok: true as const }, 200);
  });
  return app;
}
