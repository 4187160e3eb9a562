/**
 * Capability pieces shared by device kinds. A kind is composed from these plus
 * its own events, so "battery" or "tamper" mean the same on every device.
 */
import { z } from 'zod';

/** Optional fields every payload (event or telemetry) may carry. */
export const commonFields = {
  /** Device time, epoch milliseconds. */
  ts: z.number().int().nonnegative().optional().describe('device time, epoch ms'),
  /** Per-device message counter; a repeated seq is a duplicate (QoS 1 retransmission). */
  seq: z.number().int().nonnegative().optional().describe('per-device message counter'),
  /** Battery charge in percent. */
  battery: z.number().min(0).max(100).optional().describe('battery charge, %'),
  /** Radio signal strength as the device measures it; shown to installers while commissioning. */
  rssi: z.number().int().min(-130).max(0).optional().describe('received signal strength, dBm'),
};

/** Builds the schema of one event type: `{type: <literal>, ...common, ...fields}`. */
export function eventSchema<const T extends string, S extends z.ZodRawShape>(type: T, fields: S, description: string) {
  return z.object({ type: z.literal(type), ...commonFields, ...fields }).describe(description);
}

export type EventSchema = ReturnType<typeof eventSchema<string, z.ZodRawShape>>;

export interface Capability {
  name: string;
  events: readonly EventSchema[];
  telemetry: z.ZodRawShape;
}

/** Battery-powered: reports charge and says when it runs low. */
export const battery: Capability = {
  name: 'battery',
  events: [eventSchema('low_battery', {}, 'battery is low and must be replaced or charged')],
  telemetry: {},
};

/** Has a tamper switch (cover opened, unit taken off the wall). */
export const tamper: Capability = {
  name: 'tamper',
  events: [eventSchema('tamper', {}, 'the casing was opened or the unit removed')],
  telemetry: {},
};

/** Has a test button; a test press proves the siren and the link work. */
export const selfTest: Capability = {
  name: 'selfTest',
  events: [eventSchema('test', {}, 'the test button was pressed')],
  telemetry: {},
};

/** Reports internal faults (sensor chamber dirty, sensor end of life). */
export const fault: Capability = {
  name: 'fault',
  events: [eventSchema('fault', { code: z.string().max(64).optional().describe('vendor fault code, e.g. sensor_eol') }, 'the device detected an internal fault')],
  telemetry: {},
};

/** The event type a device sends to confirm a command (docs/PROTOCOL.md, Commands). */
export const CMD_ACK_EVENT = 'cmd_ack';

/**
 * Takes commands on its `cmd` topic and confirms each with `cmd_ack` (issue 10):
 * a PUBACK only says the bytes arrived, `cmd_ack` says the device acted on it.
 * The hub routes `cmd_ack` to its command outbox, never to the rules, so it
 * can neither raise an alert nor count as the resident's activity.
 */
export const commands: Capability = {
  name: 'commands',
  events: [
    eventSchema(
      CMD_ACK_EVENT,
      { cmdId: z.string().min(1).max(64).describe('the `cmdId` of the command being confirmed') },
      'the device carried out a command (send one for every copy received, even a repeat)',
    ),
  ],
  telemetry: {},
};
