/**
 * A reconnect storm with the C generator (issue 14 item 4): a steady group of
 * devices stays connected and sends alarms and telemetry while every other
 * device connects at once (at `stormRate` connects/s, as after a hub restart
 * or a network outage). Measured: how long until every storm device has its
 * CONNACK, how many never got one within `connectTimeoutS`, and the steady
 * group's alarm PUBACK latency over exactly the storm's seconds.
 *
 * Two generator runs side by side, each its own processes (each under the
 * per-process descriptor limit); the hub holds both groups' connections.
 */
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { runMqttload, writeCredentials, latencyMs as ms, type CReport } from './c-generator.js';
import { mib, rssKiB, totalCpuSeconds } from './proc-stats.js';
import type { Percentiles } from './stats.js';
import type { Target } from './targets/target.js';

export interface StormPlan {
  binary: string;
  /** Devices that stay connected through the storm (the first ones of the target). */
  steadyDevices: number;
  /** The steady group's telemetry and alarms, msg/s. */
  steadyRate: number;
  alarmRate: number;
  /** Connects per second the storm devices are started at. */
  stormRate: number;
  /** A storm device without CONNACK after this long counts as not back. */
  connectTimeoutS: number;
  workers: number;
  onProgress: (line: string) => void;
}

export interface StormResult {
  stormDevices: number;
  steadyDevices: number;
  stormRate: number;
  connected: number;
  /** Storm devices with no CONNACK (refused, error or timeout). */
  notBack: number;
  /** First connect attempt to the last CONNACK of the storm group. */
  allBackMs: number;
  connackMs: Percentiles | null;
  firstError?: string;
  steady: { alarmPubackMs: Percentiles | null; telemetryPubackMs: Percentiles | null; alarmsSent: number; alarmsAcked: number; dropped: number; windowS: number };
  targetCpuPct: number;
  rssMaxMiB: number;
  loadAvg1: number;
}

/** Resolves once `phase` shows up in the generator's progress, or when `run` settles first. */
export function phaseReached(run: Promise<unknown>, listeners: Set<(phase: string) => void>, phase: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (p: string) => p === phase && (listeners.delete(listener), resolve());
    listeners.add(listener);
    void run.finally(() => resolve());
  });
}

export async function measureStorm(target: Target, dir: string, plan: StormPlan): Promise<StormResult> {
  const groups = await writeGroups(target, dir, plan.steadyDevices);
  const run = await runStorm(target, plan, groups);
  return stormResult(plan, groups, run);
}

interface Groups {
  steadyCount: number;
  stormCount: number;
  steadyCreds: string;
  stormCreds: string;
}

/** The target's first devices form the steady group (at most half of them), the rest storm; each group's credentials file. */
async function writeGroups(target: Target, dir: string, steadyDevices: number): Promise<Groups> {
  const steadyCount = Math.min(steadyDevices, Math.floor(target.devices.length / 2));
  const stormDevices = target.devices.slice(steadyCount);
  await Promise.all(['steady', 'storm'].map((group) => mkdir(join(dir, group))));
  const steadyCreds = await writeCredentials(join(dir, 'steady'), target.devices.slice(0, steadyCount));
  const stormCreds = await writeCredentials(join(dir, 'storm'), stormDevices);
  return { steadyCount, stormCount: stormDevices.length, steadyCreds, stormCreds };
}

interface StormRun {
  /** The steady group's report, over the storm's seconds. */
  held: CReport;
  storm: CReport;
  cpuS: number;
  elapsedS: number;
  rssMaxKiB: number;
}

/** The steady group until it measures, then the storm beside it; the steady window closes when the storm is over. */
async function runStorm(target: Target, plan: StormPlan, groups: Groups): Promise<StormRun> {
  const base = { port: target.port, workers: plan.workers, warmupS: 2 };
  const stop = new AbortController();
  const phases = new Set<(phase: string) => void>();
  let rssMax = 0;
  const cpuAtStart = { value: NaN, at: 0 };
  // The steady group measures until it is told to stop: its window is the storm's seconds.
  const steady = runMqttload(
    plan.binary,
    { ...base, creds: groups.steadyCreds, clients: groups.steadyCount, rate: plan.steadyRate, alarmRate: plan.alarmRate, durationS: 600, connectRate: 4000 },
    (phase, line) => {
      for (const listener of phases) listener(phase);
      if (phase === 'measure') rssMax = Math.max(rssMax, rssKiB(target.brokerPid));
      plan.onProgress(`${target.name} storm, steady group: ${line.slice(0, 140)}`);
    },
    stop.signal,
  );
  // The storm devices stay connected until the steady group has reported: their mass
  // disconnect at the end is not part of the storm and must not fall in its window.
  const stopStorm = new AbortController();
  let stormRun: Promise<CReport> | undefined;
  let held: CReport;
  try {
    await phaseReached(steady, phases, 'measure');
    cpuAtStart.value = totalCpuSeconds(target.workPids);
    cpuAtStart.at = performance.now();
    stormRun = runMqttload(
      plan.binary,
      { ...base, warmupS: 0, creds: groups.stormCreds, clients: groups.stormCount, rate: 0, alarmRate: 0, durationS: 600, connectRate: plan.stormRate, connectTimeoutS: plan.connectTimeoutS },
      (phase, line) => {
        // Past the ramp: every storm device has its CONNACK or has failed; the storm is over.
        if (phase !== 'ramp') stop.abort();
        else plan.onProgress(`${target.name} storm: ${line.slice(0, 140)}`);
      },
      stopStorm.signal,
    );
    // A storm run that ends early (an error) ends the steady window too; its error is awaited below.
    stormRun.then(() => stop.abort(), () => stop.abort());
    held = await steady;
  } finally {
    stop.abort();
    stopStorm.abort();
  }
  const cpuS = totalCpuSeconds(target.workPids) - cpuAtStart.value;
  const elapsedS = (performance.now() - cpuAtStart.at) / 1000;
  return { held, storm: await stormRun!, cpuS, elapsedS, rssMaxKiB: rssMax };
}

function stormResult(plan: StormPlan, groups: Groups, { held, storm, cpuS, elapsedS, rssMaxKiB }: StormRun): StormResult {
  const c = storm.connections;
  return {
    stormDevices: groups.stormCount,
    steadyDevices: groups.steadyCount,
    stormRate: plan.stormRate,
    connected: c.connected,
    notBack: c.target - c.connected,
    allBackMs: Math.round(c.ramp_s * 1000),
    connackMs: ms(c.connack_latency_us),
    ...(c.first_error ? { firstError: c.first_error } : {}),
    steady: {
      alarmPubackMs: ms(held.alarms.latency_us),
      telemetryPubackMs: ms(held.telemetry.latency_us),
      alarmsSent: held.alarms.sent,
      alarmsAcked: held.alarms.acked,
      dropped: held.dropped.count,
      windowS: held.window_s,
    },
    targetCpuPct: Math.round((cpuS / elapsedS) * 100),
    rssMaxMiB: mib(rssMaxKiB),
    loadAvg1: Math.round((loadavg()[0] ?? NaN) * 100) / 100,
  };
}
