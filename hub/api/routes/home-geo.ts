/**
 * A home's coordinates: /api/v1/homes/{homeId}/geo (issue 13 item 4). Set by
 * whoever installs the home; the console uses them for the distance between a
 * wearer's GPS fix and home. Everyone who may see the home sees them in the
 * home itself (`geo`).
 */
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import { setHomeGeo } from '../../homes/home-geo.js';
import type { Registry } from '../../registry/registry.js';
import { homeGeoSchema } from '../../registry/records.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { HomeIdParam } from '../schemas.js';
import { actorOf } from '../auth-middleware.js';

const editors = ['admin', 'installer'] as const;
const HomeGeoResult = z.object({ homeId: z.string(), geo: homeGeoSchema.nullable().describe('null once cleared') }).meta({ id: 'HomeGeo' });

const routes = {
  set: defineRoute({
    method: 'put',
    path: '/{homeId}/geo',
    roles: editors,
    summary: "Set the home's coordinates (WGS 84), used for a GPS fix's distance from home; audited",
    request: { params: HomeIdParam, body: jsonRequest(homeGeoSchema) },
    responses: { 200: jsonResponse(HomeGeoResult, 'the coordinates now stored') },
  }),
  clear: defineRoute({
    method: 'delete',
    path: '/{homeId}/geo',
    roles: editors,
    summary: "Clear the home's coordinates; audited",
    request: { params: HomeIdParam },
    responses: { 200: jsonResponse(HomeGeoResult, 'geo is null') },
  }),
};

export function homeGeoRoutes(deps: { registry: Registry; audit: AuditLog }) {
  const app = newRouter();
  app.openapi(routes.set, async (c) => {
    const { homeId } = c.req.valid('param');
    const home = await setHomeGeo(deps.registry, deps.audit, homeId, c.req.valid('json'), actorOf(c));
    return c.json({ homeId, geo: home.geo ?? null }, 200);
  });
  app.openapi(routes.clear, async (c) => {
    const { homeId } = c.req.valid('param');
    await setHomeGeo(deps.registry, deps.audit, homeId, undefined, actorOf(c));
    return c.json({ homeId, geo: null }, 200);
  });
  return app;
}
