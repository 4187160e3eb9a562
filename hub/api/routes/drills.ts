/**
 * Drills (应急演练, issue 13 item 8): POST /drills starts one for a live home or
 * a whole community, GET /drills lists them, GET /drills/{drillId} is the
 * drill report (answer, dispatch and on-scene times against the targets),
 * POST /drills/{drillId}/end ends it. Supervisors run drills; admins may read.
 */
import { z } from 'zod';
import { DRILL_KINDS } from '../../drills/drill.js';
import type { DrillService } from '../../drills/drill-service.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { actorOf } from '../auth-middleware.js';

const readers = ['admin', 'supervisor'] as const;
const runners = ['supervisor'] as const;
const seconds = (what: string) => z.number().int().min(1).max(86_400).optional().describe(what);

const StartDrillBody = z
  .strictObject({
    kind: z.enum(DRILL_KINDS).describe('the critical alert to rehearse'),
    homeId: z.string().min(1).max(100).optional().describe('one live home'),
    community: z.string().trim().min(1).max(100).optional().describe('every live home of this community (the home\u2019s `community`)'),
    note: z.string().max(500).optional(),
    targets: z
      .strictObject({ answerSec: seconds('default 60'), dispatchSec: seconds('default 300'), onSceneSec: seconds('default 900') })
      .optional()
      .describe('override the drill targets'),
  })
  .refine((b) => (b.homeId === undefined) !== (b.community === undefined), { message: 'give exactly one: homeId (one live home) or community (its every live home)', path: ['homeId'] })
  .meta({ id: 'StartDrill' });

const Targets = z.object({ answerSec: z.number(), dispatchSec: z.number(), onSceneSec: z.number() });
const Drill = z
  .looseObject({
    id: z.string(),
    kind: z.enum(DRILL_KINDS),
    scope: z.union([z.object({ homeId: z.string() }), z.object({ community: z.string() })]),
    homeIds: z.array(z.string()),
    alertIds: z.array(z.string()),
    targets: Targets,
    note: z.string().optional(),
    startedAt: z.string(),
    startedBy: z.string(),
    endedAt: z.string().optional(),
    endedBy: z.string().optional(),
  })
  .meta({ id: 'Drill' });

const Step = z.object({ seconds: z.number().nullable(), targetSec: z.number(), met: z.boolean().nullable().describe('null: not happened yet, drill still running') });
const Total = z.object({ met: z.number().int(), of: z.number().int() });
const DrillReport = z
  .object({
    drill: Drill,
    alerts: z.array(z.looseObject({ alertId: z.string(), homeId: z.string(), status: z.string(), answer: Step, dispatch: Step, onScene: Step })),
    totals: z.object({ answer: Total, dispatch: Total, onScene: Total }),
  })
  .meta({ id: 'DrillReport' });

const drillParam = z.object({ drillId: z.string().min(1).max(100) });

const routes = {
  list: defineRoute({
    method: 'get',
    path: '/',
    replica: true,
    roles: readers,
    summary: 'Every drill, newest first',
    responses: { 200: jsonResponse(z.object({ drills: z.array(Drill) }), 'the drills') },
  }),
  start: defineRoute({
    method: 'post',
    path: '/',
    roles: runners,
    summary: 'Start a drill: one critical drill alert per live home (one home, or a community), marked DRILL everywhere and left out of every report figure',
    request: { body: jsonRequest(StartDrillBody) },
    responses: { 201: jsonResponse(Drill, 'the drill, its alerts raised') },
  }),
  report: defineRoute({
    method: 'get',
    path: '/{drillId}',
    replica: true,
    roles: readers,
    summary: 'The drill report: answer, dispatch and on-scene times of each drill alert against the targets',
    request: { params: drillParam },
    responses: { 200: jsonResponse(DrillReport, 'the report') },
  }),
  end: defineRoute({
    method: 'post',
    path: '/{drillId}/end',
    roles: runners,
    summary: 'End the drill; its alerts still open are resolved',
    request: { params: drillParam },
    responses: { 200: jsonResponse(Drill, 'the ended drill') },
  }),
};

export function drillsRoutes(deps: { drills: DrillService }) {
  const app = newRouter();

  app.openapi(routes.list, (c) => c.json({ drills: deps.drills.list() }, 200));
  app.openapi(routes.start, async (c) => c.json(await deps.drills.start(c.req.valid('json'), actorOf(c)), 201));
  app.openapi(routes.report, (c) => c.json(deps.drills.report(c.req.valid('param').drillId), 200));
  app.openapi(routes.end, async (c) => c.json(await deps.drills.end(c.req.valid('param').drillId, actorOf(c)), 200));
  return app;
}
