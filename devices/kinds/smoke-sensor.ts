/** Standalone photoelectric smoke sensor with a temperature reading. */
import { z } from 'zod';
import { battery, commands, eventSchema, fault, selfTest, tamper } from '../capabilities.js';
import { defineDeviceKind } from '../define-kind.js';

export const smokeSensor = defineDeviceKind({
  kind: 'smoke_sensor',
  idPrefix: 'smk',
  title: 'Smoke sensor',
  heartbeatSec: 300,
  capabilities: [selfTest, tamper, fault, battery, commands],
  commands: ['silence', 'configure'],
  events: [
    eventSchema('smoke', {}, 'smoke detected: the local siren is sounding'),
    eventSchema('smoke_clear', {}, 'the smoke chamber is clear again'),
  ],
  telemetry: {
    temperatureC: z.number().min(-40).max(150).optional().describe('air temperature at the sensor, °C'),
  },
  // The installer presses SOS and does a fall test / presses the test button / opens and closes the door.
  commissioningEvents: ['test'],
  alarmEvents: ['smoke'],
  examples: {
    events: [
      { type: 'smoke', seq: 4 },
      { type: 'smoke_clear' },
      { type: 'test' },
      { type: 'tamper' },
      { type: 'fault' },
      { type: 'cmd_ack', cmdId: 'cmd-0b7e4d2c9a1f3e58', seq: 5 },
      { type: 'low_battery', battery: 8 },
    ],
    telemetry: [{ temperatureC: 22.5 }, { temperatureC: 61, battery: 90 }],
  },
});
