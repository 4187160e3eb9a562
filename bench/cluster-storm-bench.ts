/**
 * `npm run bench -- --storm --nodes N` (issue 14 item 4): the reconnect
 * storm at a size one process cannot hold here (docs/PERFORMANCE.md, "a
 * storm of 40,000 over three nodes"). N nodes on a fresh PostgreSQL database
 * and Redis prefix; --homes homes provisioned through the leader; each node
 * gets every N-th home's devices, as a TCP load balancer would spread them;
 * every device connects once, then --storm-steady stay connected and send
 * telemetry and alarms while all the others reconnect at once at
 * --storm-rate (cluster-storm.ts). Prints the figures and the issue's two
 * targets, writes bench/results/<ISO date>-storm<N>.json.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LoadCredentials } from '../simulators/load/load-client.js';
import type { BenchOptions } from './args.js';
import { REPO_ROOT } from './child.js';
import { shareOf } from './cluster-load.js';
import { checkRedis, type Cluster, type ClusterNode } from './cluster-nodes.js';
import { allAlive, generatorBinary, provisionThroughLeader, withCluster, writeResults, type Provisioned } from './cluster-session.js';
import { connectEveryDevice, connectionsClosed, steadyAlone, stormOnNodes, type ConnectFigures, type MassDisconnect, type SteadyFigures, type StormPhase, type StormShare } from './cluster-storm.js';
import { formatClusterStorm, STORM_TARGETS, worstAlarmP99 } from './cluster-storm-report.js';
import type { MachineWindow } from './proc-stats.js';
import { nodeProfiles, type ProfileSummary } from './profile-summary.js';

/** A storm device without CONNACK after this long counts as not back (the generator does not retry). */
const CONNECT_TIMEOUT_S = 30;
/** The steady group's measured seconds alone before the storm: its latency without a storm, in the same run. */
const STEADY_ALONE_S = 5;

export interface ClusterStormRun {
  nodes: number;
  /** Dropped / deleted after the run: named so a check can see nothing was left. */
  database: string;
  redisPrefix: string;
  devices: number;
  setup: Omit<Provisioned, 'homes'>;
  /** Nodes that had ended by the end of the storm run (the storm group disconnected by then), with their exit and last lines. */
  nodesEnded: { node: string; exit: string }[];
  /** The machine while every device connected once (phase 1). */
  firstConnectMachine: MachineWindow;
  /** Every device of phase 1 leaving at once: how long each node took, and its timers' longest wait. */
  massDisconnect: MassDisconnect;
  perNode: { node: string; role: 'leader' | 'standby'; connect: ConnectFigures; steadyAlone: SteadyFigures; storm: StormPhase['nodes'][number]; warnings: Record<string, number> }[];
  storm: Omit<StormPhase, 'nodes'> & { stormDevices: number; steadyDevices: number; stormRate: number; connectTimeoutS: number; back: number; notBack: number; alarmsSent: number; alarmsAcked: number };
}

/** A node's warnings and errors over the run (pino JSON lines on its stdout), counted by message and reason. */
function logSummary(node: ClusterNode): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of node.child.stdout().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; reason?: string };
      if ((entry.level ?? 0) < 40) continue;
      const key = `${entry.msg ?? '?'}${entry.reason ? `: ${entry.reason}` : ''}`.slice(0, 200);
      counts[key] = (counts[key] ?? 0) + 1;
    } catch {
      // Not a log line.
    }
  }
  return counts;
}

/** Node k's share of the devices (whole homes), its first `steady` devices staying connected through the storm. */
export function stormShares(nodes: readonly ClusterNode[], homes: readonly LoadCredentials[][], steadyWanted: number): StormShare[] {
  const total = homes.reduce((n, h) => n + h.length, 0);
  const steadyTotal = Math.min(steadyWanted, Math.floor(total / 2));
  return nodes.map((node, k) => {
    const share = shareOf(homes, k, nodes.length);
    const steady = Math.max(1, Math.round((steadyTotal * share.length) / total));
    return { node, steady: share.slice(0, steady), storm: share.slice(steady) };
  });
}

async function measureStorm(cluster: Cluster, options: BenchOptions, binary: string, say: (l: string) => void): Promise<ClusterStormRun> {
  const { homes, ...setup } = await provisionThroughLeader(cluster, options.homes, 'BENCH-STORM', say);
  const credentials = homes.map((h) => h.devices.map((d) => ({ deviceId: d.deviceId, secret: d.secret })));
  const shares = stormShares(cluster.nodes, credentials, options.stormSteady);
  const credsDir = await mkdtemp(join(tmpdir(), 'hub-bench-creds-'));
  const settings = { binary, connectRate: options.connectRate, stormRate: options.stormRate, steadyRate: options.stormSteady, alarmRate: options.alarmRate, connectTimeoutS: CONNECT_TIMEOUT_S, credsDir, say };
  try {
    const connect = await connectEveryDevice(shares, settings);
    allAlive(cluster, 'the first connect of every device');
    const massDisconnect = await connectionsClosed(cluster.nodes, connect.leftAt);
    const alone = await steadyAlone(shares, settings, STEADY_ALONE_S);
    const storm = await stormOnNodes(shares, settings);
    // A node that ends now (e.g. the leader's lease lost in the storm group's mass disconnect) is a finding, not a failed run.
    const ended = cluster.nodes.filter((n) => n.exit !== undefined).map((n) => ({ node: n.name, exit: n.exit! }));
    const { nodes: perNodeStorm, ...window } = storm;
    const sum = (f: (n: StormPhase['nodes'][number]) => number) => perNodeStorm.reduce((n, x) => n + f(x), 0);
    return {
      nodes: cluster.nodes.length,
      database: cluster.databaseName,
      redisPrefix: cluster.redisPrefix,
      devices: credentials.flat().length,
      setup,
      firstConnectMachine: connect.machine,
      massDisconnect,
      nodesEnded: ended,
      perNode: cluster.nodes.map((node, k) => ({ node: node.name, role: k === 0 ? 'leader' : 'standby', connect: connect.nodes[k]!, steadyAlone: alone[k]!, storm: perNodeStorm[k]!, warnings: logSummary(node) })),
      storm: {
        stormDevices: sum((n) => n.storm.devices),
        steadyDevices: sum((n) => n.steady.devices),
        stormRate: options.stormRate,
        connectTimeoutS: CONNECT_TIMEOUT_S,
        back: sum((n) => n.storm.back),
        notBack: sum((n) => n.storm.notBack),
        alarmsSent: sum((n) => n.steady.alarmsSent),
        alarmsAcked: sum((n) => n.steady.alarmsAcked),
        ...window,
      },
    };
  } finally {
    await rm(credsDir, { recursive: true, force: true });
  }
}

/** With --profile: each node's CPU profile cut to the storm's seconds, printed and returned for the JSON. */
function stormProfiles(dir: string, run: ClusterStormRun): Promise<Record<string, ProfileSummary>> {
  return nodeProfiles(dir, run.perNode.map((n) => n.node), run.storm.monotonicUs, (node) => `${node}, the storm's seconds only`, 15);
}

export async function runClusterStorm(options: BenchOptions, say: (line: string) => void, done: () => void): Promise<number> {
  const binary = await generatorBinary();
  await checkRedis();
  const loadAtStart = loadavg()[0] ?? 0;
  const profileDir = resolve(REPO_ROOT, options.outDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  const nodeArgs = options.profile ? (name: string) => ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : undefined;
  const run = await withCluster(options.nodes, say, done, (cluster) => measureStorm(cluster, options, binary, say), nodeArgs);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadavg()[0] ?? 0 };
  console.log(formatClusterStorm(run, machine));
  const profiles = options.profile ? await stormProfiles(profileDir, run) : undefined;
  const p99 = worstAlarmP99(run);
  const targets = {
    allBack: { target: `every storm device back within ${STORM_TARGETS.allBackMs / 1000} s`, met: run.storm.notBack === 0 && run.storm.allBackMs <= STORM_TARGETS.allBackMs },
    steadyAlarms: { target: `steady group's alarm PUBACK p99 ≤ ${STORM_TARGETS.steadyAlarmP99Ms} ms (worst node), every alarm acknowledged`, met: p99 !== null && p99 <= STORM_TARGETS.steadyAlarmP99Ms && run.storm.alarmsAcked === run.storm.alarmsSent },
  };
  await writeResults(options.outDir, `storm${options.nodes}`, { machine, options, cluster: run, targets, ...(profiles ? { profiles } : {}) });
  // Missing a target is a figure, not a failure of the bench; devices or alarms lost are.
  return run.storm.alarmsAcked === run.storm.alarmsSent ? 0 : 1;
}
