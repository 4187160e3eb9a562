/**
 * Open-loop pacing: every tick sends what the schedule says is due by now,
 * so a slow target does not slow the offered load down (a closed loop would
 * hide exactly the overload we want to see). A tick sends at most a tenth of
 * a second's worth, so the generator keeps reading acknowledgements even
 * when it falls behind; falling behind shows up as sent < planned.
 */
import { performance } from 'node:perf_hooks';
import type { LoadDevicePool } from './device-pool.js';

export interface RatePlan {
  /** Telemetry messages per second over the whole pool. */
  rate: number;
  /** SOS alarms per second over the whole pool. */
  alarmRate: number;
  durationMs: number;
}

const TICK_MS = 5;

export function driveAtRate(pool: LoadDevicePool, plan: RatePlan): Promise<{ planned: number; offered: number; alarms: number }> {
  const started = performance.now();
  let offered = 0;
  let attempted = 0;
  let alarms = 0;
  let alarmAttempts = 0;
  const maxPerTick = Math.max(1, Math.ceil(plan.rate / 10));
  return new Promise((resolve) => {
    const tick = () => {
      const elapsed = Math.min(performance.now() - started, plan.durationMs);
      const dueAlarms = Math.floor((plan.alarmRate * elapsed) / 1000) - alarmAttempts;
      // Alarms first: under overload they are the messages that must not wait.
      for (let i = 0; i < dueAlarms; i++) {
        alarmAttempts++;
        if (pool.sendAlarm()) alarms++;
      }
      const due = Math.min(maxPerTick, Math.floor((plan.rate * elapsed) / 1000) - attempted);
      for (let i = 0; i < due; i++) {
        attempted++;
        if (pool.sendTelemetry()) offered++;
      }
      if (elapsed >= plan.durationMs) {
        clearInterval(timer);
        resolve({ planned: Math.floor((plan.rate * plan.durationMs) / 1000), offered, alarms });
      }
    };
    const timer = setInterval(tick, TICK_MS);
  });
}
