/** Scenarios about the resident's wellbeing: wandering at night, a day without activity, an abnormal heart rate. */
import type { Scenario } from './scenario.js';

const TECHNICAL = ['device_offline', 'low_battery', 'tamper', 'not_worn'];

export const nightWandering: Scenario = {
  name: 'night-wandering',
  title: 'Wandering at night',
  description:
    'At 02:15 the resident (dementia) opens the front door, goes out and does not come back: the door closes behind them and the bracelet reports GPS fixes moving away from home (the alert follows them).',
  startsAt: '02:00',
  duration: '+30m',
  routine: false,
  resident: { activity: 'asleep', conditions: ['dementia'] },
  timeline: [
    { at: '+12m', resident: 'home' },
    { at: '+15m', device: 'door', event: 'open' },
    { at: '+15m20s', resident: 'out' },
    { at: '+15m40s', device: 'door', event: 'close' },
    { at: '+17m', device: 'bracelet', telemetry: { heartRate: 92, worn: true, location: { lat: 30.6612, lon: 104.0721, accuracyM: 20 } } },
    { at: '+22m', device: 'bracelet', telemetry: { heartRate: 95, worn: true, location: { lat: 30.6634, lon: 104.0758, accuracyM: 25 } } },
  ],
  expect: { raises: [{ kind: 'night_exit', severity: 'high' }], notRaises: ['sos', 'fall', 'smoke', 'gas', 'door_open', ...TECHNICAL] },
};

export const inactiveResident: Scenario = {
  name: 'inactive-resident',
  title: 'Resident inactive all day',
  description:
    'The resident does not get up: from 07:00 the bracelet is worn and reports a resting heart rate, but no steps, and the door never opens — for 13 hours of the day window.',
  startsAt: '07:00',
  duration: '+13h',
  routine: false,
  resident: { activity: 'still' },
  timeline: [{ at: '+0s', note: 'no door use and no steps from here on' }],
  expect: { raises: [{ kind: 'inactivity', severity: 'medium' }], notRaises: ['sos', 'fall', 'smoke', 'gas', 'night_exit', 'door_open', 'heart_rate'] },
  hubClock: 'inactivity is raised after 12 h without activity by the hub\'s clock: from the device side it takes 12 real hours; tests drive the hub with an injected clock',
};

export const heartRateEpisode: Scenario = {
  name: 'heart-rate-episode',
  title: 'Heart-rate episode',
  description: 'Sitting in the afternoon, the resident\'s heart rate climbs to 135–142 bpm for several readings (atrial fibrillation), then settles.',
  startsAt: '14:00',
  duration: '+15m',
  routine: false,
  resident: { activity: 'still' },
  timeline: [
    // Between two regular heartbeats (every 60 s), so the high readings are consecutive.
    ...[128, 135, 139, 142, 137].map((heartRate, i) => ({ at: `+5m${10 + i * 10}s`, device: 'bracelet' as const, telemetry: { heartRate, spo2: 95, worn: true, location: { room: 'living_room' } } })),
    { at: '+9m10s', device: 'bracelet', telemetry: { heartRate: 88, spo2: 96, worn: true, location: { room: 'living_room' } } },
  ],
  expect: { raises: [{ kind: 'heart_rate', severity: 'high' }], notRaises: ['sos', 'fall', 'smoke', 'gas', 'night_exit', ...TECHNICAL] },
};
