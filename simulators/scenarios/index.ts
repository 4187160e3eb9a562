/** Every scenario, by name, in the order `npm run sim -- --list` shows them. */
import { fallAtNight, fallCancelled, gasLeak, kitchenFire, sos } from './emergencies.js';
import { normalDay } from './normal-day.js';
import type { Scenario } from './scenario.js';
import { deviceDropout, lowBattery } from './technical.js';
import { heartRateEpisode, inactiveResident, nightWandering } from './wellbeing.js';

export const SCENARIOS: readonly Scenario[] = [
  normalDay,
  sos,
  fallAtNight,
  fallCancelled,
  kitchenFire,
  gasLeak,
  nightWandering,
  inactiveResident,
  heartRateEpisode,
  deviceDropout,
  lowBattery,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** The emergencies the demo triggers in a random home every minute or so. */
export const EMERGENCIES: readonly string[] = ['sos', 'fall-at-night', 'fall-cancelled', 'kitchen-fire', 'gas-leak', 'heart-rate-episode', 'night-wandering'];

export type { Scenario, ScenarioStep, ExpectedAlert } from './scenario.js';
export { scenarioActions, timelineActions } from './scenario.js';
