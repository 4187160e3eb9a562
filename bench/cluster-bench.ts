/**
 * `npm run bench -- --nodes N` (issue 12): in one run, the hub alone on a
 * fresh PostgreSQL database, then N nodes of a cluster on another fresh
 * database and Redis prefix, measured by the C generator at the same offered
 * rates (one generator per node, each with its share of the devices); then
 * kill -9 of the leader, timed in phases (cluster-failover.ts). Prints the
 * figures and writes bench/results/<ISO date>-cluster<N>.json.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchOptions } from './args.js';
import { REPO_ROOT } from './child.js';
import { measureTargetC } from './c-measure.js';
import { formatCluster } from './cluster-report.js';
import { measureFailover, type FailoverResult } from './cluster-failover.js';
import { runClusterStep, shareOf, type ClusterStep } from './cluster-load.js';
import { checkRedis, type Cluster } from './cluster-nodes.js';
import { allAlive, generatorBinary, provisionThroughLeader, withCluster, writeResults } from './cluster-session.js';
import type { TargetResult } from './measure.js';
import { nodeProfiles, type ProfileSummary } from './profile-summary.js';
import { startPgHubTarget } from './targets/pg-hub-target.js';

export interface ClusterRun {
  nodes: number;
  /** HUB_PARTITIONS of the nodes. */
  partitions: 'leader' | 'spread';
  /** Dropped / deleted after the run: named so a check can see nothing was left. */
  database: string;
  redisPrefix: string;
  devices: number;
  setup: { provisionMs: number; provisionHomesPerSec: number };
  steps: ClusterStep[];
  /** Null with --profile: the killed leader would write no profile. */
  failover: FailoverResult | null;
}

/** The offered rates: --sweep-rates with --sweep, the one --rate with --quick, else a fifth, half and all of --rate. */
export function clusterRates(options: BenchOptions): number[] {
  if (options.sweep) return options.sweepRates;
  return options.quick ? [options.rate] : [options.rate / 5, options.rate / 2, options.rate].map(Math.round);
}

async function measureSingle(options: BenchOptions, binary: string, say: (l: string) => void): Promise<TargetResult> {
  const target = await startPgHubTarget({ homes: options.homes, onProgress: say });
  try {
    const steps = clusterRates(options).map((rate) => ({ rate, alarmRate: options.alarmRate, durationS: options.durationS, warmupS: options.warmupS }));
    return await measureTargetC(target, { binary, steps, connectRate: options.connectRate, workers: options.workers, onProgress: say });
  } finally {
    await target.stop();
  }
}

/** Provisioning through the leader, then the load steps, then the failover (which ends the leader; not with --profile). */
async function measureCluster(cluster: Cluster, options: BenchOptions, binary: string, say: (l: string) => void): Promise<ClusterRun> {
  const failoverHomes = options.quick ? 3 : 10;
  const { homes, provisionMs, provisionHomesPerSec } = await provisionThroughLeader(cluster, options.homes + failoverHomes, 'BENCH-CL', say);
  const loadHomes = homes.slice(0, options.homes).map((h) => h.devices.map((d) => ({ deviceId: d.deviceId, secret: d.secret })));
  const shares = cluster.nodes.map((_, k) => shareOf(loadHomes, k, cluster.nodes.length));
  const credsDir = await mkdtemp(join(tmpdir(), 'hub-bench-creds-'));
  const steps: ClusterStep[] = [];
  try {
    for (const rate of clusterRates(options)) {
      const plan = { binary, rate, alarmRate: options.alarmRate, warmupS: options.warmupS, durationS: options.durationS, connectRate: options.connectRate };
      steps.push(await runClusterStep(cluster.nodes, shares, plan, credsDir, cluster.pids, say));
      allAlive(cluster, `the ${rate} msg/s step`);
    }
  } finally {
    await rm(credsDir, { recursive: true, force: true });
  }
  allAlive(cluster, 'the load steps');
  const bracelets = homes.slice(options.homes).map((h) => h.devices.find((d) => d.kind === 'bracelet')!);
  const failover = options.profile ? null : await measureFailover(cluster.nodes, bracelets, say, cluster.databaseUrl);
  return {
    nodes: cluster.nodes.length,
    partitions: options.partitions,
    database: cluster.databaseName,
    redisPrefix: cluster.redisPrefix,
    devices: shares.reduce((n, s) => n + s.length, 0),
    setup: { provisionMs, provisionHomesPerSec },
    steps,
    failover,
  };
}

/**
 * With --profile: each node's CPU profile cut to the last (highest) step's
 * seconds. The failover is not run then: --cpu-prof writes a profile at
 * exit, which the killed leader never reaches.
 */
async function stepProfiles(dir: string, run: ClusterRun, names: readonly string[]): Promise<Record<string, ProfileSummary>> {
  const last = run.steps[run.steps.length - 1];
  if (!last) return {};
  return nodeProfiles(dir, names, last.monotonicUs, (node) => `${node}, the ${last.rate} msg/s step's measured seconds only`);
}

export async function runClusterBench(options: BenchOptions, say: (line: string) => void, done: () => void): Promise<number> {
  const binary = await generatorBinary();
  // Redis is only needed by the cluster, measured second: a missing one should not cost the first half of the run.
  await checkRedis();
  const loadAtStart = loadavg()[0] ?? 0;
  say('single node on PostgreSQL: starting');
  const single = await measureSingle(options, binary, say);
  const profileDir = resolve(REPO_ROOT, options.outDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  const nodeArgs = options.profile ? (name: string) => ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : undefined;
  let names: string[] = [];
  const run = await withCluster(options.nodes, say, done, (cluster) => {
    names = cluster.nodes.map((n) => n.name);
    return measureCluster(cluster, options, binary, say);
  }, nodeArgs, options.partitions);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadavg()[0] ?? 0 };
  console.log(formatCluster(single, run, machine));
  const profiles = options.profile ? await stepProfiles(profileDir, run, names) : undefined;
  await writeResults(options.outDir, `cluster${options.nodes}`, { machine, options, single, cluster: run, ...(profiles ? { profiles } : {}) });
  const f = run.failover;
  if (!f) return 0;
  return f.newLeader !== null && f.unacked === 0 && f.unseen === 0 ? 0 : 1;
}
