/**
 * Hub → device commands, published on `hc/v1/<deviceId>/cmd` (QoS 1). Every
 * command carries a `cmdId`; the device confirms it with a `cmd_ack` event
 * naming that id (issue 10), and the hub resends it at every subscribe until
 * it is confirmed or withdrawn, so a device must act on a `cmdId` once.
 */
import { z } from 'zod';

/** The id the hub gives each command; `cmd_ack` echoes it. */
const cmdId = z.string().min(1).max(64).describe('the id to echo in the `cmd_ack` event');

/** The heartbeat interval a device may be configured to (seconds). */
export const heartbeatSecSchema = z.number().int().min(10).max(86_400);

export const commandSchema = z.discriminatedUnion('cmd', [
  z
    .object({ cmd: z.literal('help_coming'), cmdId, alertId: z.string().min(1) })
    .describe('an operator took the alert: the bracelet vibrates / speaks "help is coming"'),
  z.object({ cmd: z.literal('silence'), cmdId }).describe('silence the local siren (operator request only)'),
  z.object({ cmd: z.literal('configure'), cmdId, heartbeatSec: heartbeatSecSchema }).describe('change the heartbeat interval'),
]);

export type DeviceCommand = z.infer<typeof commandSchema>;
export type CommandName = DeviceCommand['cmd'];
export const COMMAND_NAMES = commandSchema.options.map((o) => o.shape.cmd.value) as readonly CommandName[];

/** A command as the hub asks for it, before the outbox gives it its `cmdId`. */
export type CommandBody = DeviceCommand extends infer C ? (C extends DeviceCommand ? Omit<C, 'cmdId'> : never) : never;
