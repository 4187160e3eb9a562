/** Battery drain and the one-shot low-battery warning, as a pure step. */

/** Below this a simulated device sends `low_battery` (once). */
export const LOW_BATTERY_PERCENT = 15;

export interface BatteryState {
  percent: number;
  lowReported: boolean;
}

export function drainBattery(
  state: BatteryState,
  elapsedMs: number,
  drainPerHour: number,
): { state: BatteryState; reportLow: boolean } {
  const percent = Math.max(0, state.percent - (Math.max(0, elapsedMs) / 3_600_000) * drainPerHour);
  // Real devices warn once per battery, not on every heartbeat: the hub raises one alert from it.
  const reportLow = percent < LOW_BATTERY_PERCENT && !state.lowReported;
  return { state: { percent, lowReported: state.lowReported || reportLow }, reportLow };
}

/** What goes in `battery`: whole percent, rounded down so 14.7 % already reads as below 15. */
export function reportedBattery(state: BatteryState): number {
  return Math.floor(state.percent);
}
