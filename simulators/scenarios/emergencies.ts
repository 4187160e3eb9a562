/** Scenarios where the resident or the home is in danger now: each must raise a critical alert at once. */
import { rising, type Scenario } from './scenario.js';

/** The technical alerts a short emergency scenario must not cause on the side. */
const QUIET = ['device_offline', 'low_battery', 'tamper', 'not_worn', 'inactivity', 'night_exit', 'door_open'];

export const sos: Scenario = {
  name: 'sos',
  title: 'SOS',
  description: 'Mid-morning at home, the resident presses the SOS button on the bracelet.',
  startsAt: '10:00',
  duration: '+5m',
  routine: false,
  resident: { activity: 'home' },
  timeline: [{ at: '+1m', device: 'bracelet', event: 'sos' }],
  expect: { raises: [{ kind: 'sos', severity: 'critical' }], notRaises: ['fall', 'smoke', 'gas', 'heart_rate', ...QUIET] },
};

export const fallAtNight: Scenario = {
  name: 'fall-at-night',
  title: 'Fall at night',
  description: 'Up at 02:40 to go to the bathroom, the resident falls; the bracelet detects it and nobody cancels it. The heart rate jumps.',
  startsAt: '02:30',
  duration: '+15m',
  routine: false,
  resident: { activity: 'asleep' },
  timeline: [
    { at: '+8m', resident: 'home' },
    { at: '+10m', device: 'bracelet', event: 'fall', fields: { confidence: 0.93 } },
    { at: '+10m30s', device: 'bracelet', telemetry: { heartRate: 104, worn: true, location: { room: 'bathroom' } } },
    { at: '+11m', resident: 'still' },
  ],
  expect: { raises: [{ kind: 'fall', severity: 'critical' }], notRaises: ['sos', 'smoke', 'gas', ...QUIET] },
};

export const fallCancelled: Scenario = {
  name: 'fall-cancelled',
  title: 'Fall cancelled by the wearer',
  description: 'The bracelet detects a fall in the afternoon; 12 s later the resident presses "I am OK". The alert stays, as a call-back (medium).',
  startsAt: '15:00',
  duration: '+5m',
  routine: false,
  resident: { activity: 'home' },
  timeline: [
    { at: '+1m', device: 'bracelet', event: 'fall', fields: { confidence: 0.71 } },
    { at: '+1m12s', device: 'bracelet', event: 'fall_cancelled' },
  ],
  expect: { raises: [{ kind: 'fall', severity: 'medium' }], notRaises: ['sos', 'smoke', 'gas', ...QUIET] },
};

export const kitchenFire: Scenario = {
  name: 'kitchen-fire',
  title: 'Kitchen fire',
  description: 'A pan left on the stove: the smoke sensor alarms, then the temperature at the sensor climbs from 24 °C to 70 °C.',
  startsAt: '18:20',
  duration: '+10m',
  routine: false,
  resident: { activity: 'home' },
  timeline: [
    { at: '+1m', device: 'smoke', telemetry: { temperatureC: 26 } },
    { at: '+2m', device: 'smoke', event: 'smoke' },
    ...rising('smoke', 'temperatureC', '+2m30s', '30s', [31, 38, 45, 52, 58, 63, 67, 70]),
    { at: '+7m', device: 'smoke', event: 'smoke' },
  ],
  expect: { raises: [{ kind: 'smoke', severity: 'critical' }], notRaises: ['sos', 'fall', 'gas', ...QUIET] },
};

export const gasLeak: Scenario = {
  name: 'gas-leak',
  title: 'Gas leak',
  description: 'A burner left open: the LEL reading rises past the 10 % warning to 26 %, and the alarm fires its own gas event at 22 %.',
  startsAt: '11:30',
  duration: '+10m',
  routine: false,
  resident: { activity: 'home' },
  timeline: [
    ...rising('gas', 'lel', '+2m', '20s', [1, 2, 4, 6, 8, 11, 13, 15, 18]),
    { at: '+5m', device: 'gas', event: 'gas', fields: { lel: 22, gas: 'natural_gas' } },
    ...rising('gas', 'lel', '+5m20s', '20s', [24, 26, 26]),
  ],
  expect: { raises: [{ kind: 'gas', severity: 'critical' }], notRaises: ['sos', 'fall', 'smoke', ...QUIET] },
};
