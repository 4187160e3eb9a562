/**
 * What both cluster modes of the bench (`--nodes N`: load steps and failover,
 * cluster-bench.ts; `--nodes N --storm`: a reconnect storm, cluster-storm.ts)
 * do around their measurement: build the generator, start the nodes and
 * remove them (database, Redis keys, data dirs) however the run ends,
 * provision the homes through the leader, and write the results JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HubApi, neighbourhood, type ProvisionedHome } from '../simulators/hub-api.js';
import { buildMqttload, mqttloadSource } from './c-generator.js';
import { REPO_ROOT } from './child.js';
import { startCluster, type Cluster } from './cluster-nodes.js';
import { PASSWORD } from './targets/hub-target.js';

export async function generatorBinary(): Promise<string> {
  const source = mqttloadSource();
  if (!source) throw new Error('--nodes needs the C generator: ../shared/tools/mqttload.c (or MQTTLOAD_SOURCE) was not found');
  return buildMqttload(source);
}

/** A node that went (e.g. leadership lost on a starved machine) leaves its devices nowhere to go: the run stops, saying why. */
export function allAlive(cluster: Cluster, during: string): void {
  const gone = cluster.nodes.filter((n) => n.exit !== undefined);
  if (gone.length > 0) throw new Error(`cluster node(s) ended during ${during}: ${gone.map((n) => `${n.name} ${n.exit}`).join('; ')}`);
}

/** Starts `count` nodes, runs `measure` on them and always removes them; Ctrl-C or a kill removes them too. */
export async function withCluster<T>(count: number, say: (line: string) => void, done: () => void, measure: (cluster: Cluster) => Promise<T>, nodeArgs?: (name: string) => string[], partitions?: 'leader' | 'spread'): Promise<T> {
  const cluster = await startCluster(count, say, nodeArgs, partitions);
  const interrupt = () => {
    done();
    console.error('bench: interrupted, stopping the cluster');
    void cluster.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    return await measure(cluster);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await cluster.stop();
    done();
  }
}

export interface Provisioned {
  homes: ProvisionedHome[];
  provisionMs: number;
  provisionHomesPerSec: number;
}

/** `count` homes (4 devices each) provisioned over REST through the leader, as an installer would. */
export async function provisionThroughLeader(cluster: Cluster, count: number, serialPrefix: string, say: (line: string) => void): Promise<Provisioned> {
  const leader = cluster.nodes[0]!;
  const api = new HubApi(leader.httpUrl);
  await api.login('admin', PASSWORD);
  const started = performance.now();
  const homes = await api.provisionHomes(neighbourhood(count), {
    concurrency: 4,
    serialPrefix: `${serialPrefix}-${process.pid}`,
    onProgress: (n) => say(`cluster: provisioning homes through ${leader.name} ${n}/${count}`),
  });
  const provisionMs = performance.now() - started;
  return { homes, provisionMs: Math.round(provisionMs), provisionHomesPerSec: Math.round(homes.length / (provisionMs / 1000)) };
}

/** Writes bench/results/<ISO date>-<suffix>.json (or under --out) and says where. */
export async function writeResults(outDir: string, suffix: string, json: object): Promise<string> {
  const dir = resolve(REPO_ROOT, outDir);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${suffix}.json`);
  await writeFile(path, `${JSON.stringify({ date: new Date().toISOString(), ...json }, null, 2)}\n`);
  console.log(`\nwrote ${path}`);
  return path;
}
