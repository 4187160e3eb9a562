/** Kitchen gas alarm: natural gas, LPG or carbon monoxide, measured in % LEL. */
import { z } from 'zod';
import { battery, commands, eventSchema, fault, selfTest, tamper } from '../capabilities.js';
import { defineDeviceKind } from '../define-kind.js';

const lel = z.number().min(0).max(100).describe('gas concentration, % of the lower explosive limit');

export const gasAlarm = defineDeviceKind({
  kind: 'gas_alarm',
  idPrefix: 'gas',
  title: 'Gas alarm',
  heartbeatSec: 300,
  capabilities: [selfTest, tamper, fault, battery, commands],
  commands: ['silence', 'configure'],
  events: [
    eventSchema(
      'gas',
      { lel: lel.optional(), gas: z.enum(['natural_gas', 'lpg', 'co']).optional().describe('which gas') },
      'gas detected above the alarm threshold',
    ),
    eventSchema('gas_clear', { lel: lel.optional() }, 'gas concentration back below the threshold'),
  ],
  telemetry: { lel: lel.optional() },
  // The installer presses SOS and does a fall test / presses the test button / opens and closes the door.
  commissioningEvents: ['test'],
  alarmEvents: ['gas'],
  examples: {
    events: [
      { type: 'gas', lel: 25, gas: 'natural_gas', seq: 10 },
      { type: 'gas_clear', lel: 2 },
      { type: 'test' },
      { type: 'tamper' },
      { type: 'fault', code: 'sensor_eol' },
      { type: 'cmd_ack', cmdId: 'cmd-0b7e4d2c9a1f3e58', seq: 11 },
      { type: 'low_battery', battery: 12 },
    ],
    telemetry: [{ lel: 0 }, { lel: 4.5, battery: 77 }],
  },
});
