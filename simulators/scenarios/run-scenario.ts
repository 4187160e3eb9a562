/**
 * Runs a scenario against a live hub, with simulated time running `speed`
 * times faster than the wall clock. Devices send simulated time as `ts`; the
 * hub still judges time with its own clock, so rules about time passing
 * (inactivity, offline, door left open) see only the real minutes — see
 * Scenario.hubClock and docs/SIMULATORS.md.
 */
import type { Action, Role } from '../household/actions.js';
import { Household, type DeviceCredentials } from '../household/household.js';
import { runActions, SpedUpClock } from '../household/runner.js';
import type { Random } from '../kinds/index.js';
import { scenarioActions, type Scenario } from './scenario.js';

export interface LiveScenarioOptions {
  scenario: Scenario;
  url: string;
  devices: Partial<Record<Role, DeviceCredentials>>;
  speed: number;
  utcOffsetMin: number;
  random?: Random;
  signal?: AbortSignal;
  onAction?: (action: Action, household: Household) => void;
  onError?: (err: Error, action: Action) => void;
}

const DAY_MS = 86_400_000;

export async function runScenarioLive(options: LiveScenarioOptions): Promise<void> {
  const random = options.random ?? Math.random;
  // The latest past occurrence of the scenario's start time: device timestamps stay in the past.
  const run = scenarioActions(options.scenario, Date.now() - DAY_MS, random, options.utcOffsetMin);
  const clock = new SpedUpClock(run.start, options.speed);
  const household = new Household({
    url: options.url,
    devices: options.devices,
    // `ts` is an integer number of milliseconds (docs/PROTOCOL.md).
    now: () => Math.floor(clock.now()),
    utcOffsetMin: options.utcOffsetMin,
    random,
    ...(options.scenario.battery ? { battery: options.scenario.battery } : {}),
    ...(options.scenario.resident?.activity ? { activity: options.scenario.resident.activity } : {}),
  });
  if (options.onAction) household.on('action', (a) => options.onAction!(a, household));
  household.on('error', (err, action) => options.onError?.(err, action));
  await household.start();
  try {
    await runActions(run.actions, (a) => household.perform(a), (t) => clock.until(t, options.signal), options.signal);
    await clock.until(run.end, options.signal);
  } finally {
    await household.stop();
  }
}
