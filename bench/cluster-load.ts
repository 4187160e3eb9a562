/**
 * Load on a cluster: one C generator (mqttload) per node, started together,
 * each with that node's share of the devices and the same share of every
 * rate — as a TCP load balancer would spread devices. mqttload reports
 * percentiles, not its histogram, so the nodes' latencies cannot be merged
 * exactly: each node's figures are kept, and the cluster's line shows the
 * worst node's p50 and p99 (an upper bound of the merged ones).
 */
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { LoadCredentials } from '../simulators/load/load-client.js';
import { runMqttload, writeCredentials, latencyMs as ms, type CReport } from './c-generator.js';
import { metricValue, type ClusterNode } from './cluster-nodes.js';
import { monotonicUs } from './profile-summary.js';
import { totalCpuSeconds } from './proc-stats.js';
import type { Percentiles } from './stats.js';

export interface NodeStep {
  node: string;
  role: 'leader' | 'standby';
  devices: number;
  connected: number;
  /** The generator's connect errors and timeouts, and the first error's text. */
  connectFailures: number;
  firstConnectError: string | null;
  offeredRate: number;
  ackedRate: number;
  alarmsSent: number;
  alarmsAcked: number;
  alarmPubackMs: Percentiles | null;
  telemetryPubackMs: Percentiles | null;
  dropped: number;
}

export interface ClusterStep {
  rate: number;
  alarmRate: number;
  offeredRate: number;
  ackedRate: number;
  alarmsSent: number;
  alarmsAcked: number;
  /** The worst node's p50 and p99 (the merged percentiles are at most these). */
  alarmPubackWorstMs: { p50: number; p99: number } | null;
  /** All nodes' CPU over the measured seconds, in % of one core. */
  cpuPct: number;
  cpuUsPerMsg: number;
  loadAvg1: number;
  /**
   * The leader's hub_rule_lag_seconds over the step (warm-up and drain
   * included), in ms: the largest delay from a message reaching any node to
   * the leader's rules having handled it. A standby acks telemetry once it is
   * on Redis, so this, not the acked rate, says whether the leader kept up.
   */
  leaderRuleLagMaxMs: number | null;
  nodes: NodeStep[];
  /** The measured seconds on the monotonic clock (µs), to cut the nodes' CPU profiles to them (--profile). */
  monotonicUs: { from: number; to: number };
}

export interface ClusterLoadPlan {
  binary: string;
  rate: number;
  alarmRate: number;
  warmupS: number;
  durationS: number;
  connectRate: number;
}


/** Node k's devices: every N-th home's, so each node has whole homes and the same mix of kinds. */
export function shareOf(homes: readonly LoadCredentials[][], k: number, n: number): LoadCredentials[] {
  return homes.filter((_, i) => i % n === k).flat();
}

function nodeStep(node: ClusterNode, role: NodeStep['role'], devices: number, report: CReport): NodeStep {
  const { telemetry: t, alarms: a } = report;
  return {
    node: node.name,
    role,
    devices,
    connected: report.connections.connected,
    connectFailures: report.connections.connect_errors + report.connections.connect_timeouts,
    firstConnectError: report.connections.first_error,
    offeredRate: Math.round((t.offered + a.offered) / report.window_s),
    ackedRate: Math.round((t.acks_in_window + a.acks_in_window) / report.window_s),
    alarmsSent: a.sent,
    alarmsAcked: a.acked,
    alarmPubackMs: ms(a.latency_us),
    telemetryPubackMs: ms(t.latency_us),
    dropped: report.dropped.count,
  };
}

function worst(steps: readonly NodeStep[]): ClusterStep['alarmPubackWorstMs'] {
  const known = steps.map((s) => s.alarmPubackMs).filter((p): p is Percentiles => p !== null);
  return known.length === 0 ? null : { p50: Math.max(...known.map((p) => p.p50)), p99: Math.max(...known.map((p) => p.p99)) };
}

/** The leader's largest rule lag since the previous read (reading resets it), in ms, or null if /metrics did not answer. */
async function ruleLagMs(leader: ClusterNode): Promise<number | null> {
  const seconds = await metricValue(leader, 'hub_rule_lag_seconds');
  return seconds === null ? null : Math.round(seconds * 1000 * 10) / 10;
}

/** One load step on every node at once; `credsDir` is a private temp dir for the credential files. */
export async function runClusterStep(nodes: readonly ClusterNode[], shares: readonly LoadCredentials[][], plan: ClusterLoadPlan, credsDir: string, pids: () => number[], say: (line: string) => void): Promise<ClusterStep> {
  const total = shares.reduce((n, s) => n + s.length, 0);
  let measured = 0;
  let cpuS = 0;
  let lastCpu = totalCpuSeconds(pids());
  let from = 0;
  let to = 0;
  await ruleLagMs(nodes[0]!);
  const runs = await Promise.all(
    nodes.map(async (node, k) => {
      const share = shares[k]!;
      // writeCredentials names its file the same for every call: each node's goes in its own folder.
      const dir = join(credsDir, node.name);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const creds = await writeCredentials(dir, share);
      const fraction = share.length / total;
      return runMqttload(
        plan.binary,
        { port: node.mqttPort, creds, clients: share.length, rate: plan.rate * fraction, alarmRate: plan.alarmRate * fraction, warmupS: plan.warmupS, durationS: plan.durationS, connectRate: plan.connectRate * fraction, workers: 1 },
        (phase, line) => {
          if (k !== 0) return;
          // Node a's generator paces the CPU reading: all generators' windows start together (same timeline).
          const now = totalCpuSeconds(pids());
          if (phase === 'measure') {
            if (measured === 0) from = monotonicUs();
            to = monotonicUs();
            measured++;
            cpuS += now - lastCpu;
          }
          lastCpu = now;
          say(`cluster ×${nodes.length} @ ${plan.rate} msg/s: ${line.slice(0, 140)}`);
        },
      );
    }),
  );
  const perNode = runs.map((report, k) => nodeStep(nodes[k]!, k === 0 ? 'leader' : 'standby', shares[k]!.length, report));
  const leaderRuleLagMaxMs = await ruleLagMs(nodes[0]!);
  const acked = perNode.reduce((n, s) => n + s.ackedRate, 0);
  const window = runs[0]!.window_s;
  return {
    rate: plan.rate,
    alarmRate: plan.alarmRate,
    offeredRate: perNode.reduce((n, s) => n + s.offeredRate, 0),
    ackedRate: acked,
    alarmsSent: perNode.reduce((n, s) => n + s.alarmsSent, 0),
    alarmsAcked: perNode.reduce((n, s) => n + s.alarmsAcked, 0),
    alarmPubackWorstMs: worst(perNode),
    cpuPct: measured > 0 ? Math.round((cpuS / measured) * 100) : NaN,
    cpuUsPerMsg: acked > 0 && measured > 0 ? Math.round((cpuS / (acked * Math.min(measured, window))) * 1e6 * 10) / 10 : NaN,
    loadAvg1: Math.round((loadavg()[0] ?? NaN) * 100) / 100,
    leaderRuleLagMaxMs,
    nodes: perNode,
    monotonicUs: { from, to },
  };
}
