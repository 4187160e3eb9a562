/** Homes, their resident and their devices: /api/v1/homes. */
import { z } from 'zod';
import { DEVICE_KIND_NAMES } from '../../../devices/catalog.js';
import { deviceTopic } from '../../../devices/topics.js';
import type { HomeService } from '../../homes/home-service.js';
import type { DeviceStateStore } from '../../ingest/device-state.js';
import type { Registry } from '../../registry/registry.js';
import { residentInputSchema, type DeviceRecord, type HomeRecord } from '../../registry/records.js';
import { assertHomeVisible, visibleHomeIds } from '../auth-middleware.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { Device, Home, HomeDetail, ProvisionedDevice } from '../schemas.js';

const readers = ['admin', 'supervisor', 'operator', 'installer', 'family'] as const;
const provisioners = ['admin', 'installer'] as const;
const HomeIdParam = z.object({ homeId: z.string().max(100) });

const routes = {
  create: defineRoute({
    method: 'post',
    path: '/',
    roles: provisioners,
    summary: 'Create a home with its resident (status: installing)',
    request: {
      body: jsonRequest(
        z.object({
          name: z.string().trim().min(1).max(200),
          address: z.string().trim().min(1).max(500),
          community: z.string().trim().max(200).optional(),
          resident: residentInputSchema,
        }),
      ),
    },
    responses: { 201: jsonResponse(Home, 'the new home') },
  }),
  list: defineRoute({ method: 'get', path: '/', roles: readers, summary: 'Homes you may see', responses: { 200: jsonResponse(z.object({ homes: z.array(Home) }), 'homes') } }),
  get: defineRoute({ method: 'get', path: '/{homeId}', roles: readers, summary: 'A home with its resident and devices', request: { params: HomeIdParam }, responses: { 200: jsonResponse(HomeDetail, 'the home') } }),
  devices: defineRoute({
    method: 'get',
    path: '/{homeId}/devices',
    roles: readers,
    summary: "A home's devices with their live state",
    request: { params: HomeIdParam },
    responses: { 200: jsonResponse(z.object({ devices: z.array(Device) }), 'devices') },
  }),
  addDevice: defineRoute({
    method: 'post',
    path: '/{homeId}/devices',
    roles: provisioners,
    summary: 'Register a device: returns its MQTT credentials, the secret shown this once only',
    request: {
      params: HomeIdParam,
      body: jsonRequest(
        z.object({
          kind: z.enum(DEVICE_KIND_NAMES as [string, ...string[]], { error: `must be one of: ${DEVICE_KIND_NAMES.join(', ')}` }),
          serial: z.string().trim().min(1).max(100).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
        }),
      ),
    },
    responses: { 201: jsonResponse(ProvisionedDevice, 'the device with its one-time secret') },
  }),
  goLive: defineRoute({
    method: 'post',
    path: '/{homeId}/go-live',
    roles: provisioners,
    summary: 'Put an installing home live: from now on its events raise real alerts',
    request: { params: HomeIdParam },
    responses: { 200: jsonResponse(Home, 'the home, now live') },
  }),
};

export interface HomesRouteDeps {
  registry: Registry;
  homes: HomeService;
  states: DeviceStateStore;
  mqttEndpoint(): { host: string; port: number };
}

export function homesRoutes(deps: HomesRouteDeps) {
  const app = newRouter();
  const actor = (c: { get(k: 'session'): { username: string } }) => `user:${c.get('session').username}`;

  const deviceView = (device: DeviceRecord) => {
    const state = deps.states.view(device.id);
    // Never the secret hash: it is of no use to any reader of the API.
    const { secretHash: _hash, ...rest } = device;
    return { ...rest, online: state?.online ?? null, lastSeen: state?.lastSeen ? new Date(state.lastSeen).toISOString() : null, battery: state?.battery ?? null };
  };
  const homeView = (home: HomeRecord) => ({ ...home, resident: deps.registry.getResident(home.residentId) ?? null });

  app.openapi(routes.create, async (c) => {
    const { home } = await deps.homes.createHome(c.req.valid('json'), actor(c));
    return c.json(homeView(home), 201);
  });

  app.openapi(routes.list, (c) => {
    const visible = visibleHomeIds(c.get('session'));
    const homes = deps.registry.listHomes().filter((h) => !visible || visible.has(h.id));
    return c.json({ homes: homes.map(homeView) }, 200);
  });

  app.openapi(routes.get, (c) => {
    const { homeId } = c.req.valid('param');
    assertHomeVisible(c.get('session'), homeId);
    const home = deps.registry.requireHome(homeId);
    return c.json({ ...homeView(home), devices: deps.registry.listDevices(homeId).map(deviceView) }, 200);
  });

  app.openapi(routes.devices, (c) => {
    const { homeId } = c.req.valid('param');
    assertHomeVisible(c.get('session'), homeId);
    deps.registry.requireHome(homeId);
    return c.json({ devices: deps.registry.listDevices(homeId).map(deviceView) }, 200);
  });

  app.openapi(routes.addDevice, async (c) => {
    const { homeId } = c.req.valid('param');
    const { kind, serial } = c.req.valid('json');
    const { device, secret } = await deps.homes.registerDevice(homeId, kind, serial, actor(c));
    const endpoint = deps.mqttEndpoint();
    // The secret is in this response and nowhere else, ever (DESIGN.md §1 installer).
    c.header('Cache-Control', 'no-store');
    const topics = { event: deviceTopic(device.id, 'event'), telemetry: deviceTopic(device.id, 'telemetry'), status: deviceTopic(device.id, 'status'), cmd: deviceTopic(device.id, 'cmd') };
    return c.json({ ...deviceView(device), secret, mqtt: { host: endpoint.host, port: endpoint.port, clientId: device.id, username: device.id, topics } }, 201);
  });

  app.openapi(routes.goLive, async (c) => c.json(homeView(await deps.homes.goLive(c.req.valid('param').homeId, actor(c))), 200));

  return app;
}
