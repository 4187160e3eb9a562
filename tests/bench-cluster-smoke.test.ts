/**
 * The cluster bench cannot rot: `npm run bench -- --nodes 2 --quick` (one
 * node on PostgreSQL, then two nodes on PostgreSQL and Redis, then kill -9
 * of the leader) must run end to end, write its JSON with figures from both
 * nodes and the failover, and leave neither its database nor its Redis keys
 * behind. No timing is asserted: the figures go to docs/PERFORMANCE.md.
 * About 30 s on this machine.
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

    const files = (await readdir(out.path)).filter((f) => f.endsWith('-cluster2.json'));
    expect(files).toHaveLength(1);
    const { single, cluster } = JSON.parse(await readFile(join(out.path, files[0]!), 'utf8'));
    expect(single.steps[0].alarmsSeen).toBe(single.steps[0].alarmsSent);
    const nodes = cluster.steps[0].nodes as { role: string; connected: number; devices: number; alarmsSent: number; alarmsAcked: number }[];
    expect(nodes.map((n) => n.role)).toEqual(['leader', 'standby']);
    for (const n of nodes) {
      expect(n.connected).toBe(n.devices);
      expect(n.alarmsSent).toBeGreaterThan(0);
      expect(n.alarmsAcked).toBe(n.alarmsSent);
    }
    expect(cluster.failover).toMatchObject({ killedNode: 'bench-node-a', newLeader: 'bench-node-b', unacked: 0, unseen: 0 });
    expect(cluster.failover.pubackMs.count).toBe(cluster.failover.devices);

    const databases = await withAdmin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [cluster.database]));
    expect(databases.rowCount).toBe(0);
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await redis.keys(`${cluster.redisPrefix}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 180_000);

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
