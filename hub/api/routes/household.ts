/**
 * Couples (issue 13 item 12): another resident in a home, and whose bracelet
 * is whose — POST /homes/{homeId}/residents and
 * PUT /homes/{homeId}/devices/{deviceId}/resident. The people who set a home
 * up (installers, admins) and supervisors may; operators and family may not.
 */
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import { notFound } from '../../core/errors.js';
import { HouseholdService } from '../../homes/household.js';
import type { Registry } from '../../registry/registry.js';
import { residentInputSchema } from '../../registry/records.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { HomeIdParam, Resident } from '../schemas.js';
import { residentFor } from './residents.js';
import { actorOf } from '../auth-middleware.js';

const setters = ['admin', 'supervisor', 'installer'] as const;

const routes = {
  addResident: defineRoute({
    method: 'post',
    path: '/{homeId}/residents',
    roles: setters,
    summary: 'Another resident in this home (a couple): their own profile, thresholds and bracelet; the home\u2019s bracelets so far become its first resident\u2019s',
    request: { params: HomeIdParam, body: jsonRequest(residentInputSchema) },
    responses: { 201: jsonResponse(Resident, 'the new resident') },
  }),
  assign: defineRoute({
    method: 'put',
    path: '/{homeId}/devices/{deviceId}/resident',
    roles: setters,
    summary: 'Give a bracelet to one of the home\u2019s residents: their thresholds apply and its alerts name them',
    request: {
      params: HomeIdParam.extend({ deviceId: z.string().max(100) }),
      body: jsonRequest(z.object({ residentId: z.string().trim().min(1).max(100) }).strict()),
    },
    responses: { 200: jsonResponse(z.looseObject({ id: z.string(), homeId: z.string(), kind: z.string(), residentId: z.string() }), 'the device') },
  }),
};

export function householdRoutes(deps: { registry: Registry; audit: AuditLog }) {
  const app = newRouter();
  const household = new HouseholdService(deps.registry, deps.audit);

  app.openapi(routes.addResident, async (c) => {
    const resident = await household.addResident(c.req.valid('param').homeId, c.req.valid('json'), actorOf(c));
    return c.json(residentFor(c.get('session'), resident), 201);
  });

  app.openapi(routes.assign, async (c) => {
    const { homeId, deviceId } = c.req.valid('param');
    // A device of another home is "not found" here: the path names the home.
    if (deps.registry.getDevice(deviceId)?.homeId !== homeId) throw notFound('device', deviceId);
    const { secretHash: _hash, ...device } = await household.assignDevice(deviceId, c.req.valid('json').residentId, actorOf(c));
    return c.json({ ...device, residentId: device.residentId! }, 200);
  });

  return app;
}
