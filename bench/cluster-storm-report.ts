/** The cluster storm's printed figures: the storm as a whole, each node's part, and the issue's two targets. */
import type { ClusterStormRun } from './cluster-storm-bench.js';
import type { MachineWindow } from './proc-stats.js';
import type { Percentiles } from './stats.js';

/** The issue's figures: every device back within 30 s, the connected devices' alarm PUBACK p99 ≤ 50 ms. */
export const STORM_TARGETS = { allBackMs: 30_000, steadyAlarmP99Ms: 50 };

/** The worst node's p99 of the steady group's alarms (the merged p99 is at most this). */
export function worstAlarmP99(run: ClusterStormRun): number | null {
  const known = run.perNode.map((n) => n.storm.steady.alarmPubackMs?.p99).filter((p): p is number => p !== undefined);
  return known.length > 0 ? Math.max(...known) : null;
}

const f = (n: number | null | undefined, digits = 1) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const pair = (p: Percentiles | null) => (p ? `${f(p.p50)} / ${f(p.p99)}` : '–');
const s = (ms: number) => `${f(ms / 1000)} s`;

function whole(run: ClusterStormRun): string[] {
  const x = run.storm;
  const worst = (pick: (n: ClusterStormRun['perNode'][number]) => Percentiles | null) => {
    const known = run.perNode.map(pick).filter((p): p is Percentiles => p !== null);
    return known.length > 0 ? `${f(Math.max(...known.map((p) => p.p50)))} / ${f(Math.max(...known.map((p) => p.p99)))}` : '–';
  };
  return [
    `storm: ${x.stormDevices} devices reconnecting at ${x.stormRate}/s over ${run.nodes} nodes while ${x.steadyDevices} stay connected`,
    `  back: ${x.back}, not back within ${x.connectTimeoutS} s: ${x.notBack}; all back in ${s(x.allBackMs)} (first storm connect → last CONNACK, any node)`,
    `  CONNACK p50 / p99 ms (worst node): ${worst((n) => n.storm.storm.connackMs)}`,
    `  steady group: alarms acknowledged ${x.alarmsAcked} / ${x.alarmsSent}; alarm PUBACK p50 / p99 ms (worst node): ${worst((n) => n.storm.steady.alarmPubackMs)}; telemetry: ${worst((n) => n.storm.steady.telemetryPubackMs)}`,
    `  the same steady group alone just before the storm: alarm PUBACK p50 / p99 ms (worst node): ${worst((n) => n.steadyAlone.alarmPubackMs)}; telemetry: ${worst((n) => n.steadyAlone.telemetryPubackMs)}`,
    `  over the storm's ${machineLine(x.machine)}`,
    `  (while every device connected once: ${machineLine(run.firstConnectMachine)})`,
    `  before the storm, every device leaving at once: ${massDisconnect(run)}`,
  ];
}

/** Each node: how long until it held no connection, and its timers' longest wait meanwhile. */
function massDisconnect(run: ClusterStormRun): string {
  const m = run.massDisconnect;
  return run.perNode.map((n, k) => `${n.node} closed all in ${s(m.closedAfterMs[k]!)}, event loop held ≤ ${f(m.eventLoopDelayMaxMs[k]!, 0)} ms`).join('; ');
}

function machineLine(m: MachineWindow): string {
  return [
    `${f(m.seconds)} s: the machine's cores busy ${m.machineBusyPct} % of one core: the nodes ${m.nodesCpuPct} %, the generators ${m.generatorsCpuPct} %, Redis ${m.redisCpuPct} %, PostgreSQL ${m.postgresCpuPct} %, the kernel's interrupts ${m.interruptsPct} %, the rest (other sessions) ${m.restPct} %; load average up to ${f(m.loadAvgMax, 2)};`,
    `kernel: ${m.tcp.listenOverflows} handshakes dropped on a full accept queue (ListenOverflows, retries included), ${m.tcp.syncookiesSent} SYN cookies, ${m.tcp.abortOnData} resets of sockets closed unread`,
  ].join(' ');
}

function perNode(run: ClusterStormRun): string[] {
  const lines = [
    'node (role) | first connect: up / devices, in | RSS idle MiB | storm: back / devices, all back in | CONNACK p50/p99 ms | steady alarms acked/sent | alarm PUBACK p50/p99 ms | CPU % | RSS before → max MiB | connections held',
  ];
  for (const n of run.perNode) {
    const c = n.connect;
    const x = n.storm;
    const failed = x.storm.firstError ? ` (${x.storm.firstError})` : '';
    const connectFailed = c.firstError ? ` (${c.firstError})` : '';
    lines.push(
      `${n.node} (${n.role}) | ${c.connected} / ${c.devices}${connectFailed}, ${s(c.upMs)} | ${f(c.rssIdleMiB)} | ${x.storm.back} / ${x.storm.devices}${failed}, ${s(x.storm.startedAfterMs + x.storm.allBackMs)} | ${pair(x.storm.connackMs)} | ${x.steady.alarmsAcked} / ${x.steady.alarmsSent} | ${pair(x.steady.alarmPubackMs)} | ${x.cpuPct} | ${f(x.rssBeforeMiB)} → ${f(x.rssMaxMiB)} | ${x.connectionsHeld ?? '–'}`,
    );
  }
  return lines;
}

function targets(run: ClusterStormRun): string[] {
  const p99 = worstAlarmP99(run);
  const x = run.storm;
  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  return [
    `target: all back within ${STORM_TARGETS.allBackMs / 1000} s: ${x.notBack === 0 ? s(x.allBackMs) : `${x.notBack} not back`} — ${met(x.notBack === 0 && x.allBackMs <= STORM_TARGETS.allBackMs)}`,
    `target: connected devices' alarm PUBACK p99 ≤ ${STORM_TARGETS.steadyAlarmP99Ms} ms during the storm: ${f(p99)} ms (worst node) — ${met(p99 !== null && p99 <= STORM_TARGETS.steadyAlarmP99Ms)}`,
  ];
}

export function formatClusterStorm(run: ClusterStormRun, machine: { cpus: number; loadAvgAtStart: number }): string {
  return [
    `Reconnect storm on ${run.nodes} nodes (PostgreSQL + Redis), ${run.devices} devices, C generators (one per node and group).`,
    `All nodes, generators, PostgreSQL and Redis share this machine's ${machine.cpus} cores (load average ${f(machine.loadAvgAtStart, 2)} at the start).`,
    `mqttload reports percentiles, not histograms: the cluster's p50/p99 are the worst node's (the merged ones are at most these).`,
    '',
    ...whole(run),
    '',
    ...perNode(run),
    '',
    ...targets(run),
    ...run.perNode.flatMap((n) => Object.entries(n.warnings).map(([what, count]) => `${n.node} logged ${count} × ${what}`)),
    ...run.nodesEnded.map((n) => `NODE ENDED by the end of the run: ${n.node} ${n.exit}`),
  ].join('\n');
}
