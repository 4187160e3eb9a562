/**
 * Measures one target with the shared generator: connect every device (the
 * connection storm), read idle memory, then run each load step and collect
 * throughput, alarm latency to the operator socket, alarm PUBACK latency, CPU
 * and memory.
 */
import type { StormResult } from './c-storm.js';
import type { StageTimings } from './hub-metrics.js';
import { performance } from 'node:perf_hooks';
import { wallClock } from '../simulators/load/device-pool.js';
import type { LoadEndpoint } from '../simulators/load/load-client.js';
import type { LoadGenerator, RunResult } from './generator.js';
import { AlarmObserver } from './observer.js';
import { loadavg } from 'node:os';
import { cpuMeter, mib, rssKiB, syscalls } from './proc-stats.js';
import { percentiles, sleep, type Percentiles } from './stats.js';
import type { Target } from './targets/target.js';

export interface StepPlan {
  rate: number;
  alarmRate: number;
  durationS: number;
  warmupS: number;
}

export interface StepResult {
  offeredRate: number;
  /** Publishes the target acknowledged per second (QoS 1 PUBACK). */
  ackedRate: number;
  /** Messages the target's subscriber processed per second; for the hub those it acknowledged less those it shed. */
  processedRate: number;
  /** The hub only: telemetry acknowledged but shed (kept as a sign of life) per second, in the measured window. */
  shedRate?: number;
  /** The hub only: where its alarms' time went inside it, and its read phases, over the whole step (bench/hub-metrics.ts). */
  hubTimings?: StageTimings;
  heldBackByGenerator: number;
  alarmsSent: number;
  alarmsSeen: number;
  alarmLatencyMs: Percentiles | null;
  alarmPubackMs: Percentiles | null;
  /** C generator only: telemetry PUBACK latency (the Node generator does not record it). */
  telemetryPubackMs?: Percentiles | null;
  /** C generator only: messages it could not send because 16 were in flight on the connection (the target was slow to PUBACK). */
  stalled?: number;
  cpuPct: number;
  /** The target's CPU time per message it handled (acknowledged, for the hub shed ones included): less blurred by other load on the machine than latency is. */
  cpuUsPerMsg: number;
  /** Read / write system calls of the broker process per processed message. */
  syscallsPerMsg: { reads: number; writes: number };
  generatorCpuPct: number;
  /** The machine's 1-minute load average at the end of the step: above ~2 on 2 cores, latencies include waiting for a core. */
  loadAvg1: number;
  rssMaxMiB: number;
  /**
   * How much higher the RSS went in the second half of the measured window
   * than in the first (MiB): near 0 once memory has levelled off under the
   * load, large while it still climbs (secondHalfGrowth).
   */
  rssSecondHalfGrowthMiB?: number;
  droppedConnections: number;
}

export interface TargetResult {
  target: string;
  description: string;
  setup: Record<string, number>;
  devices: number;
  connections: { connected: number; failed: number; stormMs: number; held: number; firstError?: string; connackMs?: Percentiles };
  /** Which load generator produced the figures. */
  generator?: string;
  rssBeforeMiB: number;
  rssIdleMiB: number;
  rssPerIdleDeviceKiB: number;
  steps: (StepPlan & StepResult)[];
  /** --storm: a reconnect storm beside a steady group of connected devices (c-storm.ts). */
  storm?: StormResult;
}

export interface MeasureOptions {
  steps: StepPlan[];
  qos: 0 | 1;
  maxInflight: number;
  connectConcurrency: number;
  localAddresses: string[];
  onProgress: (line: string) => void;
}

export async function measureTarget(target: Target, generator: LoadGenerator, options: MeasureOptions): Promise<TargetResult> {
  const rssBefore = rssKiB(target.brokerPid);
  const endpoints: LoadEndpoint[] = options.localAddresses.map((localAddress) => ({ host: target.host, port: target.port, localAddress }));
  options.onProgress(`${target.name}: connecting ${target.devices.length} devices`);
  const storm = await generator.connect(target.devices, endpoints, { qos: options.qos, maxInflight: options.maxInflight, concurrency: options.connectConcurrency });
  // Let the connection storm settle before reading idle memory: the hub gives back the storm's heap
  // once it has been quiet for 2 s (hub/ops/idle-memory.ts).
  await sleep(4_000);
  const rssIdle = rssKiB(target.brokerPid);
  const held = (await target.connectedClients?.()) ?? storm.connected;
  const observer = await AlarmObserver.open(target.observerUrl);
  const steps: TargetResult['steps'] = [];
  try {
    for (const step of options.steps) steps.push({ ...step, ...(await runStep(target, generator, observer, step, options.onProgress)) });
  } finally {
    observer.close();
    await generator.closeConnections();
  }
  return {
    target: target.name,
    description: target.description,
    setup: target.setup,
    devices: target.devices.length,
    connections: { connected: storm.connected, failed: storm.failed, stormMs: Math.round(storm.ms), held, ...(storm.firstError ? { firstError: storm.firstError } : {}) },
    rssBeforeMiB: mib(rssBefore),
    rssIdleMiB: mib(rssIdle),
    rssPerIdleDeviceKiB: storm.connected > 0 ? Math.round(((rssIdle - rssBefore) / storm.connected) * 10) / 10 : NaN,
    steps,
  };
}

async function runStep(target: Target, generator: LoadGenerator, observer: AlarmObserver, step: StepPlan, say: (line: string) => void): Promise<StepResult> {
  const targetCpu = cpuMeter(target.workPids);
  const generatorCpu = cpuMeter(generator.pids);
  let window = { start: 0, delivered: 0, cpu: 0, generatorCpu: 0, deliveredEnd: 0, end: 0, sys: syscalls(target.brokerPid), sysEnd: syscalls(target.brokerPid), load: 0 };
  let rssMax = 0;
  const rssInWindow: number[] = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    const rss = rssKiB(target.brokerPid) || 0;
    rssMax = Math.max(rssMax, rss);
    if (window.start > 0 && window.end === 0) rssInWindow.push(rss);
    const p = generator.progress();
    const s = Math.round((performance.now() - started) / 1000);
    say(`${target.name} @ ${step.rate} msg/s: ${s}/${step.warmupS + step.durationS} s, sent ${p.sent + p.alarmsSent}, acked ${p.acked + p.alarmsAcked}, alarms ${p.alarmsAcked}/${p.alarmsSent}, ${p.connected} connected, RSS ${mib(rssMax)} MiB`);
  }, 1_000);
  const warm = setTimeout(() => {
    targetCpu();
    generatorCpu();
    window = { ...window, start: wallClock(), delivered: observer.delivered, sys: syscalls(target.brokerPid) };
  }, step.warmupS * 1000);
  const end = setTimeout(() => {
    window = { ...window, end: wallClock(), deliveredEnd: observer.delivered, cpu: targetCpu(), generatorCpu: generatorCpu(), sysEnd: syscalls(target.brokerPid), load: loadavg()[0] ?? NaN };
  }, (step.warmupS + step.durationS) * 1000);
  let run: RunResult;
  try {
    run = await generator.run({ rate: step.rate, alarmRate: step.alarmRate, durationMs: step.durationS * 1000 }, step.warmupS * 1000);
    // The last alarms' WebSocket messages trail their PUBACKs.
    await sleep(500);
  } finally {
    clearInterval(sampler);
    clearTimeout(warm);
    clearTimeout(end);
  }
  return { ...summarise(run, observer, window, target.countsDelivered, rssMax), ...secondHalfGrowth(rssInWindow) };
}

/**
 * The RSS samples of a measured window (one a second): the highest of its
 * second half less the highest of its first, in MiB. Absent with fewer than
 * four samples: too short a window to tell a level from a climb.
 */
export function secondHalfGrowth(samplesKiB: readonly number[]): { rssSecondHalfGrowthMiB?: number } {
  if (samplesKiB.length < 4) return {};
  const half = Math.floor(samplesKiB.length / 2);
  const first = Math.max(...samplesKiB.slice(0, half));
  const second = Math.max(...samplesKiB.slice(half));
  return { rssSecondHalfGrowthMiB: mib(second - first) };
}

function summarise(
  run: RunResult,
  observer: AlarmObserver,
  window: { start: number; end: number; delivered: number; deliveredEnd: number; cpu: number; generatorCpu: number; sys: { reads: number; writes: number }; sysEnd: { reads: number; writes: number }; load: number },
  countsDelivered: boolean,
  rssMaxKiB: number,
): StepResult {
  const seconds = run.window.ms / 1000;
  const inWindow = run.alarms.filter((a) => a.sentAt >= window.start && a.sentAt <= window.end);
  const latencies: number[] = [];
  const pubacks: number[] = [];
  for (const alarm of inWindow) {
    const seen = observer.seenAt(alarm);
    if (seen !== undefined) latencies.push(seen - alarm.sentAt);
    if (alarm.ackAt !== undefined) pubacks.push(alarm.ackAt - alarm.sentAt);
  }
  const ackedRate = run.window.acked / seconds;
  const windowS = (window.end - window.start) / 1000;
  const processed = countsDelivered ? (window.deliveredEnd - window.delivered) / windowS : ackedRate;
  const perMsg = (n: number) => Math.round((n / (processed * windowS)) * 100) / 100;
  return {
    offeredRate: Math.round(run.window.sent / seconds),
    ackedRate: Math.round(ackedRate),
    processedRate: Math.round(processed),
    heldBackByGenerator: run.window.throttled,
    alarmsSent: inWindow.length,
    alarmsSeen: latencies.length,
    alarmLatencyMs: percentiles(latencies),
    alarmPubackMs: percentiles(pubacks),
    cpuPct: Math.round(window.cpu),
    cpuUsPerMsg: Math.round((window.cpu / 100 / processed) * 1e6 * 10) / 10,
    syscallsPerMsg: { reads: perMsg(window.sysEnd.reads - window.sys.reads), writes: perMsg(window.sysEnd.writes - window.sys.writes) },
    loadAvg1: Math.round(window.load * 100) / 100,
    generatorCpuPct: Math.round(window.generatorCpu),
    rssMaxMiB: mib(rssMaxKiB),
    droppedConnections: run.counters.dropped,
  };
}
