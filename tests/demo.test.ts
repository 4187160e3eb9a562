/**
 * `npm run demo` from the outside: it starts a hub, provisions homes, prints
 * the console URL and the operator's password, an emergency becomes an alert
 * on the operator stream, and Ctrl-C stops everything and removes its data.
 * With `--nodes 2` the same on a cluster: kill -9 of the leader, and the
 * demo names the next leader, whose alert feed shows the next emergency from
 * devices that moved to it; Ctrl-C drops the database and the Redis keys.
 */
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useCleanup } from './helpers/cleanup.js';
import { runDemo, type DemoRun } from './helpers/demo-run.js';
import { PG_ADMIN_URL, withAdmin } from './helpers/pg-server.js';
import { TEST_REDIS_URL } from './helpers/redis-namespace.js';

const keep = useCleanup();
/** The demo's stores are this machine's test servers. */
const STORES_ENV = { HUB_DEMO_PG_ADMIN_URL: PG_ADMIN_URL, HUB_DEMO_REDIS_URL: TEST_REDIS_URL };
const SOS_ALERT = /ALERT: critical sos|alert updated: critical sos/;

/** An SOS alert line of the feed, with its occurrences ("(open)" is one). */
const SOS_LINE = /critical sos — .* \(\w+(?:, (\d+) occurrences)?\)/;

function maxSosCount(output: string): number {
  return Math.max(0, ...[...output.matchAll(new RegExp(SOS_LINE, 'g'))].map((m) => Number(m[1] ?? 1)));
}

/** Whether an SOS line with more than `count` occurrences is printed after `from`, within 90 s. */
async function sosCountAbove(run: DemoRun, count: number, from: number): Promise<boolean> {
  const deadline = Date.now() + 90_000;
  for (let at = from; Date.now() < deadline; ) {
    const line = await run.waitFor(SOS_LINE, at, deadline - Date.now());
    if (!line) return false;
    if (Number(line[1] ?? 1) > count) return true;
    at = line.index! + line[0].length;
  }
  return false;
}

const databaseExists = (name: string) => withAdmin(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1);
const demoDatabases = () => withAdmin(async (c) => (await c.query(`SELECT datname FROM pg_database WHERE datname LIKE 'hub\\_demo\\_%'`)).rows.map((r: { datname: string }) => r.datname));

async function redisKeys(prefix: string): Promise<string[]> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await redis.keys(`${prefix}*`);
  } finally {
    redis.disconnect();
  }
}

/**
 * After a failed test: Ctrl-C first (the demo removes its nodes' data dirs, database and keys); if it
 * does not exit within 30 s, SIGKILL for it and every node it printed, and its database is dropped here.
 */
async function killDemo(run: DemoRun): Promise<void> {
  if (run.child.exitCode !== null) return;
  run.child.kill('SIGINT');
  let limit: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([run.exited.then(() => true), new Promise<false>((r) => (limit = setTimeout(() => r(false), 30_000)))]);
  clearTimeout(limit);
  if (stopped) return;
  for (const [, pid] of run.output().matchAll(/node-\d\s+pid (\d+)/g)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  run.child.kill('SIGKILL');
  await run.exited;
  const database = run.output().match(/PostgreSQL database (hub_demo_\w+)/)?.[1];
  if (database) await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
}

describe('npm run demo', () => {
  it('shows an alert from a simulated home within seconds and cleans up on Ctrl-C', async () => {
    const run = keep(runDemo(['--homes', '2', '--first', '1', '--emergency', 'sos']), killDemo);
    await run.waitFor(/ALERT: critical sos/);
    const out = run.output();
    expect(out).toMatch(/Console:\s+http:\/\/127\.0\.0\.1:\d+\/\s+\(operator \/ operator-\w+/);
    expect(out).toMatch(/ALERT: critical sos/);
    const dataDir = out.match(/--credentials (\S+)\/demo-devices\.json/)?.[1];
    expect(dataDir && existsSync(dataDir)).toBe(true);

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/stopped: hub and residents stopped, temporary data removed/);
    expect(existsSync(dataDir!)).toBe(false);
  }, 120_000);

  it('--nodes 2: an alert arrives; after kill -9 of the leader the demo names the next leader and its feed shows the next SOS; Ctrl-C drops the database and Redis keys', async () => {
    // One home: its devices start on node-1, the leader, so the SOS after the kill proves they moved to node-2.
    const run = keep(runDemo(['--nodes', '2', '--homes', '1', '--first', '1', '--every', '10', '--emergency', 'sos'], STORES_ENV), killDemo);
    await run.waitFor(SOS_ALERT, 0, 150_000);
    const out = run.output();
    expect(out).toMatch(/Console:\s+http:\/\/127\.0\.0\.1:(\d+)\/\s+\(operator \/ operator-\w+.*← node-1, the leader/);
    expect(out).toMatch(/node-2\s+pid \d+\s+mqtt:\/\/127\.0\.0\.1:\d+\s+http:\/\/127\.0\.0\.1:\d+\s+standby/);
    expect(out).toMatch(SOS_ALERT);
    const leaderPid = Number(out.match(/kill -9 (\d+)/)?.[1]);
    const database = out.match(/PostgreSQL database (hub_demo_\w+)/)?.[1];
    const prefix = out.match(/Redis keys (\S+)\* on/)?.[1];
    const dataDir = out.match(/--credentials (\S+)\/demo-devices\.json/)?.[1];
    expect(database && (await databaseExists(database))).toBe(true);
    expect(prefix && (await redisKeys(prefix)).length).toBeGreaterThan(0);

    process.kill(leaderPid, 'SIGKILL');
    const died = await run.waitFor(new RegExp(`node-1 \\(pid ${leaderPid}\\) killed by SIGKILL`), out.length, 60_000);
    expect(died).not.toBeNull();
    const next = await run.waitFor(/node-2 \(pid \d+\) leads the cluster now: console http:\/\/127\.0\.0\.1:\d+\//, died!.index!, 60_000);
    expect(next).not.toBeNull();
    // The next emergency, in the home whose devices were on node-1, reaches the feed now on node-2:
    // one more SOS occurrence than before the kill (not just an update such as the alert turning overdue).
    expect(await sosCountAbove(run, maxSosCount(run.output().slice(0, died!.index)), next!.index!)).toBe(true);

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(new RegExp(`stopped: 2 nodes and residents stopped, temporary data removed, database ${database} dropped`));
    expect(await databaseExists(database!)).toBe(false);
    expect(await redisKeys(prefix!)).toEqual([]);
    expect(existsSync(dataDir!)).toBe(false);
  }, 360_000);

  it('--nodes out of range, or a Redis or PostgreSQL that does not answer: one line saying what to do (no password), and nothing created', async () => {
    const tooMany = runDemo(['--nodes', '6']);
    expect(await tooMany.exited).toBe(2);
    expect(tooMany.output().trim()).toBe('demo: --nodes must be a whole number from 1 to 5 (got "6")');

    const before = await demoDatabases();
    const noRedis = keep(runDemo(['--nodes', '2'], { ...STORES_ENV, HUB_DEMO_REDIS_URL: 'redis://127.0.0.1:1/0' }), killDemo);
    expect(await noRedis.exited).toBe(1);
    expect(noRedis.output().trim()).toMatch(/^demo: Redis at redis:\/\/127\.0\.0\.1:1 does not answer \(.+\): start it \(e\.g\. `redis-server --daemonize yes`\) or set HUB_DEMO_REDIS_URL$/);
    expect(await demoDatabases()).toEqual(before);

    const noPg = keep(runDemo(['--nodes', '2'], { ...STORES_ENV, HUB_DEMO_PG_ADMIN_URL: 'postgres://postgres:not-printed@127.0.0.1:1/postgres' }), killDemo);
    expect(await noPg.exited).toBe(1);
    expect(noPg.output().trim()).toMatch(/^demo: PostgreSQL at postgres:\/\/127\.0\.0\.1:1 does not answer \(.+\): start it .* or set HUB_DEMO_PG_ADMIN_URL .*$/);
    expect(noPg.output()).not.toContain('not-printed');
  }, 120_000);
});
