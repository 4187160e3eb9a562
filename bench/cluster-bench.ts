/**
 * `npm run bench -- --nodes N` (issue 12): in one run, the hub alone on a
 * fresh PostgreSQL database, then N nodes of a cluster on another fresh
 * database and Redis prefix, measured by the C generator at the same offered
 * rates (one generator per node, each with its share of the devices); then
 * kill -9 of the leader, timed in phases (cluster-failover.ts). Prints the
 * figures and writes bench/results/<ISO date>-cluster<N>.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HubApi, neighbourhood } from '../simulators/hub-api.js';
import type { BenchOptions } from './args.js';
import { buildMqttload, mqttloadSource } from './c-generator.js';
import { measureTargetC } from './c-measure.js';
import { REPO_ROOT } from './child.js';
import { formatCluster } from './cluster-report.js';
import { measureFailover, type FailoverResult } from './cluster-failover.js';
import { runClusterStep, shareOf, type ClusterStep } from './cluster-load.js';
import { checkRedis, startCluster, type Cluster } from './cluster-nodes.js';
import type { TargetResult } from './measure.js';
import { PASSWORD } from './targets/hub-target.js';
import { startPgHubTarget } from './targets/pg-hub-target.js';

export interface ClusterRun {
  nodes: number;
  /** Dropped / deleted after the run: named so a check can see nothing was left. */
  database: string;
  redisPrefix: string;
  devices: number;
  setup: { provisionMs: number; provisionHomesPerSec: number };
  steps: ClusterStep[];
  failover: FailoverResult;
}

/** The offered rates: --sweep-rates with --sweep, the one --rate with --quick, else a fifth, half and all of --rate. */
export function clusterRates(options: BenchOptions): number[] {
  if (options.sweep) return options.sweepRates;
  return options.quick ? [options.rate] : [options.rate / 5, options.rate / 2, options.rate].map(Math.round);
}

async function generatorBinary(): Promise<string> {
  const source = mqttloadSource();
  if (!source) throw new Error('--nodes needs the C generator: ../shared/tools/mqttload.c (or MQTTLOAD_SOURCE) was not found');
  return buildMqttload(source);
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

/** A node that went (e.g. leadership lost on a starved machine) leaves its devices nowhere to go: the run stops, saying why. */
function allAlive(cluster: Cluster, during: string): void {
  const gone = cluster.nodes.filter((n) => n.exit !== undefined);
  if (gone.length > 0) throw new Error(`cluster node(s) ended during ${during}: ${gone.map((n) => `${n.name} ${n.exit}`).join('; ')}`);
}

/** Provisioning through the leader, then the load steps, then the failover (which ends the leader). */
async function measureCluster(cluster: Cluster, options: BenchOptions, binary: string, say: (l: string) => void): Promise<ClusterRun> {
  const api = new HubApi(cluster.nodes[0]!.httpUrl);
  await api.login('admin', PASSWORD);
  const failoverHomes = options.quick ? 3 : 10;
  const started = performance.now();
  const homes = await api.provisionHomes(neighbourhood(options.homes + failoverHomes), {
    concurrency: 4,
    serialPrefix: `BENCH-CL-${process.pid}`,
    onProgress: (done) => say(`cluster: provisioning homes through ${cluster.nodes[0]!.name} ${done}/${options.homes + failoverHomes}`),
  });
  const provisionMs = performance.now() - started;
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
  const failover = await measureFailover(cluster.nodes, bracelets, say);
  return {
    nodes: cluster.nodes.length,
    database: cluster.databaseName,
    redisPrefix: cluster.redisPrefix,
    devices: shares.reduce((n, s) => n + s.length, 0),
    setup: { provisionMs: Math.round(provisionMs), provisionHomesPerSec: Math.round(homes.length / (provisionMs / 1000)) },
    steps,
    failover,
  };
}

export async function runClusterBench(options: BenchOptions, say: (line: string) => void, done: () => void): Promise<number> {
  const binary = await generatorBinary();
  // Redis is only needed by the cluster, measured second: a missing one should not cost the first half of the run.
  await checkRedis();
  const loadAtStart = loadavg()[0] ?? 0;
  say('single node on PostgreSQL: starting');
  const single = await measureSingle(options, binary, say);
  const cluster = await startCluster(options.nodes, say);
  // Ctrl-C or a kill: the nodes, the database and the Redis keys are ours to remove.
  const interrupt = () => {
    done();
    console.error('bench: interrupted, stopping the cluster');
    void cluster.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  let run: ClusterRun;
  try {
    run = await measureCluster(cluster, options, binary, say);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await cluster.stop();
    done();
  }
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadavg()[0] ?? 0 };
  console.log(formatCluster(single, run, machine));
  const outDir = resolve(REPO_ROOT, options.outDir);
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-cluster${options.nodes}.json`);
  const json = { date: new Date().toISOString(), machine, options, single, cluster: run };
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${path}`);
  const f = run.failover;
  return f.newLeader !== null && f.unacked === 0 && f.unseen === 0 ? 0 : 1;
}
