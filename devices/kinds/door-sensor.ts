/** Magnetic contact on the entrance door. */
import { battery, commands, eventSchema, tamper } from '../capabilities.js';
import { defineDeviceKind } from '../define-kind.js';

export const doorSensor = defineDeviceKind({
  kind: 'door_sensor',
  idPrefix: 'dor',
  title: 'Door sensor',
  heartbeatSec: 900,
  capabilities: [tamper, battery, commands],
  commands: ['configure'],
  events: [
    eventSchema('open', {}, 'the door opened'),
    eventSchema('close', {}, 'the door closed'),
  ],
  telemetry: {},
  // The installer presses SOS and does a fall test / presses the test button / opens and closes the door.
  commissioningEvents: ['open', 'close'],
  alarmEvents: [],
  examples: {
    events: [{ type: 'open', seq: 1 }, { type: 'close', seq: 2 }, { type: 'tamper' }, { type: 'low_battery' }, { type: 'cmd_ack', cmdId: 'cmd-3c8d1a6e2f9b7d04' }],
    telemetry: [{ battery: 64 }, {}],
  },
});
