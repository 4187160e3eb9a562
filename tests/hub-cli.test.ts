/**
 * `npm start` as a user meets it: listener lines with real addresses, the
 * first admin password printed once, one-line errors that say what to change,
 * clean shutdown on SIGTERM with the journal flushed.
 */
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptNodeFlags } from '../bench/targets/hub-target.js';
import { verifyJournal } from '../hub/storage/journal.js';
import { ApiClient } from './helpers/api-client.js';
import { hubBundle } from './helpers/hub-bundle.js';
import { runHubCommand, startHubProcess, type HubProcess } from './helpers/hub-process.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { waitFor } from './helpers/wait-for.js';

const running: HubProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  for (const c of cleanups.splice(0)) await c();
});

async function tempDir() {
  const t = await makeTempDir();
  cleanups.push(t.remove);
  return t.path;
}

function expectOneLineError(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('hub command line', () => {
  it('prints one line per listener, creates admin with a generated password shown once, and stops cleanly on SIGTERM', async () => {
    const dataDir = await tempDir();
    const first = await startHubProcess({ HUB_DATA_DIR: dataDir });
    running.push(first);
    expect(first.stdout()).toMatch(new RegExp(`MQTT broker listening on mqtt://127\\.0\\.0\\.1:${first.mqttPort}\\n`));
    const password = first.stdout().match(/created user "admin" with password (\S+)/)?.[1];
    expect(password).toBeDefined();
    const api = new ApiClient(`http://127.0.0.1:${first.httpPort}`);
    await api.login('admin', password!);
    const home = await api.post('/api/v1/homes', { name: 'H', address: 'A', resident: { name: 'R', birthYear: 1940 } });
    expect(home.status).toBe(201);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    running.splice(running.indexOf(first), 1);
    const journal = await verifyJournal(join(dataDir, 'journal'));
    expect(journal).toMatchObject({ ok: true });
    expect(journal.lines).toBeGreaterThanOrEqual(2); // admin created, home created, login

    const second = await startHubProcess({ HUB_DATA_DIR: dataDir });
    running.push(second);
    expect(second.stdout()).not.toContain('password');
    await new ApiClient(`http://127.0.0.1:${second.httpPort}`).login('admin', password!);
  });

  it('uses HUB_ADMIN_PASSWORD for the first admin and never prints it', async () => {
    const proc = await startHubProcess({ HUB_DATA_DIR: await tempDir(), HUB_ADMIN_PASSWORD: 'from-the-environment' });
    running.push(proc);
    expect(proc.stdout() + proc.stderr()).not.toContain('from-the-environment');
    await new ApiClient(`http://127.0.0.1:${proc.httpPort}`).login('admin', 'from-the-environment');
  });

  it('stops with one line naming the variable to change when the MQTT port is taken', async () => {
    const blocker: Server = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    cleanups.push(() => void blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const run = runHubCommand([], { HUB_MQTT_PORT: String(port), HUB_HTTP_PORT: '0', HUB_DATA_DIR: await tempDir(), HUB_LOG_LEVEL: 'info' });
    expect(await run.exited).toBe(1);
    expectOneLineError(run.stderr(), new RegExp(`MQTT port ${port} on 127\\.0\\.0\\.1 is already in use: set HUB_MQTT_PORT or --mqtt-port`));
  });

  it('stops with one line for a bad value', async () => {
    const run = runHubCommand(['--http-port', 'eighty'], { HUB_DATA_DIR: await tempDir() });
    expect(await run.exited).toBe(2);
    expectOneLineError(run.stderr(), /invalid configuration: --http-port must be a port number/);
  });

  it('stops with one line for a data dir it cannot write', async () => {
    const dir = await tempDir();
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const run = runHubCommand([], { HUB_MQTT_PORT: '0', HUB_HTTP_PORT: '0', HUB_DATA_DIR: join(file, 'data'), HUB_LOG_LEVEL: 'info' });
    expect(await run.exited).toBe(1);
    expectOneLineError(run.stderr(), /data dir .* is not writable .*: set HUB_DATA_DIR or --data-dir/);
  });

  it('lists the options with --help', async () => {
    const run = runHubCommand(['--help'], {});
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain('HUB_MQTT_PORT');
  });

  it('runs as `npm start` does: the bundle built by build:hub starts with plain node and serves the API, heartbeats and /metrics', async () => {
    // Every hub process in the tests runs this test run's bundle (built by build:hub in vitest's globalSetup) with
    // the node flags of package.json's start script (hub-bundle.ts); this test checks what the bundle must carry.
    const hub = await startHubProcess({ HUB_DATA_DIR: await tempDir(), HUB_ADMIN_PASSWORD: 'bundle-password', HUB_HEARTBEAT_INTERVAL_MS: '200' });
    running.push(hub);
    expect(hub.child.spawnargs.slice(1)).toEqual([...startScriptNodeFlags(), hubBundle()]);
    const httpPort = hub.httpPort;
    const api = new ApiClient(`http://127.0.0.1:${httpPort}`);
    await api.login('admin', 'bundle-password');
    // zod is bundled with its English messages only (build-hub.ts): validation still explains itself.
    const bad = await api.post('/api/v1/auth/login', { username: 5, password: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].message).toBe('Invalid input: expected string, received number');
    // The parts the bundle loads on demand (mqtt.js for the probe, prom-client) work from it too.
    await waitFor(async () => (await api.get<{ pipeline: { lastHeartbeatAt: string | null } }>('/api/v1/health')).body.pipeline.lastHeartbeatAt !== null, 'a heartbeat through the bundled hub');
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^hub_pipeline_heartbeat_seconds_count\{[^}]*\} [1-9]/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(hub.stderr()).toBe('');
  });
});
