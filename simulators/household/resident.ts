/**
 * The resident's body as the bracelet sees it: what they are doing (asleep,
 * still, about the house, out walking) sets the heart rate they drift
 * towards, how many steps they take and which room the bracelet reports.
 * Pure: (state, now, random) → state, so a whole day is testable without MQTT.
 */
import { localDay } from '../kinds/behaviour.js';
import type { Random } from '../kinds/index.js';

export const ACTIVITIES = ['asleep', 'still', 'home', 'out'] as const;
export type Activity = (typeof ACTIVITIES)[number];

export interface ResidentState {
  activity: Activity;
  restingHr: number;
  heartRate: number;
  /** Since local midnight, like a real tracker. */
  steps: number;
  day: number;
  room: string;
  lastAt: number;
  utcOffsetMin: number;
}

/** Heart rate each activity settles at, relative to resting; steps per minute. */
const PROFILE: Record<Activity, { hr: number; stepsPerMin: number }> = {
  asleep: { hr: -7, stepsPerMin: 0 },
  still: { hr: 0, stepsPerMin: 0 },
  home: { hr: 8, stepsPerMin: 6 },
  out: { hr: 25, stepsPerMin: 70 },
};

const HOME_ROOMS = ['living_room', 'kitchen', 'living_room', 'bathroom', 'bedroom'] as const;

export function newResident(now: number, random: Random, utcOffsetMin: number, activity: Activity = 'home'): ResidentState {
  const restingHr = 62 + Math.floor(random() * 12);
  return { activity, restingHr, heartRate: restingHr, steps: 0, day: localDay(now, utcOffsetMin), room: activity === 'asleep' ? 'bedroom' : 'living_room', lastAt: now, utcOffsetMin };
}

/** Moves the resident's body on to `now`. */
export function advanceResident(state: ResidentState, now: number, random: Random): ResidentState {
  const minutes = Math.max(0, (now - state.lastAt) / 60_000);
  const profile = PROFILE[state.activity];
  const target = state.restingHr + profile.hr;
  // Heart rate relaxes towards the activity's level within a few minutes, with beat-to-beat noise.
  const pull = Math.min(1, minutes / 3);
  const heartRate = Math.round(state.heartRate + (target - state.heartRate) * pull + (random() - 0.5) * 4);
  const day = localDay(now, state.utcOffsetMin);
  const walked = Math.round(profile.stepsPerMin * minutes * (0.6 + random() * 0.8));
  const steps = (day === state.day ? state.steps : 0) + walked;
  const room = state.activity === 'asleep' ? 'bedroom' : state.activity === 'home' && random() < 0.3 ? HOME_ROOMS[Math.floor(random() * HOME_ROOMS.length)]! : state.room;
  return { ...state, heartRate, steps, day, room, lastAt: now };
}

/** What the bracelet reports about the wearer (the device adds seq, ts, battery and its own SpO2). */
export function braceletReading(state: ResidentState): Record<string, unknown> {
  const location = state.activity === 'out' ? { lat: 30.657 + (state.steps % 50) / 10_000, lon: 104.066, accuracyM: 15 } : { room: state.room };
  return { heartRate: state.heartRate, steps: state.steps, worn: true, location };
}
