/**
 * Tamper (issue 3): the casing of a gas alarm, smoke sensor or door sensor was
 * opened or the unit taken off the wall — a disabled safety device or a break-in
 * (SCAIP carries a tamper status for the same reason). Medium.
 */
import { z } from 'zod';
import { DEVICE_KINDS } from '../../../devices/catalog.js';
import { defineRule } from '../define-rule.js';
import { kindTitle } from './shared/devices.js';

export const tamperRule = defineRule({
  id: 'tamper',
  description: 'The casing of a device was opened or the unit removed from its mounting.',
  alertKind: 'tamper',
  severity: 'medium',
  // Every kind with the tamper capability (gas alarm, smoke sensor, door sensor today).
  on: { deviceKinds: DEVICE_KINDS.filter((k) => k.eventTypes.includes('tamper')).map((k) => k.kind), events: ['tamper'] },
  params: z.object({}),
  evaluate: ({ input, home }) =>
    input.type === 'signal'
      ? { drafts: [{ kind: 'tamper', severity: 'medium', homeId: home.id, deviceId: input.signal.deviceId, title: `${kindTitle(input.signal.deviceKind)} tampered with` }] }
      : null,
});
