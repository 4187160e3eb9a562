/**
 * The rule catalogue and its per-resident / per-home thresholds:
 * GET /rules, GET|PUT|DELETE /residents/{id}/rule-settings/{ruleId} and
 * /homes/{id}/rule-settings/{ruleId}, POST /residents/{id}/away.
 */
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import type { RuleSettingsService } from '../../homes/rule-settings.js';
import type { Registry } from '../../registry/registry.js';
import type { AnyRule } from '../../rules/define-rule.js';
import { HttpError } from '../errors.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { Resident } from '../schemas.js';
import { actorOf } from '../auth-middleware.js';

const readers = ['admin', 'supervisor', 'operator'] as const;
const tuners = ['admin', 'supervisor'] as const;
const Params = z.object({ params: z.record(z.string(), z.unknown()).describe('the effective parameters: defaults, then the home\u2019s, then the resident\u2019s') });
const awayTime = z.iso.datetime({ offset: true, error: 'must be a date-time such as 2026-12-24T08:00:00+08:00' });
const awayBody = z
  .object({ away: z.boolean(), from: awayTime.optional().describe('default: now'), until: awayTime.optional() })
  .strict()
  .refine((b) => !b.from || !b.until || Date.parse(b.until) > Date.parse(b.from), { message: 'must be after from', path: ['until'] });
const settingsParams = z.object({ id: z.string().max(100), ruleId: z.string().max(100) });

function settingsRoutes(type: 'resident' | 'home') {
  const path = `/${type}s/{id}/rule-settings/{ruleId}` as const;
  return {
    get: defineRoute({ method: 'get', path, roles: readers, summary: `Effective parameters of a rule for a ${type}`, request: { params: settingsParams }, responses: { 200: jsonResponse(Params, 'parameters') } }),
    put: defineRoute({
      method: 'put',
      path,
      roles: tuners,
      summary: `Override a rule\u2019s parameters for a ${type} (validated against the rule)`,
      request: { params: settingsParams, body: jsonRequest(z.record(z.string(), z.unknown())) },
      responses: { 200: jsonResponse(Params, 'the effective parameters') },
    }),
    clear: defineRoute({ method: 'delete', path, roles: tuners, summary: `Back to the defaults for a ${type}`, request: { params: settingsParams }, responses: { 200: jsonResponse(Params, 'the effective parameters') } }),
  };
}

const routes = {
  catalogue: defineRoute({
    method: 'get',
    path: '/rules',
    roles: readers,
    summary: 'Every rule with its parameters and defaults',
    responses: { 200: jsonResponse(z.object({ rules: z.array(z.looseObject({ id: z.string(), alertKind: z.string(), severity: z.string(), description: z.string() })) }), 'the catalogue') },
  }),
  resident: settingsRoutes('resident'),
  home: settingsRoutes('home'),
  away: defineRoute({
    method: 'post',
    path: '/residents/{id}/away',
    roles: ['admin', 'supervisor', 'operator'],
    summary: 'Mark a resident away from now or a later `from` (inactivity monitoring pauses) until `until`, or back',
    request: { params: z.object({ id: z.string().max(100) }), body: jsonRequest(awayBody) },
    responses: { 200: jsonResponse(Resident, 'the resident') },
  }),
};

export interface RulesRouteDeps {
  rules: readonly AnyRule[];
  ruleSettings: RuleSettingsService;
  registry: Registry;
  audit: AuditLog;
  now: () => number;
}

export function rulesRoutes(deps: RulesRouteDeps) {
  const app = newRouter();

  app.openapi(routes.catalogue, (c) =>
    c.json(
      {
        rules: deps.rules.map((r) => ({ id: r.id, alertKind: r.alertKind, severity: r.severity, description: r.description, on: r.on, defaults: r.params.parse({}), params: z.toJSONSchema(r.params) })),
      },
      200,
    ),
  );

  for (const type of ['resident', 'home'] as const) {
    const r = routes[type];
    app.openapi(r.get, (c) => {
      const { id, ruleId } = c.req.valid('param');
      return c.json({ params: deps.ruleSettings.effective({ type, id }, ruleId) }, 200);
    });
    app.openapi(r.put, async (c) => {
      const { id, ruleId } = c.req.valid('param');
      return c.json({ params: await deps.ruleSettings.set({ type, id }, ruleId, c.req.valid('json'), actorOf(c)) }, 200);
    });
    app.openapi(r.clear, async (c) => {
      const { id, ruleId } = c.req.valid('param');
      return c.json({ params: await deps.ruleSettings.clear({ type, id }, ruleId, actorOf(c)) }, 200);
    });
  }

  app.openapi(routes.away, async (c) => {
    const { away, from, until } = c.req.valid('json');
    const by = actorOf(c);
    const since = from ? Date.parse(from) : deps.now();
    if (away && until && Date.parse(until) <= Math.max(since, deps.now())) throw new HttpError(400, 'invalid_body', 'invalid body: until: must be in the future', [{ path: 'until', message: 'must be in the future' }]);
    const resident = await deps.registry.updateResident(c.req.valid('param').id, (r) => ({
      ...r,
      away: away ? { since: new Date(since).toISOString(), until: until ? new Date(until).toISOString() : undefined, by } : undefined,
    }));
    deps.audit.record(away ? 'resident.away' : 'resident.back', by, resident.id, away ? { since: new Date(since).toISOString(), ...(until ? { until } : {}) } : undefined);
    return c.json(resident, 200);
  });

  return app;
}
