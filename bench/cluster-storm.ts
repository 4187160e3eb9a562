/**
 * A reconnect storm over the nodes of a cluster (issue 14 item 4 at the
 * issue's size: 40,000 devices cannot be held by one process here, whose
 * descriptor limit is 20,000). Each node gets its share of the devices, as
 * a TCP load balancer would spread them, and its own C generators: one
 * hub process holds at most its share, one generator process at most
 * 15,000 sockets, so nothing comes near a per-process limit.
 *
 * Two phases, as in the single-node storm (c-storm.ts):
 *   1. every device connects once (at --connect-rate, spread over the nodes)
 *      and idles for a few seconds, then disconnects: the devices are known
 *      to work, and each node's idle memory with its share is read;
 *   2. the steady group reconnects and sends telemetry and alarms; once all
 *      its generators measure, every other device connects at once (at
 *      --storm-rate, spread over the nodes); the steady groups are told to
 *      stop when every storm generator is past its ramp (each device has its
 *      CONNACK or has failed), so their alarm latency covers exactly the storm.
 * Each node's CPU and largest RSS are read over the storm's seconds.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LoadCredentials } from '../simulators/load/load-client.js';
import { latencyMs as ms, runMqttload, writeCredentials, type CReport } from './c-generator.js';
import { phaseReached } from './c-storm.js';
import { LAG_MAX, metricValue, metricValues, type ClusterNode } from './cluster-nodes.js';
import { cpuSeconds, machineMeter, mib, peakSampler, ProcessTreeCpu, rssKiB, type MachineWindow } from './proc-stats.js';
import { monotonicUs } from './profile-summary.js';
import type { Percentiles } from './stats.js';

/** One generator process holds at most this many sockets (ulimit -n is 20,000 per process here). */
const SOCKETS_PER_GENERATOR = 15_000;
const workersFor = (devices: number) => Math.max(1, Math.ceil(devices / SOCKETS_PER_GENERATOR));
/** The first connect of every device is not measured against a target: it may take this long per device. */
const FIRST_CONNECT_TIMEOUT_S = 120;

export interface StormShare {
  node: ClusterNode;
  steady: LoadCredentials[];
  storm: LoadCredentials[];
}

export interface ConnectFigures {
  devices: number;
  connected: number;
  /** The generator's start to the last CONNACK. */
  upMs: number;
  connackMs: Percentiles | null;
  firstError: string | null;
  /** The node's smallest RSS over the idle seconds with every device of its share connected. */
  rssIdleMiB: number;
}

export interface StormNodeFigures {
  devices: number;
  back: number;
  notBack: number;
  /** When this node's generator was started, after the first one. */
  startedAfterMs: number;
  /** This generator's start to its last CONNACK. */
  allBackMs: number;
  connackMs: Percentiles | null;
  firstError: string | null;
}

export interface SteadyFigures {
  devices: number;
  alarmsSent: number;
  alarmsAcked: number;
  alarmPubackMs: Percentiles | null;
  telemetryPubackMs: Percentiles | null;
  /** Connections the node closed under the steady group. */
  dropped: number;
  windowS: number;
}

const mqttConnections = (node: ClusterNode) => metricValue(node, 'hub_mqtt_connections');

/** Each node's mass disconnect after the first connect (issue 12: 13,700 devices leaving once held a leader's timers 16 s). */
export interface MassDisconnect {
  /** From the node's generators' exit (every device of its share leaving) to its count at 0 (polled every 250 ms). */
  closedAfterMs: number[];
  /** The node's longest event-loop delay from its idle seconds (a scrape then) to its count at 0. */
  eventLoopDelayMaxMs: number[];
}

/**
 * Resolves once no node holds a device connection (the first connect's disconnects all
 * processed), so the storm starts on a settled cluster; rejects after `limitMs`.
 */
export async function connectionsClosed(nodes: readonly ClusterNode[], leftAt: readonly number[], limitMs = 60_000): Promise<MassDisconnect> {
  const until = performance.now() + limitMs;
  const closedAfterMs = nodes.map(() => NaN);
  const lagMaxS = nodes.map(() => 0);
  for (;;) {
    const scraped = await Promise.all(nodes.map((node) => metricValues(node, ['hub_mqtt_connections', LAG_MAX])));
    const open = scraped.map((values, k) => {
      if (!values) return null;
      // A node done already is not looked at again: what its event loop does next is not the disconnect.
      if (Number.isNaN(closedAfterMs[k]!)) lagMaxS[k] = Math.max(lagMaxS[k]!, values[LAG_MAX] ?? 0);
      if (values['hub_mqtt_connections'] === 0 && Number.isNaN(closedAfterMs[k]!)) closedAfterMs[k] = Math.round(performance.now() - leftAt[k]!);
      return values['hub_mqtt_connections'] ?? null;
    });
    if (open.every((n) => n === 0)) return { closedAfterMs, eventLoopDelayMaxMs: lagMaxS.map((s) => Math.round(s * 1000)) };
    const gone = nodes.filter((n) => n.exit !== undefined);
    if (gone.length > 0 || performance.now() > until) {
      const state = nodes.map((n, k) => `${n.name}: ${n.exit ?? (open[k] === null ? '/metrics does not answer' : `${open[k]} open`)}`);
      throw new Error(`after the first connect, connections not closed within ${limitMs / 1000} s: ${state.join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export interface StormPhase {
  /** From the first storm generator's start to the last CONNACK on any node. */
  allBackMs: number;
  nodes: {
    storm: StormNodeFigures;
    steady: SteadyFigures;
    cpuPct: number;
    rssBeforeMiB: number;
    rssMaxMiB: number;
    /** The node's own count (hub_mqtt_connections) once the steady group has left and the storm group is still connected. */
    connectionsHeld: number | null;
  }[];
  /** The machine over the storm's seconds (the steady group's measured window). */
  machine: MachineWindow;
  /** The storm's seconds on the monotonic clock (µs), to cut the nodes' CPU profiles to them. */
  monotonicUs: { from: number; to: number };
}

export interface StormSettings {
  binary: string;
  /** The whole cluster's figures, split over the nodes by their share. */
  connectRate: number;
  stormRate: number;
  steadyRate: number;
  alarmRate: number;
  /** A storm device without CONNACK after this long counts as not back (the generator does not retry). */
  connectTimeoutS: number;
  credsDir: string;
  say: (line: string) => void;
}

/** Writes one node's group's credentials into a folder of its own (the file name is always the same). */
async function credentialsFile(root: string, node: ClusterNode, group: string, devices: readonly LoadCredentials[]): Promise<string> {
  const dir = join(root, node.name, group);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return writeCredentials(dir, devices);
}

/** Phase 1: every device of every share connects (rate 0), idles, disconnects. */
export async function connectEveryDevice(shares: readonly StormShare[], s: StormSettings): Promise<{ nodes: ConnectFigures[]; machine: MachineWindow; leftAt: number[] }> {
  const total = shares.reduce((n, x) => n + x.steady.length + x.storm.length, 0);
  const generators = new ProcessTreeCpu();
  const machine = machineMeter(shares.map((x) => x.node.child.pid), generators);
  /** When each node's generators had exited: its devices gone. */
  const leftAt = shares.map(() => NaN);
  const nodes = await Promise.all(
    shares.map(async ({ node, steady, storm }, k) => {
      const devices = [...steady, ...storm];
      const creds = await credentialsFile(s.credsDir, node, 'all', devices);
      let rssIdle = Infinity;
      // Not the measured storm: a node slower than the pace gets the time it needs.
      const plan = { port: node.mqttPort, creds, clients: devices.length, rate: 0, alarmRate: 0, warmupS: 1, durationS: 2, connectRate: (s.connectRate * devices.length) / total, connectTimeoutS: FIRST_CONNECT_TIMEOUT_S, workers: workersFor(devices.length) };
      const report = await runMqttload(s.binary, plan, (phase, line) => {
        if (phase === 'measure') {
          // The first idle second: a scrape that resets the event-loop delay, so the mass disconnect's is read alone.
          if (rssIdle === Infinity) void metricValues(node, [LAG_MAX]);
          rssIdle = Math.min(rssIdle, rssKiB(node.child.pid));
        }
        if (k === 0) s.say(`cluster ×${shares.length}: every device connects once: ${node.name}: ${line.slice(0, 120)}`);
      }, undefined, (pid) => generators.track(pid));
      leftAt[k] = performance.now();
      const c = report.connections;
      return { devices: devices.length, connected: c.connected, upMs: Math.round(c.ramp_s * 1000), connackMs: ms(c.connack_latency_us), firstError: c.first_error, rssIdleMiB: mib(Number.isFinite(rssIdle) ? rssIdle : rssKiB(node.child.pid)) };
    }),
  );
  return { nodes, machine: machine.stop(), leftAt };
}

interface SteadyRun {
  /** Until this aborts, or for `durationS` measured seconds. */
  stop?: AbortSignal;
  durationS: number;
  generators: ProcessTreeCpu;
  /** Named in the progress lines. */
  label: string;
}

/** Each node's steady group; `measuring` resolves once every one of them measures. */
function startSteadyGroups(shares: readonly StormShare[], files: readonly string[], s: StormSettings, { stop, durationS, generators, label }: SteadyRun): { runs: Promise<CReport>[]; measuring: Promise<unknown> } {
  const total = shares.reduce((n, x) => n + x.steady.length, 0);
  const started = shares.map(({ node, steady }, k) => {
    const fraction = steady.length / total;
    const phases = new Set<(phase: string) => void>();
    const plan = { port: node.mqttPort, creds: files[k]!, clients: steady.length, rate: s.steadyRate * fraction, alarmRate: s.alarmRate * fraction, warmupS: 2, durationS, connectRate: 4000 * fraction, workers: 1 };
    const run = runMqttload(s.binary, plan, (phase, line) => {
      for (const listener of phases) listener(phase);
      if (k === 0) s.say(`cluster ×${shares.length}, ${label} on ${node.name}: ${line.slice(0, 120)}`);
    }, stop, (pid) => generators.track(pid));
    return { run, measuring: phaseReached(run, phases, 'measure') };
  });
  return { runs: started.map((x) => x.run), measuring: Promise.all(started.map((x) => x.measuring)) };
}

/** Every node's storm group at once; `onPastRamp` once every one of them has each device's CONNACK or failure. */
function startStormGroups(shares: readonly StormShare[], files: readonly string[], s: StormSettings, stop: AbortSignal, generators: ProcessTreeCpu, onPastRamp: () => void): { runs: Promise<CReport>[]; startedAfterMs: number[] } {
  const total = shares.reduce((n, x) => n + x.storm.length, 0);
  const first = performance.now();
  const startedAfterMs: number[] = [];
  let pastRamp = 0;
  const runs = shares.map(({ node, storm }, k) => {
    startedAfterMs.push(Math.round(performance.now() - first));
    const plan = { port: node.mqttPort, creds: files[k]!, clients: storm.length, rate: 0, alarmRate: 0, warmupS: 0, durationS: 600, connectRate: (s.stormRate * storm.length) / total, connectTimeoutS: s.connectTimeoutS, workers: workersFor(storm.length) };
    let ramping = true;
    const run = runMqttload(s.binary, plan, (phase, line) => {
      if (phase === 'ramp') return void (k === 0 && s.say(`cluster ×${shares.length} storm on ${node.name}: ${line.slice(0, 120)}`));
      if (!ramping) return;
      ramping = false;
      if (++pastRamp === shares.length) onPastRamp();
    }, stop, (pid) => generators.track(pid));
    // A run that ends early (an error) ends the steady window too; its error is awaited by the caller.
    run.then(onPastRamp, onPastRamp);
    return run;
  });
  return { runs, startedAfterMs };
}

/** The nodes' CPU and largest RSS from now until `stop()`, with what the machine did meanwhile. */
function windowMeter(pids: readonly number[], generators: ProcessTreeCpu) {
  const machine = machineMeter(pids, generators);
  const before = { cpu: pids.map(cpuSeconds), rss: pids.map(rssKiB), us: monotonicUs() };
  const sampler = peakSampler(pids);
  return {
    stop() {
      const window = machine.stop();
      const peaks = sampler.stop();
      return {
        machine: window,
        cpuPct: pids.map((pid, i) => Math.round(((cpuSeconds(pid) - before.cpu[i]!) / window.seconds) * 100)),
        rssBeforeMiB: before.rss.map(mib),
        rssMaxMiB: peaks.rssMaxKiB.map(mib),
        monotonicUs: { from: before.us, to: monotonicUs() },
      };
    },
  };
}

function stormFigures(report: CReport, startedAfterMs: number): StormNodeFigures {
  const c = report.connections;
  return { devices: c.target, back: c.connected, notBack: c.target - c.connected, startedAfterMs, allBackMs: Math.round(c.ramp_s * 1000), connackMs: ms(c.connack_latency_us), firstError: c.first_error };
}

function steadyFigures(report: CReport, devices: number): SteadyFigures {
  const { alarms: a, telemetry: t } = report;
  return { devices, alarmsSent: a.sent, alarmsAcked: a.acked, alarmPubackMs: ms(a.latency_us), telemetryPubackMs: ms(t.latency_us), dropped: report.dropped.count, windowS: report.window_s };
}

/** The steady group alone for `seconds` (after a 2 s warm-up), each node's share on its node: the storm's baseline. */
export async function steadyAlone(shares: readonly StormShare[], s: StormSettings, seconds: number): Promise<SteadyFigures[]> {
  const files = await Promise.all(shares.map(({ node, steady }) => credentialsFile(s.credsDir, node, 'steady', steady)));
  const { runs } = startSteadyGroups(shares, files, s, { durationS: seconds, generators: new ProcessTreeCpu(), label: 'steady group alone' });
  const reports = await Promise.all(runs);
  return reports.map((report, k) => steadyFigures(report, shares[k]!.steady.length));
}

/** Phase 2 on every node at once; see the file's comment. */
export async function stormOnNodes(shares: readonly StormShare[], s: StormSettings): Promise<StormPhase> {
  const steadyFiles = await Promise.all(shares.map(({ node, steady }) => credentialsFile(s.credsDir, node, 'steady', steady)));
  const stormFiles = await Promise.all(shares.map(({ node, storm }) => credentialsFile(s.credsDir, node, 'storm', storm)));
  const stopSteady = new AbortController();
  const stopStorm = new AbortController();
  const generators = new ProcessTreeCpu();
  const steady = startSteadyGroups(shares, steadyFiles, s, { stop: stopSteady.signal, durationS: 600, generators, label: 'storm, steady group' });
  let storm: ReturnType<typeof startStormGroups> | undefined;
  let window: ReturnType<ReturnType<typeof windowMeter>['stop']>;
  let steadyReports: CReport[];
  let held: (number | null)[];
  try {
    await steady.measuring;
    const meter = windowMeter(shares.map((x) => x.node.child.pid), generators);
    storm = startStormGroups(shares, stormFiles, s, stopStorm.signal, generators, () => stopSteady.abort());
    // The storm devices stay connected until the steady groups have reported: their mass
    // disconnect at the end is not part of the storm and must not fall in its window.
    steadyReports = await Promise.all(steady.runs);
    window = meter.stop();
    held = await Promise.all(shares.map((x) => mqttConnections(x.node)));
  } finally {
    stopSteady.abort();
    stopStorm.abort();
  }
  const stormReports = await Promise.all(storm.runs);
  const nodes = shares.map((share, k) => ({
    storm: stormFigures(stormReports[k]!, storm!.startedAfterMs[k]!),
    steady: steadyFigures(steadyReports[k]!, share.steady.length),
    cpuPct: window.cpuPct[k]!,
    rssBeforeMiB: window.rssBeforeMiB[k]!,
    rssMaxMiB: window.rssMaxMiB[k]!,
    connectionsHeld: held[k] ?? null,
  }));
  return {
    allBackMs: Math.max(...nodes.map((n) => n.storm.startedAfterMs + n.storm.allBackMs)),
    nodes,
    machine: window.machine,
    monotonicUs: window.monotonicUs,
  };
}
