/**
 * Kind name → simulated behaviour. A catalogue kind without an entry still
 * simulates (battery-only heartbeats), and a test lists the kinds missing one.
 */
import type { KindBehaviour } from './behaviour.js';
import { braceletBehaviour } from './bracelet.js';
import { doorSensorBehaviour } from './door-sensor.js';
import { gasAlarmBehaviour } from './gas-alarm.js';
import { smokeSensorBehaviour } from './smoke-sensor.js';

export const BEHAVIOURS: ReadonlyMap<string, KindBehaviour> = new Map<string, KindBehaviour>(
  [braceletBehaviour, gasAlarmBehaviour, smokeSensorBehaviour, doorSensorBehaviour].map((b) => [b.kind, b]),
);

function batteryOnly(kind: string): KindBehaviour<null> {
  return { kind, batteryDrainPerHour: 0.005, init: () => null, step: (state) => ({ state, telemetry: {} }) };
}

export function behaviourFor(kind: string): KindBehaviour {
  return BEHAVIOURS.get(kind) ?? batteryOnly(kind);
}

export type { BehaviourContext, KindBehaviour, Random, TelemetryFields } from './behaviour.js';
