/**
 * Bracelet: heart rate drifting around the wearer's resting rate (lower at
 * night, up with daytime activity), SpO2 95–99 %, steps that grow during the
 * day and reset at midnight, and the room the wearer is in.
 */
import { clamp, isNight, localDay, localHour, type KindBehaviour, type Random } from './behaviour.js';

export interface BraceletState {
  utcOffsetMin: number;
  restingHr: number;
  heartRate: number;
  steps: number;
  /** Local day of `steps`, so the count restarts at midnight like a real tracker. */
  day: number;
  lastAt: number;
  /** Scenarios flip this; the device then reports no heart rate, as a real one cannot measure it. */
  worn: boolean;
  room: string;
}

const DAY_ROOMS = ['living_room', 'kitchen', 'living_room', 'bathroom', 'bedroom'] as const;
const MORNING_ROOMS = ['bathroom', 'kitchen', 'living_room'] as const;

function pick<T>(items: readonly T[], random: Random): T {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))] as T;
}

function nextRoom(state: BraceletState, now: number, random: Random): string {
  if (isNight(now, state.utcOffsetMin)) return 'bedroom';
  // People do not wander every minute: keep the room most of the time.
  if (random() < 0.7) return state.room;
  const hour = localHour(now, state.utcOffsetMin);
  return pick(hour < 9 ? MORNING_ROOMS : DAY_ROOMS, random);
}

export const braceletBehaviour: KindBehaviour<BraceletState> = {
  kind: 'bracelet',
  // About a week per charge.
  batteryDrainPerHour: 0.6,
  init(now, random, { utcOffsetMin }) {
    const restingHr = 60 + Math.floor(random() * 15);
    return {
      utcOffsetMin,
      restingHr,
      heartRate: restingHr,
      steps: 0,
      day: localDay(now, utcOffsetMin),
      lastAt: now,
      worn: true,
      room: isNight(now, utcOffsetMin) ? 'bedroom' : 'living_room',
    };
  },
  step(state, now, random) {
    const elapsedMin = clamp((now - state.lastAt) / 60_000, 0, 60);
    const night = isNight(now, state.utcOffsetMin);
    const hour = localHour(now, state.utcOffsetMin);
    const awake = hour >= 7 && hour < 21;
    const day = localDay(now, state.utcOffsetMin);
    // Asleep the heart slows below the resting rate; awake, light activity lifts it.
    const target = night ? state.restingHr - 6 : state.restingHr + random() * 15;
    const heartRate = Math.round(clamp(state.heartRate + (target - state.heartRate) * 0.3 + (random() - 0.5) * 6, 45, 140));
    // ~5 steps a minute on average while awake: a few thousand a day, typical for an elderly person at home.
    const walked = awake ? Math.round(random() * 12 * elapsedMin) : 0;
    const steps = (day === state.day ? state.steps : 0) + walked;
    const next: BraceletState = { ...state, heartRate, steps, day, lastAt: now, room: nextRoom(state, now, random) };
    const spo2 = 95 + Math.floor(random() * 5);
    const vitals = next.worn ? { heartRate, spo2 } : {};
    return { state: next, telemetry: { ...vitals, steps, worn: next.worn, location: { room: next.room } } };
  },
};
