/**
 * A resident's profile: GET /residents/{id} and PATCH /residents/{id}/profile
 * (name, conditions, medication notes, access and key-safe notes, ordered
 * contacts…). The special-hardship flag is changed through PATCH
 * /residents/{id} (routes/visits.ts), which keeps the flag's history for the
 * monthly visit rate. The audit names the fields changed, never their values:
 * medical notes do not belong in an audit trail.
 */
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Registry } from '../../registry/registry.js';
import { residentInputSchema, type ResidentRecord } from '../../registry/records.js';
import type { Session } from '../../auth/sessions.js';
import { actorOf, assertHomeVisible } from '../auth-middleware.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { Resident } from '../schemas.js';

const params = z.object({ id: z.string().max(100) });
/**
 * Every profile field optional and without its default: `.partial()` would
 * still fill in defaults (an omitted `conditions` would become [] and erase
 * the resident's conditions).
 */
const profileChange = z
  .object(
    Object.fromEntries(
      Object.entries(residentInputSchema.omit({ specialHardship: true }).shape).map(([key, field]) => [
        key,
        (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field).optional(),
      ]),
    ),
  )
  .strict();

const routes = {
  get: defineRoute({
    method: 'get',
    path: '/residents/{id}',
    roles: ['admin', 'supervisor', 'operator', 'installer', 'family'],
    summary: 'A resident\u2019s profile (installers: without medical notes)',
    request: { params },
    responses: { 200: jsonResponse(Resident, 'the resident') },
  }),
  update: defineRoute({
    method: 'patch',
    path: '/residents/{id}/profile',
    roles: ['admin', 'supervisor', 'operator'],
    summary: 'Change a resident\u2019s profile: only the fields given; contacts are replaced as a whole, in call order',
    request: { params, body: jsonRequest(profileChange) },
    responses: { 200: jsonResponse(Resident, 'the resident') },
  }),
};

/** What a session may see of a resident: installers get what installing needs, not medical notes. */
export function residentFor(session: Session, resident: ResidentRecord) {
  if (session.role !== 'installer') return resident;
  const { medicationNotes: _m, conditions: _c, ruleSettings: _r, ...rest } = resident;
  return rest;
}

export function residentsRoutes(deps: { registry: Registry; audit: AuditLog }) {
  const app = newRouter();

  app.openapi(routes.get, (c) => {
    const { id } = c.req.valid('param');
    const resident = deps.registry.requireResident(id);
    assertHomeVisible(c.get('session'), resident.homeId, `resident ${id}`);
    return c.json(residentFor(c.get('session'), resident), 200);
  });

  app.openapi(routes.update, async (c) => {
    const change = c.req.valid('json');
    const resident = await deps.registry.updateResident(c.req.valid('param').id, (r) => ({ ...r, ...change }));
    deps.audit.record('resident.profile_updated', actorOf(c), resident.id, { fields: Object.keys(change) });
    return c.json(resident, 200);
  });

  return app;
}
