/** Smart bracelet worn by the resident: SOS button, fall detection, heart rate. */
import { z } from 'zod';
import { battery, commands, eventSchema } from '../capabilities.js';
import { defineDeviceKind } from '../define-kind.js';

const location = z.union([
  z.object({
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    accuracyM: z.number().nonnegative().optional(),
  }),
  z.object({ room: z.string().min(1).max(64) }),
]);

export const bracelet = defineDeviceKind({
  kind: 'bracelet',
  idPrefix: 'brc',
  title: 'Smart bracelet',
  heartbeatSec: 60,
  capabilities: [battery, commands],
  commands: ['help_coming', 'configure'],
  events: [
    // A bracelet with GPS should send where it is with the alarm itself: telemetry may be a minute old.
    eventSchema('sos', { location: location.optional().describe('where the wearer is, if the bracelet knows') }, 'the wearer pressed the SOS button'),
    eventSchema(
      'fall',
      {
        confidence: z.number().min(0).max(1).optional().describe('detector confidence, 0–1'),
        location: location.optional().describe('where the wearer is, if the bracelet knows'),
      },
      'a fall was detected',
    ),
    eventSchema('fall_cancelled', {}, 'the wearer cancelled a fall alarm on the bracelet'),
    eventSchema('removed', {}, 'the bracelet was taken off'),
    eventSchema('worn', {}, 'the bracelet was put back on'),
  ],
  telemetry: {
    heartRate: z.number().int().min(0).max(300).optional().describe('heart rate, bpm'),
    spo2: z.number().min(0).max(100).optional().describe('blood oxygen saturation, %'),
    steps: z.number().int().nonnegative().optional().describe('step count since midnight'),
    worn: z.boolean().optional().describe('whether the bracelet is on the wrist'),
    location: location.optional().describe('GPS fix or indoor room'),
  },
  // The installer presses SOS and does a fall test / presses the test button / opens and closes the door.
  commissioningEvents: ['sos', 'fall'],
  alarmEvents: ['sos', 'fall'],
  // The wearer may cancel a detected fall on the bracelet within this window.
  settings: { fallCancelWindowSec: 30 },
  examples: {
    events: [
      { type: 'sos', seq: 1, ts: 1_764_000_000_000 },
      { type: 'sos', seq: 4, location: { lat: 30.6612, lon: 104.0721, accuracyM: 20 } },
      { type: 'fall', confidence: 0.92, seq: 2 },
      { type: 'fall_cancelled', seq: 3 },
      { type: 'removed' },
      { type: 'worn' },
      { type: 'cmd_ack', cmdId: 'cmd-5f2a9c1e7b3d4a60' },
      { type: 'low_battery', battery: 9 },
    ],
    telemetry: [
      { heartRate: 72, spo2: 97, steps: 1200, worn: true, battery: 81, location: { room: 'kitchen' } },
      { heartRate: 64, location: { lat: 30.657, lon: 104.066, accuracyM: 12 } },
      {},
    ],
  },
});
