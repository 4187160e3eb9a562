/** The cluster bench's printed tables: one node against N at each offered rate, each node's share, the failover phases. */
import type { ClusterRun } from './cluster-bench.js';
import type { TargetResult } from './measure.js';
import type { Percentiles } from './stats.js';

const f = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const pair = (p: { p50: number; p99: number } | null | undefined) => (p ? `${f(p.p50)} / ${f(p.p99)}` : '–');
const span = (p: Percentiles | null) => (p ? `p50 ${f(p.p50, 0)}, max ${f(p.max, 0)} (${p.count})` : '–');

function comparison(single: TargetResult, run: ClusterRun): string[] {
  const lines = [
    `offered msg/s | 1 node: acked msg/s | alarm PUBACK p50/p99 ms | CPU % | ${run.nodes} nodes: acked msg/s | alarm PUBACK p50/p99 ms (worst node) | CPU % (all nodes) | leader's max rule lag ms | load avg`,
  ];
  for (const step of run.steps) {
    const one = single.steps.find((s) => s.rate === step.rate);
    lines.push(
      [step.offeredRate, one?.ackedRate, pair(one?.alarmPubackMs), one?.cpuPct, step.ackedRate, pair(step.alarmPubackWorstMs), step.cpuPct, step.leaderRuleLagMaxMs, `${one?.loadAvg1 ?? '–'} / ${step.loadAvg1}`]
        .map((x) => (typeof x === 'number' ? String(x) : (x ?? '–')))
        .join(' | '),
    );
  }
  return lines;
}

function perNode(run: ClusterRun): string[] {
  const lines = ['offered msg/s | node (role) | devices | acked msg/s | alarms acked/sent | alarm PUBACK p50/p99 ms | telemetry PUBACK p50/p99 ms'];
  for (const step of run.steps) {
    for (const n of step.nodes) {
      const failed = n.connectFailures > 0 ? ` (${n.connectFailures} failed: ${n.firstConnectError ?? '?'})` : '';
      lines.push(`${step.offeredRate} | ${n.node} (${n.role}) | ${n.connected}/${n.devices}${failed} | ${n.ackedRate} | ${n.alarmsAcked}/${n.alarmsSent} | ${pair(n.alarmPubackMs)} | ${pair(n.telemetryPubackMs)}`);
    }
  }
  return lines;
}

function failover(run: ClusterRun): string[] {
  const x = run.failover;
  if (!x) return ['failover not measured (--profile: every node stops cleanly, so that each writes its profile)'];
  return [
    `kill -9 of ${x.killedNode} (leader), ${x.devices} bracelets on it; times from the kill, ms:`,
    `  ${x.newLeader ?? 'no standby'} holds the partitions' leases (${x.reowned ? `${x.reowned.held} of ${x.reowned.total}` : 'none'}): ${f(x.reownedMs, 0)}`,
    `  ${x.newLeader ?? 'no standby'} prints that it leads: ${f(x.leadsMs, 0)}`,
    `  device sees its connection closed: ${span(x.closedMs)}`,
    `  device reconnected on another node (CONNACK): ${span(x.reconnectMs)}`,
    `  reconnect → its first SOS acknowledged (PUBACK): ${span(x.reconnectToPubackMs)}`,
    `  kill → that PUBACK: ${span(x.pubackMs)}`,
    `  kill → its alert in the new leader's API: ${span(x.alertVisibleMs)}`,
    ...(x.unacked + x.unseen > 0 ? [`  NOT acknowledged: ${x.unacked}, alert NOT seen: ${x.unseen} (within 60 s)`] : []),
  ];
}

export function formatCluster(single: TargetResult, run: ClusterRun, machine: { cpus: number; loadAvgAtStart: number }): string {
  return [
    `1 node against ${run.nodes} nodes, both on PostgreSQL, ${run.devices} devices, C generator (one per node for the cluster).`,
    `All ${run.nodes} nodes, the generators, PostgreSQL and Redis share this machine's ${machine.cpus} cores (load average ${machine.loadAvgAtStart.toFixed(1)} at the start):`,
    'the cluster cannot be faster than one node here; the figures show what forwarding costs, not what more machines would give.',
    '',
    ...comparison(single, run),
    '',
    ...perNode(run),
    '',
    ...failover(run),
  ].join('\n');
}
