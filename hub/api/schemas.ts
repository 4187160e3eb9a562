/**
 * Response shapes for the OpenAPI document. They name the fields clients rely
 * on and stay open (`loose`) so adding a field is never a breaking change.
 */
import { z } from 'zod';
import { ALERT_STATUSES, OUTCOMES, RESPONDER_KINDS, RESPONDER_STATES, SEVERITIES, STALL_STAGES } from '../alerts/alert.js';
import { COMMAND_STATES } from '../commands/command-book.js';
import { BAD_PAYLOAD_REASONS } from '../ingest/device-state.js';
import { HOME_STATUSES, homeGeoSchema, residentInputSchema, ROLES } from '../registry/records.js';

const iso = z.string().describe('ISO 8601 date-time (UTC)');

export const Responder = z
  .looseObject({
    id: z.string(),
    kind: z.enum(RESPONDER_KINDS),
    name: z.string(),
    phone: z.string().optional(),
    state: z.enum(RESPONDER_STATES),
    addedBy: z.string(),
    addedAt: iso,
    updatedAt: iso,
    late: z.boolean().optional().describe('not on scene within the severity\'s target'),
  })
  .meta({ id: 'Responder' });

const fixBase = { deviceId: z.string().describe('the bracelet that reported it'), at: iso.describe('when the hub received the fix') };
export const LocationFix = z
  .union([
    z.object({ ...fixBase, room: z.string() }),
    z.object({
      ...fixBase,
      lat: z.number(),
      lon: z.number(),
      accuracyM: z.number().optional().describe('GPS accuracy radius, metres'),
      distanceM: z.number().optional().describe("metres from the home's coordinates when the fix came; absent when the home has none"),
    }),
  ])
  .meta({ id: 'LocationFix' });

export const AlertSummary = z
  .looseObject({
    id: z.string(),
    homeId: z.string(),
    residentId: z.string().optional().describe('the resident it is about: the wearer of the device that raised it; absent for a shared device (gas, smoke, door) in a home with several residents'),
    deviceId: z.string().optional().describe('absent when a person raised it'),
    kind: z.string().describe('sos, fall, smoke, gas, heart_rate, night_exit, door_open, inactivity, device_offline, low_battery, tamper, not_worn'),
    severity: z.enum(SEVERITIES),
    status: z.enum(ALERT_STATUSES),
    title: z.string(),
    raisedAt: iso,
    updatedAt: iso,
    occurrences: z.number().int(),
    flags: z.object({
      overdue: z.boolean(),
      escalated: z.boolean(),
      helpUnconfirmed: z.boolean().optional().describe('critical, and no bracelet confirmed help_coming within 60 s'),
      stalled: z.enum(STALL_STAGES).optional().describe('acknowledged, not dispatched or resolved after the follow-up time: holder re-alerted, then supervisor'),
    }),
    responders: z.array(Responder),
    commands: z
      .array(z.looseObject({ cmdId: z.string(), deviceId: z.string(), command: z.string(), state: z.enum(COMMAND_STATES), queuedAt: iso }))
      .optional()
      .describe('commands sent to devices for this alert, with how far each got'),
    acknowledgedBy: z.string().optional().describe('who holds the alert now (claimed it, or it was handed over to them)'),
    heldSince: iso.optional(),
    outcome: z.enum(OUTCOMES).optional(),
    location: LocationFix.optional().describe("the wearer's latest known location: captured when raised, kept up to date while open"),
    drill: z.object({ drillId: z.string() }).optional().describe('only on drill alerts (issue 13 item 8): left out of every report figure'),
  })
  .meta({ id: 'AlertSummary' });

export const Alert = AlertSummary.extend({
  review: z
    .looseObject({ whatHappened: z.string(), toImprove: z.string(), targetsMet: z.boolean(), times: z.looseObject({}), reviewedAt: iso, reviewedBy: z.string() })
    .optional()
    .describe('the incident review of a resolved critical alert (not shown to family users)'),
  timeline: z.array(z.looseObject({ at: iso, type: z.string(), actor: z.string().describe('user:<name>, device:<id> or system') })),
}).meta({ id: 'Alert' });

export const AlertList = z.object({ alerts: z.array(AlertSummary), total: z.number().int(), offset: z.number().int(), limit: z.number().int() }).meta({ id: 'AlertList' });

export const Resident = residentInputSchema.extend({ id: z.string(), homeId: z.string() }).loose().meta({ id: 'Resident' });

export const Device = z
  .looseObject({
    id: z.string(),
    homeId: z.string(),
    kind: z.string(),
    serial: z.string(),
    residentId: z.string().optional().describe('who wears it (a bracelet in a home with several residents); absent: the home\u2019s device'),
    online: z.boolean().nullable(),
    lastSeen: iso.nullable(),
    battery: z.number().nullable(),
    badPayloads: z.number().int().describe('payloads dropped as bad since the hub started (not JSON, wrong shape, bad status): see docs/PROTOCOL.md'),
    lastBadPayload: z
      .object({ reason: z.enum(BAD_PAYLOAD_REASONS), detail: z.string().describe('what was wrong: the field and why, or the start of what came'), at: iso })
      .nullable()
      .describe('the last bad payload, null if none'),
  })
  .meta({ id: 'Device' });

export const ProvisionedDevice = Device.extend({
  secret: z.string().describe('the MQTT password: shown in this response only, never again'),
  qrSvg: z.string().describe('SVG QR code of {v, host, port, tlsPort?, clientId, username, password} for a setup app to scan'),
  mqtt: z.object({
    host: z.string(),
    port: z.number().int(),
    tlsPort: z.number().int().optional().describe('MQTT over TLS (mqtts), when the hub serves it; prefer it'),
    clientId: z.string(),
    username: z.string(),
    topics: z.object({ event: z.string(), telemetry: z.string(), status: z.string(), cmd: z.string() }),
  }),
}).meta({ id: 'ProvisionedDevice' });

export const DeviceCommand = z
  .looseObject({
    cmdId: z.string(),
    deviceId: z.string(),
    cmd: z.string(),
    command: z.record(z.string(), z.unknown()).describe('exactly what the device receives'),
    state: z.enum(COMMAND_STATES).describe('pending → delivered (PUBACK) → confirmed (cmd_ack); expired = withdrawn'),
    actor: z.string(),
    queuedAt: iso,
    deliveredAt: iso.optional(),
    confirmedAt: iso.optional(),
    expiredAt: iso.optional(),
  })
  .meta({ id: 'DeviceCommand' });

export const DeviceCommands = z
  .object({
    deviceId: z.string(),
    heartbeatSec: z.number().int().describe('the interval the device confirmed, or its kind default'),
    defaultHeartbeatSec: z.number().int(),
    watchdogHeartbeatSec: z.number().int().describe('what offline detection allows now: the longer of confirmed and pending'),
    pending: DeviceCommand.optional(),
    commands: z.array(DeviceCommand),
  })
  .meta({ id: 'DeviceCommands' });

export const Home = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    address: z.string(),
    community: z.string().optional(),
    status: z.enum(HOME_STATUSES),
    resident: Resident.nullable().describe('the first resident'),
    residents: z.array(Resident).describe('every resident, the first first: two for a couple'),
    geo: homeGeoSchema.optional().describe("the home's coordinates, when an installer set them (PUT /homes/{homeId}/geo)"),
  })
  .meta({ id: 'Home' });

export const HomeDetail = Home.extend({ devices: z.array(Device) }).meta({ id: 'HomeDetail' });

export const User = z
  .looseObject({ id: z.string(), username: z.string(), displayName: z.string(), role: z.enum(ROLES), homeIds: z.array(z.string()), disabled: z.boolean().optional() })
  .meta({ id: 'User' });

export const AuditEntry = z
  .looseObject({ at: iso, action: z.string(), actor: z.string(), target: z.string().optional(), detail: z.record(z.string(), z.unknown()).optional() })
  .meta({ id: 'AuditEntry' });

export const Ok = z.object({ ok: z.literal(true) });

/** The `{homeId}` of every /homes/{homeId}/… path (homes, home-geo, household routes). */
export const HomeIdParam = z.object({ homeId: z.string().max(100) });
