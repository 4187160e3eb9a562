/**
 * Measures one target with the C generator (c-generator.ts): first a connect
 * storm of every device followed by a few idle seconds (connection figures,
 * idle memory), then one generator run per load step. The target's CPU,
 * memory and system calls are read once per generator progress line, and
 * only the lines of the measured window count, so CPU per message covers
 * the same seconds as the generator's acknowledgements.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureStorm, type StormPlan } from './c-storm.js';
import { runMqttload, writeCredentials, latencyMs as ms, type CReport, type CRunPlan } from './c-generator.js';
import { secondHalfGrowth, type StepPlan, type StepResult, type TargetResult } from './measure.js';
import { stageTimings } from './hub-metrics.js';
import { AlarmObserver } from './observer.js';
import { mib, rssKiB, syscalls, totalCpuSeconds } from './proc-stats.js';
import type { Target } from './targets/target.js';

export interface CMeasureOptions {
  binary: string;
  steps: StepPlan[];
  /** Connects per second in every run's ramp (the connect storm). */
  connectRate: number;
  workers: number;
  onProgress: (line: string) => void;
  /** --storm: after the idle run, a reconnect storm of every device but a steady group (c-storm.ts). */
  storm?: Pick<StormPlan, 'steadyDevices' | 'steadyRate' | 'alarmRate' | 'stormRate' | 'connectTimeoutS'>;
}


/** What the target did over the generator's measured seconds. */
interface Window {
  seconds: number;
  cpuS: number;
  delivered: number;
  reads: number;
  writes: number;
  /** RSS at the end of each measured second, in order. */
  rssKiB: number[];
}

/** Runs the generator once and sums the target's figures over the lines of its measured window. */
async function runWindowed(target: Target, observer: AlarmObserver | undefined, binary: string, plan: CRunPlan, say: (line: string) => void): Promise<{ report: CReport; window: Window }> {
  const cpu = () => totalCpuSeconds(target.workPids);
  const window: Window = { seconds: 0, cpuS: 0, delivered: 0, reads: 0, writes: 0, rssKiB: [] };
  let last = { cpu: cpu(), delivered: observer?.delivered ?? 0, sys: syscalls(target.brokerPid) };
  const report = await runMqttload(binary, plan, (phase, line) => {
    const now = { cpu: cpu(), delivered: observer?.delivered ?? 0, sys: syscalls(target.brokerPid) };
    const rss = rssKiB(target.brokerPid);
    // A progress line covers the second before it: it counts when that second was a measured one.
    if (phase === 'measure') {
      window.seconds++;
      window.cpuS += now.cpu - last.cpu;
      window.delivered += now.delivered - last.delivered;
      window.reads += now.sys.reads - last.sys.reads;
      window.writes += now.sys.writes - last.sys.writes;
      window.rssKiB.push(rss);
    }
    last = now;
    say(`${target.name}: ${line.slice(0, 160)}`);
  });
  return { report, window };
}

/**
 * `shedInRun`: telemetry the hub shed over the whole generator run, read before and after it
 * (while the hub is idle: a read during an overloaded step is answered seconds late). The
 * window's share of it is taken as the window's share of the run's acknowledgements.
 */
function stepResult(step: StepPlan, report: CReport, window: Window, countsDelivered: boolean, shedInRun: number | undefined): StepResult {
  const t = report.telemetry;
  const a = report.alarms;
  const ackedInWindow = t.acks_in_window + a.acks_in_window;
  const ackedRate = ackedInWindow / report.window_s;
  const ackedInRun = t.acked_all_phases + a.acked_all_phases;
  const shedRate = shedInRun === undefined || ackedInRun === 0 ? undefined : (shedInRun * (ackedInWindow / ackedInRun)) / report.window_s;
  const handled = countsDelivered && window.seconds > 0 ? window.delivered / window.seconds : ackedRate;
  const processed = handled - (shedRate ?? 0);
  const messages = handled * window.seconds;
  const perMsg = (n: number) => (messages > 0 ? Math.round((n / messages) * 100) / 100 : NaN);
  return {
    offeredRate: Math.round((t.offered + a.offered) / report.window_s),
    ackedRate: Math.round(ackedRate),
    processedRate: Math.round(processed),
    ...(shedRate === undefined ? {} : { shedRate: Math.round(shedRate) }),
    heldBackByGenerator: t.stalls_inflight + t.stalls_socket + a.stalls_inflight + a.stalls_socket,
    stalled: t.stalls_inflight + a.stalls_inflight,
    alarmsSent: a.sent,
    alarmsSeen: a.acked,
    alarmLatencyMs: null,
    alarmPubackMs: ms(a.latency_us),
    telemetryPubackMs: ms(t.latency_us),
    cpuPct: window.seconds > 0 ? Math.round((window.cpuS / window.seconds) * 100) : NaN,
    cpuUsPerMsg: messages > 0 ? Math.round((window.cpuS / messages) * 1e6 * 10) / 10 : NaN,
    syscallsPerMsg: { reads: perMsg(window.reads), writes: perMsg(window.writes) },
    generatorCpuPct: Math.round(report.generator?.cpu_window_pct_of_core ?? NaN),
    loadAvg1: Math.round((loadavg()[0] ?? NaN) * 100) / 100,
    rssMaxMiB: mib(Math.max(0, ...window.rssKiB)),
    ...secondHalfGrowth(window.rssKiB),
    droppedConnections: report.dropped.count,
  };
}

export async function measureTargetC(target: Target, options: CMeasureOptions): Promise<TargetResult> {
  const rssBefore = rssKiB(target.brokerPid);
  const dir = await mkdtemp(join(tmpdir(), 'hub-bench-creds-'));
  const observer = target.countsDelivered ? await AlarmObserver.open(target.observerUrl) : undefined;
  try {
    const creds = await writeCredentials(dir, target.devices);
    const base = { port: target.port, creds, clients: target.devices.length, connectRate: options.connectRate, workers: options.workers };
    options.onProgress(`${target.name}: connect storm of ${target.devices.length} devices, then idle`);
    // Rate 0: the devices connect and stay idle; the measured seconds give idle memory (their lowest RSS:
    // the hub gives back the storm's heap once it has been quiet for 2 s, hub/ops/idle-memory.ts).
    const idle = await runWindowed(target, observer, options.binary, { ...base, rate: 0, alarmRate: 0, warmupS: 2, durationS: 5 }, options.onProgress);
    // The generator has disconnected by now: its own count at the end of the idle window.
    const held = idle.report.connections.up_at_end;
    const steps: TargetResult['steps'] = [];
    for (const step of options.steps) {
      const before = await target.metricsText?.();
      const shedBefore = await target.shedTelemetry?.();
      const run = await runWindowed(target, observer, options.binary, { ...base, rate: step.rate, alarmRate: step.alarmRate, warmupS: step.warmupS, durationS: step.durationS }, options.onProgress);
      const after = await target.metricsText?.();
      const shedAfter = await target.shedTelemetry?.();
      const shed = shedBefore === undefined || shedAfter === undefined ? undefined : shedAfter - shedBefore;
      const hubTimings = before !== undefined && after !== undefined ? { hubTimings: stageTimings(before, after) } : {};
      steps.push({ ...step, ...stepResult(step, run.report, run.window, target.countsDelivered, shed), ...hubTimings });
    }
    const storm = options.storm && (await measureStorm(target, dir, { ...options.storm, binary: options.binary, workers: options.workers, onProgress: options.onProgress }));
    const c = idle.report.connections;
    const rssIdle = idle.window.rssKiB.length > 0 ? Math.min(...idle.window.rssKiB) : rssKiB(target.brokerPid);
    return {
      target: target.name,
      description: target.description,
      generator: 'mqttload (C, ../shared/tools/mqttload.c)',
      setup: target.setup,
      devices: target.devices.length,
      connections: {
        connected: c.connected,
        failed: c.target - c.connected,
        stormMs: Math.round(c.ramp_s * 1000),
        held,
        ...(c.first_error ? { firstError: c.first_error } : {}),
        ...(ms(c.connack_latency_us) ? { connackMs: ms(c.connack_latency_us)! } : {}),
      },
      rssBeforeMiB: mib(rssBefore),
      rssIdleMiB: mib(rssIdle),
      rssPerIdleDeviceKiB: c.connected > 0 ? Math.round(((rssIdle - rssBefore) / c.connected) * 10) / 10 : NaN,
      steps,
      ...(storm ? { storm } : {}),
    };
  } finally {
    observer?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
