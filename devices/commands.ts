/** Hub → device commands, published on `hc/v1/<deviceId>/cmd` (QoS 1). */
import { z } from 'zod';

export const commandSchema = z.discriminatedUnion('cmd', [
  z
    .object({ cmd: z.literal('help_coming'), alertId: z.string().min(1) })
    .describe('an operator took the alert: the bracelet vibrates / speaks "help is coming"'),
  z.object({ cmd: z.literal('silence') }).describe('silence the local siren (operator request only)'),
  z
    .object({ cmd: z.literal('configure'), heartbeatSec: z.number().int().min(10).max(86_400) })
    .describe('change the heartbeat interval'),
]);

export type DeviceCommand = z.infer<typeof commandSchema>;
