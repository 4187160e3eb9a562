/** One device's live state and recent readings: /api/v1/devices/{id}. */
import { z } from 'zod';
import { heartbeatSecSchema } from '../../../devices/commands.js';
import type { CommandOutbox } from '../../commands/command-outbox.js';
import type { DeviceConfig } from '../../commands/device-config.js';
import type { Session } from '../../auth/sessions.js';
import type { DeviceStateStore } from '../../ingest/device-state.js';
import { BUCKET_MS } from '../../ingest/reading-series.js';
import type { Registry } from '../../registry/registry.js';
import { actorOf, assertHomeVisible } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import type { DeviceService } from '../../homes/device-service.js';
import { deviceCredentials } from '../../homes/device-credentials.js';
import type { DeviceRecord } from '../../registry/records.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { Device, DeviceCommand, DeviceCommands, ProvisionedDevice } from '../schemas.js';
import { deviceLiveFields } from './device-live-view.js';

const readers = ['admin', 'supervisor', 'operator', 'installer', 'family'] as const;
const installers = ['admin', 'installer'] as const;
const Credentials = ProvisionedDevice;
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
  series: defineRoute({
    method: 'get',
    path: '/{deviceId}/series',
    roles: readers,
    summary: 'Heart rate (min/avg/max) and steps in 10-minute buckets, up to the last 24 h',
    request: { params, query: z.object({ hours: z.coerce.number().int().min(1).max(24).default(24) }) },
    responses: {
      200: jsonResponse(
        z.object({
          deviceId: z.string(),
          from: z.string(),
          to: z.string(),
          bucketMs: z.number(),
          points: z.array(z.object({ at: z.string(), heartRate: z.object({ min: z.number(), avg: z.number(), max: z.number() }).nullable(), steps: z.number().nullable() })),
        }),
        'the series',
      ),
    },
  }),
  commands: defineRoute({
    method: 'get',
    path: '/{deviceId}/commands',
    roles: ['admin', 'supervisor', 'operator', 'installer'],
    summary: 'The heartbeat interval and the recent commands of a device, newest first, with their delivery state',
    request: { params },
    responses: { 200: jsonResponse(DeviceCommands, 'the commands') },
  }),
};

const adminRoutes = {
  rotate: defineRoute({
    method: 'post',
    path: '/{deviceId}/rotate-secret',
    roles: installers,
    summary: 'Issue a new secret (shown once); the device is disconnected at once and must use the new one',
    request: { params, body: jsonRequest(z.object({})) },
    responses: { 200: jsonResponse(Credentials, 'the device with its new one-time secret') },
  }),
  revoke: defineRoute({
    method: 'post',
    path: '/{deviceId}/revoke',
    roles: installers,
    summary: 'Revoke a device: disconnected at once, refused from now on; its history stays',
    request: { params, body: jsonRequest(z.object({ reason: z.string().trim().min(3).max(300) })) },
    responses: { 200: jsonResponse(Device, 'the revoked device') },
  }),
  replace: defineRoute({
    method: 'post',
    path: '/{deviceId}/replace',
    roles: installers,
    summary: 'Replace a broken device with a new one of the same kind (new id and secret); the old one keeps its history',
    request: { params, body: jsonRequest(z.object({ serial: z.string().trim().min(1).max(100).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces') })) },
    responses: { 201: jsonResponse(Credentials, 'the new device with its one-time secret') },
  }),
  // Issue 11: through the command outbox, so an offline device gets it when it reconnects.
  configure: defineRoute({
    method: 'post',
    path: '/{deviceId}/configure',
    roles: installers,
    summary: 'Set the heartbeat interval: sent as a `configure` command, stored on the device once it confirms (cmd_ack)',
    request: { params, body: jsonRequest(z.object({ heartbeatSec: heartbeatSecSchema.describe('seconds between two messages of a healthy device; offline after 3 × this') }).strict()) },
    responses: { 202: jsonResponse(DeviceCommand, 'the queued command: pending until the device receives it') },
  }),
  move: defineRoute({
    method: 'post',
    path: '/{deviceId}/move',
    roles: ['admin', 'installer', 'operator'],
    summary: 'Move a device (a bracelet following its wearer) to another home; nothing to reflash',
    request: { params, body: jsonRequest(z.object({ homeId: z.string().max(100) })) },
    responses: { 200: jsonResponse(Device, 'the moved device') },
  }),
};

export interface DevicesRouteDeps {
  registry: Registry;
  states: DeviceStateStore;
  devices: DeviceService;
  deviceConfig: DeviceConfig;
  outbox: CommandOutbox;
  mqttEndpoint(): { host: string; port: number };
  now: () => number;
}

export function devicesRoutes(deps: DevicesRouteDeps) {
  const app = newRouter();

  const requireVisibleDevice = (session: Session, id: string) => {
    const device = deps.registry.getDevice(id);
    if (!device) throw new HttpError(404, 'not_found', `device ${id} does not exist`);
    assertHomeVisible(session, device.homeId, `device ${id}`);
    return device;
  };

  app.openapi(routes.get, (c) => {
    const device = requireVisibleDevice(c.get('session'), c.req.valid('param').deviceId);
    const { secretHash: _hash, ...rest } = device;
    const state = deps.states.view(device.id);
    return c.json({ ...rest, ...deviceLiveFields(state), lastValues: state?.lastValues ?? {} }, 200);
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

  app.openapi(routes.series, (c) => {
    const device = requireVisibleDevice(c.get('session'), c.req.valid('param').deviceId);
    const to = deps.now();
    const from = to - c.req.valid('query').hours * 3_600_000;
    return c.json({ deviceId: device.id, from: new Date(from).toISOString(), to: new Date(to).toISOString(), bucketMs: BUCKET_MS, points: deps.states.seriesOf(device.id, from, to) }, 200);
  });

  app.openapi(routes.commands, (c) => {
    const device = requireVisibleDevice(c.get('session'), c.req.valid('param').deviceId);
    return c.json({ ...deps.deviceConfig.view(device.id), commands: deps.outbox.forDevice(device.id) }, 200);
  });

  const view = ({ secretHash: _hash, ...device }: DeviceRecord) => device;

  app.openapi(adminRoutes.rotate, async (c) => {
    const { device, secret } = await deps.devices.rotateSecret(c.req.valid('param').deviceId, actorOf(c));
    c.header('Cache-Control', 'no-store');
    return c.json({ ...view(device), ...(await deviceCredentials(device.id, secret, deps.mqttEndpoint())) }, 200);
  });
  app.openapi(adminRoutes.revoke, async (c) => c.json(view(await deps.devices.revoke(c.req.valid('param').deviceId, actorOf(c), c.req.valid('json').reason)), 200));
  app.openapi(adminRoutes.replace, async (c) => {
    const { device, secret } = await deps.devices.replace(c.req.valid('param').deviceId, c.req.valid('json').serial, actorOf(c));
    c.header('Cache-Control', 'no-store');
    return c.json({ ...view(device), ...(await deviceCredentials(device.id, secret, deps.mqttEndpoint())) }, 201);
  });
  app.openapi(adminRoutes.configure, async (c) => c.json(await deps.deviceConfig.configure(c.req.valid('param').deviceId, c.req.valid('json').heartbeatSec, actorOf(c)), 202));
  app.openapi(adminRoutes.move, async (c) => c.json(view(await deps.devices.move(c.req.valid('param').deviceId, c.req.valid('json').homeId, actorOf(c))), 200));

  return app;
}
