/**
 * The hub as the bench runs it: a child process (the `npm start` bundle,
 * dist/hub.mjs) on free ports with a fresh data dir and the per-IP and
 * per-device rate limits raised (every bench device connects from this one
 * machine). Homes are provisioned over the REST API like an installer would;
 * then the hub is restarted so the cold start with those homes is measured too.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HubApi, neighbourhood } from '../../simulators/hub-api.js';
import { REPO_ROOT, spawnReady, type Child } from '../child.js';
import type { Target } from './target.js';
import { sleep } from '../stats.js';

export const PASSWORD = 'bench-admin-password';

export interface HubTargetOptions {
  homes: number;
  /** Extra node flags for the measured run, e.g. --cpu-prof. */
  nodeArgs?: string[];
  onProgress?: (line: string) => void;
  provisionConcurrency?: number;
  /** HUB_DATABASE_URL: run the hub on this (fresh) PostgreSQL database instead of the files (--store postgres). */
  databaseUrl?: string;
  /**
   * Empty cold starts to measure (--starts; files only: each on a data dir of its own). On a
   * shared machine one start is noise; the median of a few is reported, with the fastest.
   */
  coldStarts?: number;
}

/** The node flags `npm start` runs the bundle with (package.json's start script), so the bench measures what it runs. */
export function startScriptNodeFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** Builds the `npm start` bundle (under its own name) once per bench run: the bench measures what `npm start` runs. */
let built: Promise<void> | undefined;
export function buildHub(): Promise<void> {
  built ??= new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'hub/tools/build-hub.ts', '--outfile', 'dist/bench-hub.mjs'], { cwd: REPO_ROOT }, (err) => (err ? reject(err) : resolve()));
  });
  return built;
}

/** What every bench hub process runs with: free ports, its own data dir, and limits for one machine's thousands of devices. */
export function benchHubEnv(dataDir: string): Record<string, string> {
  return {
    HUB_MQTT_PORT: '0',
    HUB_HTTP_PORT: '0',
    HUB_HOST: '127.0.0.1',
    HUB_DATA_DIR: dataDir,
    HUB_ADMIN_PASSWORD: PASSWORD,
    HUB_LOG_LEVEL: 'warn',
    HUB_CONNECTIONS_PER_IP_PER_SEC: '1000000',
    HUB_PUBLISHES_PER_DEVICE_PER_SEC: '100000',
    // The C generator reconnects every device for each load step.
    HUB_CONNECTS_PER_DEVICE_PER_MIN: '100000',
  };
}

/** The two listener lines a bench hub prints: MQTT port, HTTP port. */
export const HUB_READY = [/MQTT broker listening on mqtt:\/\/[^:\s]+:(\d+)/, /listening on http:\/\/[^:\s]+:(\d+)/];

async function startHub(dataDir: string, nodeArgs: string[] = [], databaseUrl?: string): Promise<Child> {
  await buildHub();
  return spawnReady({
    script: 'dist/bench-hub.mjs',
    nodeArgs: [...startScriptNodeFlags(), ...nodeArgs],
    env: { ...benchHubEnv(dataDir), ...(databaseUrl ? { HUB_DATABASE_URL: databaseUrl } : {}) },
    ready: HUB_READY,
  });
}

const portOf = (child: Child, i: number) => Number(child.matches[i]![1]);

/** Cold starts of the bundle on data dirs of their own, each stopped once ready (the first start the bench keeps is one more). */
async function extraColdStarts(count: number, say: (line: string) => void): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    say(`hub: cold start ${i + 1} of ${count + 1} on an empty data dir`);
    const dir = await mkdtemp(join(tmpdir(), 'hub-bench-start-'));
    try {
      const child = await startHub(dir);
      times.push(child.readyMs);
      await child.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return times;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

export async function startHubTarget(options: HubTargetOptions): Promise<Target> {
  const say = options.onProgress ?? (() => undefined);
  const extra = options.databaseUrl ? [] : await extraColdStarts(Math.max(0, (options.coldStarts ?? 1) - 1), say);
  const dataDir = await mkdtemp(join(tmpdir(), 'hub-bench-'));
  let child = await startHub(dataDir, [], options.databaseUrl);
  const coldStarts = [...extra, child.readyMs];
  const loadAvgAtColdStarts = Math.round((loadavg()[0] ?? NaN) * 100) / 100;
  try {
    const { devices, provisionMs } = await provisionOverRest(child, options, say);
    // Restart on the same data dir: a cold start with every home registered.
    await child.stop();
    child = await startHub(dataDir, options.nodeArgs, options.databaseUrl);
    const setup = {
      coldStartEmptyMs: median(coldStarts),
      ...(coldStarts.length > 1 ? { coldStartsEmpty: coldStarts.length, coldStartEmptyMinMs: Math.min(...coldStarts), coldStartEmptyMaxMs: Math.max(...coldStarts) } : {}),
      loadAvgAtColdStarts,
      coldStartWithHomesMs: child.readyMs,
      provisionMs,
      provisionHomesPerSec: options.homes / (provisionMs / 1000),
    };
    return await runningHub(child, dataDir, { devices, setup, postgres: options.databaseUrl !== undefined });
  } catch (err) {
    await child.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** The homes provisioned over REST as an installer would, timed; their devices' credentials. */
async function provisionOverRest(child: Child, options: HubTargetOptions, say: (line: string) => void): Promise<{ devices: Target['devices']; provisionMs: number }> {
  const api = new HubApi(`http://127.0.0.1:${portOf(child, 1)}`);
  await api.login('admin', PASSWORD);
  const started = performance.now();
  const homes = await api.provisionHomes(neighbourhood(options.homes), {
    concurrency: options.provisionConcurrency ?? 8,
    serialPrefix: `BENCH-${process.pid}`,
    onProgress: (done) => done % 25 === 0 && say(`hub: provisioning homes over REST ${done}/${options.homes}`),
  });
  const provisionMs = performance.now() - started;
  return { devices: homes.flatMap((h) => h.devices.map((d) => ({ deviceId: d.deviceId, secret: d.secret }))), provisionMs };
}

/** The measured hub process as a bench target: its ports, pids, devices, set-up figures and what the bench asks it. */
async function runningHub(hub: Child, dataDir: string, run: { devices: Target['devices']; setup: Target['setup']; postgres: boolean }): Promise<Target> {
  const api = new HubApi(`http://127.0.0.1:${portOf(hub, 1)}`);
  const token = await api.login('admin', PASSWORD);
  // Four more operators start their shift at once: each login's password hash runs on one of
  // libuv's four pool threads, and what a hash leaves behind there counts in the idle figures.
  await Promise.all([1, 2, 3, 4].map(() => new HubApi(`http://127.0.0.1:${portOf(hub, 1)}`).login('admin', PASSWORD)));
  // The hub gives back its start's heap in the moments after it is ready (hub/ops/idle-memory.ts):
  // the memory figures start from an idle hub, not from one still finishing its start.
  await sleep(1_000);
  return {
    name: run.postgres ? 'hub-postgres' : 'hub',
    description: run.postgres
      ? 'the same hub on PostgreSQL: registry and journal in the database (COMMIT with synchronous_commit before alarm PUBACK)'
      : 'the hub: Aedes + auth/ACL + ingest (zod) + rules + journal (fsync before alarm PUBACK) + WebSocket',
    host: '127.0.0.1',
    port: portOf(hub, 0),
    observerUrl: `ws://127.0.0.1:${portOf(hub, 1)}/api/v1/stream?token=${encodeURIComponent(token)}`,
    brokerPid: hub.pid,
    workPids: [hub.pid],
    devices: run.devices,
    countsDelivered: false,
    setup: run.setup,
    async connectedClients() {
      const health = await api.request<{ mqtt: { connectedClients: number } }>('GET', '/health', undefined, [200, 503]);
      return health.mqtt.connectedClients;
    },
    async metricsText() {
      // Loopback may read /metrics without a token (hub/api/routes/health.ts).
      const res = await fetch(`http://127.0.0.1:${portOf(hub, 1)}/metrics`);
      if (!res.ok) throw new Error(`/metrics: ${res.status}`);
      return res.text();
    },
    async shedTelemetry() {
      const health = await api.request<{ load: { shedTelemetry: number } }>('GET', '/health', undefined, [200, 503]);
      return health.load.shedTelemetry;
    },
    async stop() {
      await hub.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
