/** Smoke sensor: room temperature drifting between 20 and 24 °C, cooler at night. */
import { clamp, isNight, round1, type KindBehaviour } from './behaviour.js';

export interface SmokeSensorState {
  utcOffsetMin: number;
  temperatureC: number;
}

export const smokeSensorBehaviour: KindBehaviour<SmokeSensorState> = {
  kind: 'smoke_sensor',
  // A 10-year sealed lithium cell.
  batteryDrainPerHour: 0.001,
  init: (_now, random, { utcOffsetMin }) => ({ utcOffsetMin, temperatureC: round1(21 + random() * 2) }),
  step(state, now, random) {
    const target = isNight(now, state.utcOffsetMin) ? 20.5 : 23;
    const temperatureC = round1(clamp(state.temperatureC + (target - state.temperatureC) * 0.2 + (random() - 0.5) * 0.4, 20, 24));
    return { state: { ...state, temperatureC }, telemetry: { temperatureC } };
  },
};
