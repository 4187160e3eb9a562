/** An ordinary day: the routine alone must raise nothing at all. */
import type { Scenario } from './scenario.js';

export const normalDay: Scenario = {
  name: 'normal-day',
  title: 'Normal day',
  description:
    'A whole day from midnight: asleep until about 06:40, a morning walk through the front door, a rest after lunch, sometimes a visitor, bed at about 21:15; devices at their real intervals, now and then a short drop-out.',
  startsAt: '00:00',
  duration: '+24h',
  routine: true,
  timeline: [],
  expect: {
    raises: [],
    notRaises: ['sos', 'fall', 'smoke', 'gas', 'heart_rate', 'night_exit', 'door_open', 'inactivity', 'device_offline', 'low_battery', 'tamper', 'not_worn'],
  },
};
