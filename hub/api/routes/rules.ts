/**
 * The rule catalogue and its per-resident / per-home thresholds:
 * GET /rules, GET|PUT|DELETE /residents/{id}/rule-settings/{ruleId} and
 * /homes/{id}/rule-settings/{ruleId}, POST /residents/{id}/away.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import type { RuleSettingsService, SettingsTarget } from '../../homes/rule-settings.js';
import type { Registry } from '../../registry/registry.js';
import type { AnyRule } from '../../rules/define-rule.js';
import { allow, type ApiEnv } from '../auth-middleware.js';
import { jsonBody } from '../validation.js';

const awayBody = z.object({
  away: z.boolean(),
  until: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date-time').optional(),
});

export interface RulesRouteDeps {
  rules: readonly AnyRule[];
  ruleSettings: RuleSettingsService;
  registry: Registry;
  audit: AuditLog;
}

export function rulesRoutes(deps: RulesRouteDeps) {
  const app = new Hono<ApiEnv>();
  const readers = allow('admin', 'supervisor', 'operator');
  const tuners = allow('admin', 'supervisor');
  const actor = (c: { get(k: 'session'): { username: string } }) => `user:${c.get('session').username}`;

  app.get('/rules', readers, (c) =>
    c.json({
      rules: deps.rules.map((r) => ({
        id: r.id,
        alertKind: r.alertKind,
        severity: r.severity,
        description: r.description,
        on: r.on,
        defaults: r.params.parse({}),
        params: z.toJSONSchema(r.params),
      })),
    }),
  );

  for (const type of ['resident', 'home'] as const) {
    const base = `/${type}s/:id/rule-settings`;
    const target = (id: string): SettingsTarget => ({ type, id });
    app.get(`${base}/:ruleId`, readers, (c) => c.json({ params: deps.ruleSettings.effective(target(c.req.param('id')!), c.req.param('ruleId')!) }));
    app.put(`${base}/:ruleId`, tuners, async (c) => {
      const body = await jsonBody(c, z.record(z.string(), z.unknown()));
      return c.json({ params: await deps.ruleSettings.set(target(c.req.param('id')!), c.req.param('ruleId')!, body, actor(c)) });
    });
    app.delete(`${base}/:ruleId`, tuners, async (c) =>
      c.json({ params: await deps.ruleSettings.clear(target(c.req.param('id')!), c.req.param('ruleId')!, actor(c)) }),
    );
  }

  app.post('/residents/:id/away', allow('admin', 'supervisor', 'operator'), async (c) => {
    const { away, until } = await jsonBody(c, awayBody);
    const by = actor(c);
    const resident = await deps.registry.updateResident(c.req.param('id'), (r) => ({
      ...r,
      away: away ? { since: new Date().toISOString(), until: until ? new Date(until).toISOString() : undefined, by } : undefined,
    }));
    deps.audit.record(away ? 'resident.away' : 'resident.back', by, resident.id, until ? { until } : undefined);
    return c.json(resident);
  });

  return app;
}
