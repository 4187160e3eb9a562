/**
 * The bench's "memory under overload: bounded" verdict (bench/report.ts):
 * a level, not a size. RSS that levels off under load is bounded however far
 * above idle it sits; RSS still climbing in the step's second half is not.
 */
import { describe, expect, it } from 'vitest';
import { secondHalfGrowth, type TargetResult } from '../bench/measure.js';
import { targetChecks } from '../bench/report.js';

const MiB = 1024;

function hubWithLastStep(step: Partial<TargetResult['steps'][number]>): TargetResult {
  return {
    target: 'hub',
    description: 'hub',
    setup: {},
    devices: 4_000,
    connections: { connected: 4_000, failed: 0, stormMs: 1_000, held: 4_000 },
    rssBeforeMiB: 90,
    rssIdleMiB: 118,
    rssPerIdleDeviceKiB: 8,
    steps: [
      {
        rate: 60_000,
        alarmRate: 100,
        durationS: 8,
        warmupS: 2,
        offeredRate: 60_000,
        ackedRate: 60_000,
        processedRate: 6_000, // not kept up: the overloaded step
        heldBackByGenerator: 0,
        alarmsSent: 800,
        alarmsSeen: 800,
        alarmLatencyMs: null,
        alarmPubackMs: { count: 800, p50: 40, p95: 100, p99: 120, max: 200 },
        cpuPct: 100,
        cpuUsPerMsg: 16.6,
        syscallsPerMsg: { reads: 1, writes: 0.29 },
        generatorCpuPct: 45,
        loadAvg1: 1.5,
        rssMaxMiB: 300,
        droppedConnections: 0,
        ...step,
      },
    ],
  };
}

const memoryCheck = (result: TargetResult) => targetChecks([result], 1_000).find((c) => c.measure === 'memory under overload')!;

describe('RSS growth over a measured window', () => {
  it("is the second half's highest less the first half's, in MiB", () => {
    expect(secondHalfGrowth([100, 200, 300, 400].map((m) => m * MiB))).toEqual({ rssSecondHalfGrowthMiB: 200 });
    expect(secondHalfGrowth([300, 310, 305, 308, 309].map((m) => m * MiB))).toEqual({ rssSecondHalfGrowthMiB: -1 });
  });

  it('is not told for fewer than four samples', () => {
    expect(secondHalfGrowth([100, 200, 300].map((m) => m * MiB))).toEqual({});
  });
});

describe('memory under overload', () => {
  it('is bounded when RSS levelled off, though it sits at 2.5 times idle', () => {
    const check = memoryCheck(hubWithLastStep({ rssMaxMiB: 300, rssSecondHalfGrowthMiB: 4 }));
    expect(check.met).toBe(true);
    expect(check.measured).toBe("RSS 118 → 300 MiB at 60,000 msg/s offered, +4 MiB in the step's second half");
  });

  it('is missed while RSS still climbs in the second half, though it is under twice idle', () => {
    const check = memoryCheck(hubWithLastStep({ rssMaxMiB: 200, rssSecondHalfGrowthMiB: 60 }));
    expect(check.met).toBe(false);
  });

  it('falls back to "under twice idle" for a step too short to tell', () => {
    expect(memoryCheck(hubWithLastStep({ rssMaxMiB: 200 })).met).toBe(true);
    expect(memoryCheck(hubWithLastStep({ rssMaxMiB: 300 })).met).toBe(false);
  });

  it('is not judged for a step the hub kept up with', () => {
    expect(memoryCheck(hubWithLastStep({ processedRate: 60_000, rssSecondHalfGrowthMiB: 60 })).met).toBeNull();
  });
});
