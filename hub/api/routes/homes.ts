/** Homes, their resident and their devices: /api/v1/homes. */
import { Hono } from 'hono';
import { z } from 'zod';
import { DEVICE_KIND_NAMES } from '../../../devices/catalog.js';
import { deviceTopic } from '../../../devices/topics.js';
import type { HomeService } from '../../homes/home-service.js';
import type { DeviceStateStore } from '../../ingest/device-state.js';
import type { Registry } from '../../registry/registry.js';
import { residentInputSchema, type DeviceRecord, type HomeRecord } from '../../registry/records.js';
import { allow, assertHomeVisible, visibleHomeIds, type ApiEnv } from '../auth-middleware.js';
import { jsonBody } from '../validation.js';

const newHomeSchema = z.object({
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().min(1).max(500),
  community: z.string().trim().max(200).optional(),
  resident: residentInputSchema,
});

const newDeviceSchema = z.object({
  kind: z.enum(DEVICE_KIND_NAMES as [string, ...string[]], { error: `must be one of: ${DEVICE_KIND_NAMES.join(', ')}` }),
  serial: z.string().trim().min(1).max(100).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
});

export interface HomesRouteDeps {
  registry: Registry;
  homes: HomeService;
  states: DeviceStateStore;
  mqttEndpoint(): { host: string; port: number };
}

export function homesRoutes(deps: HomesRouteDeps) {
  const app = new Hono<ApiEnv>();

  const deviceView = (device: DeviceRecord) => {
    const state = deps.states.view(device.id);
    // Never the secret hash: it is of no use to any reader of the API.
    const { secretHash: _hash, ...rest } = device;
    return { ...rest, online: state?.online ?? null, lastSeen: state?.lastSeen ? new Date(state.lastSeen).toISOString() : null, battery: state?.battery ?? null };
  };
  const homeView = (home: HomeRecord) => ({ ...home, resident: deps.registry.getResident(home.residentId) ?? null });

  app.post('/', allow('admin', 'installer'), async (c) => {
    const input = await jsonBody(c, newHomeSchema);
    const { home } = await deps.homes.createHome(input, `user:${c.get('session').username}`);
    return c.json(homeView(home), 201);
  });

  app.get('/', allow('admin', 'supervisor', 'operator', 'installer', 'family'), (c) => {
    const visible = visibleHomeIds(c.get('session'));
    const homes = deps.registry.listHomes().filter((h) => !visible || visible.has(h.id));
    return c.json({ homes: homes.map(homeView) });
  });

  app.get('/:homeId', allow('admin', 'supervisor', 'operator', 'installer', 'family'), (c) => {
    const homeId = c.req.param('homeId');
    assertHomeVisible(c.get('session'), homeId);
    const home = deps.registry.requireHome(homeId);
    return c.json({ ...homeView(home), devices: deps.registry.listDevices(homeId).map(deviceView) });
  });

  app.get('/:homeId/devices', allow('admin', 'supervisor', 'operator', 'installer', 'family'), (c) => {
    const homeId = c.req.param('homeId');
    assertHomeVisible(c.get('session'), homeId);
    deps.registry.requireHome(homeId);
    return c.json({ devices: deps.registry.listDevices(homeId).map(deviceView) });
  });

  app.post('/:homeId/devices', allow('admin', 'installer'), async (c) => {
    const homeId = c.req.param('homeId');
    const { kind, serial } = await jsonBody(c, newDeviceSchema);
    const { device, secret } = await deps.homes.registerDevice(homeId, kind, serial, `user:${c.get('session').username}`);
    const endpoint = deps.mqttEndpoint();
    // The secret is in this response and nowhere else, ever (DESIGN.md §1 installer).
    c.header('Cache-Control', 'no-store');
    return c.json(
      {
        ...deviceView(device),
        secret,
        mqtt: {
          host: endpoint.host,
          port: endpoint.port,
          clientId: device.id,
          username: device.id,
          topics: {
            event: deviceTopic(device.id, 'event'),
            telemetry: deviceTopic(device.id, 'telemetry'),
            status: deviceTopic(device.id, 'status'),
            cmd: deviceTopic(device.id, 'cmd'),
          },
        },
      },
      201,
    );
  });

  app.post('/:homeId/go-live', allow('admin', 'installer'), async (c) => {
    const home = await deps.homes.goLive(c.req.param('homeId'), `user:${c.get('session').username}`);
    return c.json(homeView(home));
  });

  return app;
}
