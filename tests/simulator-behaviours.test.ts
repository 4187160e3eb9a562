/**
 * The per-kind simulator behaviours as pure functions: two simulated days at
 * one step a minute, seeded, no broker and no timers.
 */
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../devices/catalog.js';
import { drainBattery, LOW_BATTERY_PERCENT, reportedBattery } from '../simulators/battery.js';
import { seededRandom } from '../simulators/household/seeded-random.js';
import { localHour } from '../simulators/kinds/behaviour.js';
import { BEHAVIOURS, behaviourFor, type KindBehaviour } from '../simulators/kinds/index.js';

/** mulberry32 from the household model: a failure replays exactly. */
const seeded = seededRandom;

const SHANGHAI = 480;
/** 2025-11-24 00:00 in Shanghai. */
const MIDNIGHT = Date.UTC(2025, 10, 23, 16, 0, 0);
const MINUTE = 60_000;

function simulate(behaviour: KindBehaviour, minutes: number, seed = 1): Array<{ now: number; telemetry: Record<string, unknown> }> {
  const random = seeded(seed);
  let state = behaviour.init(MIDNIGHT, random, { utcOffsetMin: SHANGHAI });
  const out = [];
  for (let i = 1; i <= minutes; i++) {
    const now = MIDNIGHT + i * MINUTE;
    const step = behaviour.step(state, now, random);
    state = step.state;
    out.push({ now, telemetry: step.telemetry });
  }
  return out;
}

describe('simulator behaviours', () => {
  it('cover every catalogue kind', () => {
    expect(DEVICE_KINDS.map((k) => k.kind).filter((k) => !BEHAVIOURS.has(k))).toEqual([]);
  });

  it.each(DEVICE_KINDS.map((k) => [k.kind, k] as const))('%s produces valid telemetry for two days', (_name, kind) => {
    for (const { telemetry } of simulate(behaviourFor(kind.kind), 2 * 24 * 60)) {
      expect(kind.telemetrySchema.safeParse({ seq: 1, ts: 1, battery: 50, ...telemetry }).error).toBeUndefined();
    }
  });

  it('is deterministic for a given seed', () => {
    const b = behaviourFor('bracelet');
    expect(simulate(b, 120, 7)).toEqual(simulate(b, 120, 7));
  });

  it('bracelet: heart rate lower at night, SpO2 95–99, steps grow by day and restart at midnight, bedroom at night', () => {
    const samples = simulate(behaviourFor('bracelet'), 2 * 24 * 60);
    const hr = (from: number, to: number) => {
      const values = samples
        .filter((s) => localHour(s.now, SHANGHAI) >= from && localHour(s.now, SHANGHAI) < to)
        .map((s) => s.telemetry.heartRate as number);
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    expect(hr(1, 5)).toBeLessThan(hr(10, 18) - 5);
    for (const s of samples) {
      expect(s.telemetry.spo2).toBeGreaterThanOrEqual(95);
      expect(s.telemetry.spo2).toBeLessThanOrEqual(99);
      expect(s.telemetry.heartRate).toBeGreaterThanOrEqual(45);
      expect(s.telemetry.worn).toBe(true);
    }
    const stepsAt = (minute: number) => samples[minute - 1]?.telemetry.steps as number;
    expect(stepsAt(6 * 60)).toBe(0);
    expect(stepsAt(21 * 60)).toBeGreaterThan(1_000);
    expect(stepsAt(21 * 60)).toBeLessThan(20_000);
    expect(stepsAt(24 * 60 + 60)).toBe(0);
    const at3am = samples[3 * 60 - 1]?.telemetry.location;
    expect(at3am).toEqual({ room: 'bedroom' });
  });

  it('gas alarm reads ~0 % LEL, smoke sensor 20–24 °C, door sensor nothing', () => {
    for (const { telemetry } of simulate(behaviourFor('gas_alarm'), 24 * 60)) {
      expect(telemetry.lel).toBeGreaterThanOrEqual(0);
      expect(telemetry.lel).toBeLessThan(1);
    }
    for (const { telemetry } of simulate(behaviourFor('smoke_sensor'), 24 * 60)) {
      expect(telemetry.temperatureC).toBeGreaterThanOrEqual(20);
      expect(telemetry.temperatureC).toBeLessThanOrEqual(24);
    }
    for (const { telemetry } of simulate(behaviourFor('door_sensor'), 60)) expect(telemetry).toEqual({});
  });

  it('an unknown kind still simulates battery-only heartbeats', () => {
    expect(simulate(behaviourFor('water_leak'), 3).map((s) => s.telemetry)).toEqual([{}, {}, {}]);
  });
});

describe('battery', () => {
  it('drains by the hour and reports low exactly once, below 15 %', () => {
    let state = { percent: 16, lowReported: false };
    const reports: number[] = [];
    for (let hour = 1; hour <= 10; hour++) {
      const step = drainBattery(state, 3_600_000, 0.5);
      state = step.state;
      if (step.reportLow) reports.push(reportedBattery(state));
    }
    expect(state.percent).toBeCloseTo(11);
    expect(reports).toEqual([14]);
    expect(reports[0]).toBeLessThan(LOW_BATTERY_PERCENT);
  });

  it('never goes below 0 and ignores a clock that went backwards', () => {
    expect(drainBattery({ percent: 1, lowReported: true }, 10 * 3_600_000, 1).state.percent).toBe(0);
    expect(drainBattery({ percent: 50, lowReported: false }, -5_000, 1).state.percent).toBe(50);
  });
});
