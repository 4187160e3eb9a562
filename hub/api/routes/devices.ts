/** One device's live state and recent readings: /api/v1/devices/{id}. */
import { z } from 'zod';
import type { Session } from '../../auth/sessions.js';
import type { DeviceStateStore } from '../../ingest/device-state.js';
import type { Registry } from '../../registry/registry.js';
import { assertHomeVisible } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import { defineRoute, jsonResponse, newRouter } from '../openapi-route.js';
import { Device } from '../schemas.js';

const readers = ['admin', 'supervisor', 'operator', 'installer', 'family'] as const;
const params = z.object({ deviceId: z.string().max(100) });

const routes = {
  get: defineRoute({ method: 'get', path: '/{deviceId}', roles: readers, summary: 'A device and its live state', request: { params }, responses: { 200: jsonResponse(Device, 'the device') } }),
  readings: defineRoute({
    method: 'get',
    path: '/{deviceId}/readings',
    roles: readers,
    summary: 'Recent telemetry readings, oldest first',
    request: { params, query: z.object({ since: z.iso.datetime({ offset: true, error: 'must be a date-time such as 2026-11-24T08:00:00Z' }).optional() }) },
    responses: { 200: jsonResponse(z.object({ deviceId: z.string(), readings: z.array(z.object({ at: z.string(), values: z.record(z.string(), z.unknown()) })) }), 'readings') },
  }),
};

export function devicesRoutes(deps: { registry: Registry; states: DeviceStateStore }) {
  const app = newRouter();

  const requireVisibleDevice = (session: Session, id: string) => {
    const device = deps.registry.getDevice(id);
    if (!device) throw new HttpError(404, 'not_found', `device ${id} does not exist`);
    assertHomeVisible(session, device.homeId);
    return device;
  };

  app.openapi(routes.get, (c) => {
    const device = requireVisibleDevice(c.get('session'), c.req.valid('param').deviceId);
    const { secretHash: _hash, ...rest } = device;
    const state = deps.states.view(device.id);
    return c.json(
      {
        ...rest,
        online: state?.online ?? null,
        lastSeen: state?.lastSeen ? new Date(state.lastSeen).toISOString() : null,
        battery: state?.battery ?? null,
        lastValues: state?.lastValues ?? {},
        lastEvent: state?.lastEvent ? { type: state.lastEvent.type, at: new Date(state.lastEvent.at).toISOString() } : null,
      },
      200,
    );
  });

  app.openapi(routes.readings, (c) => {
    const device = requireVisibleDevice(c.get('session'), c.req.valid('param').deviceId);
    const { since } = c.req.valid('query');
    const from = since ? Date.parse(since) : 0;
    const readings = deps.states
      .readings(device.id)
      .filter((r) => r.at >= from)
      .map((r) => ({ at: new Date(r.at).toISOString(), values: r.values }));
    return c.json({ deviceId: device.id, readings }, 200);
  });

  return app;
}
