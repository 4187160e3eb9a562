/** Scenarios about the devices themselves: one drops out, one runs low on battery. */
import type { Scenario } from './scenario.js';

const SAFETY = ['sos', 'fall', 'smoke', 'gas', 'heart_rate', 'night_exit'];

export const deviceDropout: Scenario = {
  name: 'device-dropout',
  title: 'Device drop-out',
  description:
    'The smoke sensor loses power at 10:05 and stays silent for 40 minutes (its heartbeat is 5 min: offline after 15), then comes back.',
  startsAt: '10:00',
  duration: '+50m',
  routine: false,
  resident: { activity: 'home' },
  timeline: [
    { at: '+5m', device: 'smoke', power: 'off' },
    { at: '+45m', device: 'smoke', power: 'on' },
  ],
  expect: { raises: [{ kind: 'device_offline', severity: 'low' }], notRaises: [...SAFETY, 'low_battery'] },
  hubClock: 'the hub marks a device offline after 3 × its heartbeat of silence by its own clock (15 min for a smoke sensor); tests drive the hub with an injected clock',
};

export const lowBattery: Scenario = {
  name: 'low-battery',
  title: 'Low battery',
  description: 'The bracelet was not charged: it starts at 15.4 % and drains (0.6 %/h) below 15 %, when it sends low_battery once.',
  startsAt: '16:00',
  duration: '+2h',
  routine: false,
  resident: { activity: 'home' },
  battery: { bracelet: 15.4 },
  timeline: [],
  expect: { raises: [{ kind: 'low_battery', severity: 'low' }], notRaises: [...SAFETY, 'device_offline'] },
};
