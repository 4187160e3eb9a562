/**
 * The cluster bench cannot rot: `npm run bench -- --nodes 2 --quick` (one
 * node on PostgreSQL, then two nodes on PostgreSQL and Redis, then kill -9
 * of the leader) and `--storm --nodes 2 --quick` (a reconnect storm spread
 * over two nodes) must run end to end, write their JSON with figures from
 * both nodes, and leave neither their database nor their Redis keys behind.
 * No timing is asserted: the figures go to docs/PERFORMANCE.md. About 30 s
 * and 15 s on this machine.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { mqttloadSource } from '../bench/c-generator.js';
import { useCleanup } from './helpers/cleanup.js';
import { REPO_ROOT } from './helpers/hub-process.js';
import { withAdmin } from './helpers/pg-server.js';
import { TEST_REDIS_URL } from './helpers/redis-namespace.js';
import { makeTempDir } from './helpers/temp-dir.js';

const keep = useCleanup();

/** The run's database is dropped and its Redis keys deleted. */
async function leftNothing(cluster: { database: string; redisPrefix: string }): Promise<void> {
  const databases = await withAdmin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [cluster.database]));
  expect(databases.rowCount).toBe(0);
  const redis = new Redis(TEST_REDIS_URL);
  try {
    expect(await redis.keys(`${cluster.redisPrefix}*`)).toEqual([]);
  } finally {
    redis.disconnect();
  }
}

/** The one results JSON of `suffix` (e.g. storm2) written into `dir`, read as it was written. */
async function resultsJson(dir: string, suffix: string): Promise<Record<string, any>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(`-${suffix}.json`));
  expect(files).toHaveLength(1);
  return JSON.parse(await readFile(join(dir, files[0]!), 'utf8'));
}

function runBench(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

describe('npm run bench -- --nodes 2 --quick', () => {
  it.skipIf(!mqttloadSource())('measures one node and two, then the failover, writes its JSON and removes its database and Redis keys', async () => {
    const out = keep(await makeTempDir('hub-bench-cluster-'), (d) => d.remove());
    const run = await runBench(['--nodes', '2', '--quick', '--out', out.path]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/prints that it leads/);

    const { single, cluster } = await resultsJson(out.path, 'cluster2');
    expect(single.steps[0].alarmsSeen).toBe(single.steps[0].alarmsSent);
    const nodes = cluster.steps[0].nodes as { role: string; connected: number; devices: number; alarmsSent: number; alarmsAcked: number }[];
    expect(nodes.map((n) => n.role)).toEqual(['leader', 'standby']);
    for (const n of nodes) {
      expect(n.connected).toBe(n.devices);
      expect(n.alarmsSent).toBeGreaterThan(0);
      expect(n.alarmsAcked).toBe(n.alarmsSent);
    }
    expect(cluster.failover).toMatchObject({ killedNode: 'bench-node-a', newLeader: 'bench-node-b', unacked: 0, unseen: 0, reowned: { held: 257, total: 257 } });
    // Taken after the kill, and before (or as) the new leader said it leads.
    expect(cluster.failover.reownedMs).toBeGreaterThan(0);
    expect(cluster.failover.reownedMs).toBeLessThanOrEqual(cluster.failover.leadsMs + 50);
    expect(cluster.failover.pubackMs.count).toBe(cluster.failover.devices);
    await leftNothing(cluster);
  }, 180_000);

  it.skipIf(!mqttloadSource())('--storm: every device connects once, then all but a steady group reconnect at once over both nodes; figures per node, nothing left behind', async () => {
    const out = keep(await makeTempDir('hub-bench-storm-'), (d) => d.remove());
    const run = await runBench(['--nodes', '2', '--storm', '--quick', '--out', out.path]);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/Reconnect storm on 2 nodes/);
    expect(run.out).toMatch(/target: all back within 30 s/);

    const { cluster, targets } = await resultsJson(out.path, 'storm2');
    expect(Object.keys(targets)).toEqual(['allBack', 'steadyAlarms']);
    expect(cluster.devices).toBe(20);
    expect(cluster.storm).toMatchObject({ stormDevices: 10, steadyDevices: 10, back: 10, notBack: 0 });
    expect(cluster.storm.alarmsAcked).toBe(cluster.storm.alarmsSent);
    expect(cluster.nodesEnded).toEqual([]);
    type Steady = { devices: number; alarmsSent: number; alarmsAcked: number };
    const nodes = cluster.perNode as { role: string; connect: { devices: number; connected: number }; steadyAlone: Steady; storm: { storm: { devices: number; back: number }; steady: Steady; connectionsHeld: number } }[];
    expect(nodes.map((n) => n.role)).toEqual(['leader', 'standby']);
    for (const n of nodes) {
      expect(n.connect.connected).toBe(n.connect.devices);
      expect(n.storm.storm.back).toBe(n.storm.storm.devices);
      expect(n.storm.steady.devices).toBeGreaterThan(0);
      // The baseline before the storm: the same devices, every alarm acknowledged.
      expect(n.steadyAlone.devices).toBe(n.storm.steady.devices);
      expect(n.steadyAlone.alarmsSent).toBeGreaterThan(0);
      expect(n.steadyAlone.alarmsAcked).toBe(n.steadyAlone.alarmsSent);
      // The node's own count, read as the steady group leaves: the storm group, and steady devices still closing.
      expect(n.storm.connectionsHeld).toBeGreaterThanOrEqual(n.storm.storm.back);
      expect(n.storm.connectionsHeld).toBeLessThanOrEqual(n.storm.storm.back + n.storm.steady.devices);
    }
    await leftNothing(cluster);
  }, 120_000);

  it('refuses to start without Redis, with one line naming where it looked, and writes nothing', async () => {
    const out = keep(await makeTempDir('hub-bench-cluster-'), (d) => d.remove());
    const run = await runBench(['--nodes', '2', '--quick', '--out', out.path], { HUB_TEST_REDIS_URL: 'redis://127.0.0.1:1/0' });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/--nodes needs Redis at 127\.0\.0\.1:1 .*ECONNREFUSED/);
    expect(await readdir(out.path)).toEqual([]);
  });

  it('refuses a cluster size that is not 1 to 9', async () => {
    const run = await runBench(['--nodes', '0']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--nodes must be a whole number from 1 to 9 \(got "0"\)/);
  });
});
