/** One device's live state and recent readings: /api/v1/devices/{id}. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Session } from '../../auth/sessions.js';
import type { DeviceStateStore } from '../../ingest/device-state.js';
import type { Registry } from '../../registry/registry.js';
import { allow, assertHomeVisible, type ApiEnv } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import { queryParams } from '../validation.js';

const readingsQuery = z.object({
  since: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date-time such as 2026-11-24T08:00:00Z')
    .optional(),
});

export function devicesRoutes(deps: { registry: Registry; states: DeviceStateStore }) {
  const app = new Hono<ApiEnv>();
  const readers = allow('admin', 'supervisor', 'operator', 'installer', 'family');

  const requireVisibleDevice = (session: Session, id: string) => {
    const device = deps.registry.getDevice(id);
    if (!device) throw new HttpError(404, 'not_found', `device ${id} does not exist`);
    assertHomeVisible(session, device.homeId);
    return device;
  };

  app.get('/:deviceId', readers, (c) => {
    const device = requireVisibleDevice(c.get('session'), c.req.param('deviceId'));
    const { secretHash: _hash, ...rest } = device;
    const state = deps.states.view(device.id);
    return c.json({ ...rest, state: state ? { ...state, lastSeen: state.lastSeen ? new Date(state.lastSeen).toISOString() : null } : null });
  });

  app.get('/:deviceId/readings', readers, (c) => {
    const device = requireVisibleDevice(c.get('session'), c.req.param('deviceId'));
    const { since } = queryParams(c, readingsQuery);
    const from = since ? Date.parse(since) : 0;
    const readings = deps.states
      .readings(device.id)
      .filter((r) => r.at >= from)
      .map((r) => ({ at: new Date(r.at).toISOString(), values: r.values }));
    return c.json({ deviceId: device.id, readings });
  });

  return app;
}
