/** Homes, their residents and their devices: /api/v1/homes (another resident: routes/household.ts). */
import { z } from 'zod';
import { DEVICE_KIND_NAMES } from '../../../devices/catalog.js';
import type { Commissioning } from '../../homes/commissioning.js';
import { deviceCredentials, mqttSettings } from '../../homes/device-credentials.js';
import type { HomeService } from '../../homes/home-service.js';
import type { DeviceStateStore } from '../../ingest/device-state.js';
import type { Registry } from '../../registry/registry.js';
import { residentInputSchema, type DeviceRecord, type HomeRecord } from '../../registry/records.js';
import type { Session } from '../../auth/sessions.js';
import { actorOf, assertHomeVisible, visibleHomeIds } from '../auth-middleware.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { deviceLiveFields } from './device-live-view.js';
import { residentFor } from './residents.js';
import { Device, Home, HomeDetail, HomeIdParam, ProvisionedDevice, User } from '../schemas.js';

const readers = ['admin', 'supervisor', 'operator', 'installer', 'family'] as const;
const provisioners = ['admin', 'installer'] as const;
const newHome = z.object({
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().min(1).max(500),
  community: z.string().trim().max(200).optional(),
  resident: residentInputSchema,
});
const newDevice = z.object({
  kind: z.enum(DEVICE_KIND_NAMES as [string, ...string[]], { error: `must be one of: ${DEVICE_KIND_NAMES.join(', ')}` }),
  serial: z.string().trim().min(1).max(100).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'),
});
const Checklist = z
  .looseObject({ homeId: z.string(), status: z.string(), allPassed: z.boolean(), devices: z.array(z.looseObject({ deviceId: z.string(), passed: z.boolean() })) })
  .meta({ id: 'CommissioningChecklist' });

const routes = {
  create: defineRoute({
    method: 'post',
    path: '/',
    roles: provisioners,
    summary: 'Create a home with its resident (status: installing)',
    request: {
      body: jsonRequest(
        newHome,
      ),
    },
    responses: { 201: jsonResponse(Home, 'the new home') },
  }),
  batch: defineRoute({
    method: 'post',
    path: '/batch',
    roles: provisioners,
    summary: 'Bulk install: up to 500 homes with their residents and devices; all checked first (one bad row, nothing created), credentials returned once',
    request: {
      body: jsonRequest(
        z.object({
          homes: z
            .array(newHome.extend({ devices: z.array(newDevice).max(20).default([]) }))
            .min(1)
            .max(500),
          goLiveOverrideReason: z.string().trim().min(10, 'say why in at least 10 characters').max(500).optional().describe('create the homes live, skipping commissioning; audited'),
        }),
      ),
    },
    responses: {
      201: jsonResponse(
        z.object({ homes: z.array(z.object({ home: Home, devices: z.array(ProvisionedDevice.omit({ qrSvg: true })) })) }),
        'the homes with each device\u2019s one-time secret',
      ),
    },
  }),
  list: defineRoute({
    method: 'get',
    path: '/',
    roles: readers,
    summary: 'Homes you may see (with `include=devices`, each with its devices and their live state)',
    request: { query: z.object({ include: z.enum(['devices']).optional() }) },
    responses: { 200: jsonResponse(z.object({ homes: z.array(Home) }), 'homes') },
  }),
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
        newDevice.extend({ residentId: z.string().trim().min(1).max(100).optional().describe('who wears it: required for a bracelet in a home with several residents') }),
      ),
    },
    responses: { 201: jsonResponse(ProvisionedDevice, 'the device with its one-time secret') },
  }),
  goLive: defineRoute({
    method: 'post',
    path: '/{homeId}/go-live',
    roles: provisioners,
    summary: 'Put an installing home live once every device passed commissioning (or with an audited override reason)',
    request: {
      params: HomeIdParam,
      body: jsonRequest(
        z.object({ overrideReason: z.string().trim().min(10, 'say why in at least 10 characters').max(500).optional().describe('go live although checks are missing; audited') }),
      ),
    },
    responses: { 200: jsonResponse(Home, 'the home, now live') },
  }),
  commissioning: defineRoute({
    method: 'get',
    path: '/{homeId}/commissioning',
    roles: ['admin', 'supervisor', 'operator', 'installer'],
    summary: 'The commissioning checklist: per device, connected, heartbeat and each test event, with battery and signal',
    request: { params: HomeIdParam },
    responses: { 200: jsonResponse(Checklist, 'the checklist') },
  }),
  linkFamily: defineRoute({
    method: 'put',
    path: '/{homeId}/family/{userId}',
    roles: ['admin', 'operator'],
    summary: 'Let a family user see this home (their relative); ends their sessions so it applies at once',
    request: { params: z.object({ homeId: z.string().max(100), userId: z.string().max(100) }) },
    responses: { 200: jsonResponse(User, 'the family user') },
  }),
  unlinkFamily: defineRoute({
    method: 'delete',
    path: '/{homeId}/family/{userId}',
    roles: ['admin', 'operator'],
    summary: 'Stop a family user seeing this home',
    request: { params: z.object({ homeId: z.string().max(100), userId: z.string().max(100) }) },
    responses: { 200: jsonResponse(User, 'the family user') },
  }),
};

export interface HomesRouteDeps {
  registry: Registry;
  homes: HomeService;
  commissioning: Commissioning;
  states: DeviceStateStore;
  mqttEndpoint(): { host: string; port: number };
}

type Router = ReturnType<typeof newRouter>;
type Views = ReturnType<typeof homeViews>;

export function homesRoutes(deps: HomesRouteDeps) {
  const app = newRouter();
  const views = homeViews(deps);
  creationRoutes(app, deps, views);
  readingRoutes(app, deps, views);
  installingRoutes(app, deps, views);
  familyLinkRoutes(app, deps);
  return app;
}

/** How a home and a device look in the API, whoever reads them. */
function homeViews(deps: HomesRouteDeps) {
  const deviceView = (device: DeviceRecord) => {
    const state = deps.states.view(device.id);
    // Never the secret hash: it is of no use to any reader of the API.
    const { secretHash: _hash, ...rest } = device;
    return { ...rest, ...deviceLiveFields(state) };
  };
  // Installers get what installing needs, not the resident's medical notes (issue 5).
  const homeView = (home: HomeRecord, session: Session) => {
    const resident = deps.registry.getResident(home.residentId);
    const residents = deps.registry.listResidents(home.id).map((r) => residentFor(session, r));
    return { ...home, resident: resident ? residentFor(session, resident) : null, residents };
  };
  return { deviceView, homeView };
}

/** One home, or many at once with their devices (bulk install). */
function creationRoutes(app: Router, deps: HomesRouteDeps, { deviceView, homeView }: Views): void {
  app.openapi(routes.create, async (c) => {
    const { home } = await deps.homes.createHome(c.req.valid('json'), actorOf(c));
    return c.json(homeView(home, c.get('session')), 201);
  });

  app.openapi(routes.batch, async (c) => {
    const body = c.req.valid('json');
    const created = await deps.homes.createHomes(body.homes, actorOf(c), body.goLiveOverrideReason);
    const endpoint = deps.mqttEndpoint();
    c.header('Cache-Control', 'no-store');
    return c.json(
      {
        homes: created.map(({ home, devices }) => ({
          home: homeView(home, c.get('session')),
          // No QR codes here: 2,000 SVGs in one response help nobody; the CLI writes a credentials file.
          devices: devices.map(({ device, secret }) => ({ ...deviceView(device), secret, mqtt: mqttSettings(device.id, endpoint) })),
        })),
      },
      201,
    );
  });
}

/** The homes a session may see, one home, its devices. */
function readingRoutes(app: Router, deps: HomesRouteDeps, { deviceView, homeView }: Views): void {
  app.openapi(routes.list, (c) => {
    const visible = visibleHomeIds(c.get('session'));
    const homes = deps.registry.listHomes().filter((h) => !visible || visible.has(h.id));
    const withDevices = c.req.valid('query').include === 'devices';
    return c.json(
      { homes: homes.map((h) => ({ ...homeView(h, c.get('session')), ...(withDevices ? { devices: deps.registry.listDevices(h.id).map(deviceView) } : {}) })) },
      200,
    );
  });

  app.openapi(routes.get, (c) => {
    const { homeId } = c.req.valid('param');
    assertHomeVisible(c.get('session'), homeId);
    const home = deps.registry.requireHome(homeId);
    return c.json({ ...homeView(home, c.get('session')), devices: deps.registry.listDevices(homeId).map(deviceView) }, 200);
  });

  app.openapi(routes.devices, (c) => {
    const { homeId } = c.req.valid('param');
    assertHomeVisible(c.get('session'), homeId);
    deps.registry.requireHome(homeId);
    return c.json({ devices: deps.registry.listDevices(homeId).map(deviceView) }, 200);
  });
}

/** The installer's walk: register devices, see the checklist, go live. */
function installingRoutes(app: Router, deps: HomesRouteDeps, { deviceView, homeView }: Views): void {
  app.openapi(routes.addDevice, async (c) => {
    const { homeId } = c.req.valid('param');
    const { kind, serial, residentId } = c.req.valid('json');
    const { device, secret } = await deps.homes.registerDevice(homeId, kind, serial, actorOf(c), residentId);
    // The secret is in this response and nowhere else, ever (DESIGN.md §1 installer).
    c.header('Cache-Control', 'no-store');
    return c.json({ ...deviceView(device), ...(await deviceCredentials(device.id, secret, deps.mqttEndpoint())) }, 201);
  });

  app.openapi(routes.goLive, async (c) => {
    const home = await deps.homes.goLive(c.req.valid('param').homeId, actorOf(c), c.req.valid('json').overrideReason);
    return c.json(homeView(home, c.get('session')), 200);
  });

  app.openapi(routes.commissioning, (c) => c.json(deps.commissioning.checklist(c.req.valid('param').homeId), 200));
}

/** Which family users see this home. */
function familyLinkRoutes(app: Router, deps: HomesRouteDeps): void {
  for (const [route, linked] of [[routes.linkFamily, true], [routes.unlinkFamily, false]] as const) {
    app.openapi(route, async (c) => {
      const { homeId, userId } = c.req.valid('param');
      const { passwordHash: _hash, ...user } = await deps.homes.linkFamily(homeId, userId, linked, actorOf(c));
      return c.json(user, 200);
    });
  }
}
