/**
 * Issue 10 item 3: an unexpected error anywhere — an exception thrown from a
 * callback, or a promise rejection nobody handles — is one structured fatal
 * log line and exit code 70, at once, so the supervisor restarts the hub; the
 * restarted hub on the same data dir replays the journal and still has the
 * alert raised before the crash. The hub runs as a real child process; the
 * crash is injected by a preloaded module (tests/helpers/crash-on-signal.mjs),
 * so the hub carries no test-only hook.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CRASH_EXIT_CODE } from '../hub/core/last-resort.js';
import { useChildHubs, type ChildHub } from './helpers/child-hubs.js';
import { REPO_ROOT } from './helpers/hub-process.js';
import { connectDevice } from './helpers/mqtt-device.js';

const PRELOAD = pathToFileURL(fileURLToPath(new URL('./helpers/crash-on-signal.mjs', import.meta.url))).href;
const hubs = useChildHubs('crash-restart-password');

/** Provisions a live home with one bracelet and raises an SOS; resolves once the PUBACK says it is on disk. */
async function raiseSos({ proc, api }: ChildHub): Promise<string> {
  const home = await api.post('/api/v1/homes', { name: 'Crash home', address: 'x', resident: { name: 'Li Wei', birthYear: 1938 } });
  const device = await api.post(`/api/v1/homes/${home.body.id}/devices`, { kind: 'bracelet', serial: 'CRASH-RESTART-1' });
  await api.post(`/api/v1/homes/${home.body.id}/go-live`, { overrideReason: 'crash test: not commissioned' });
  const client = hubs.track(await connectDevice(`mqtt://127.0.0.1:${proc.mqttPort}`, device.body.id, device.body.secret));
  await client.publishAsync(`hc/v1/${device.body.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
  return device.body.id as string;
}

describe('an unexpected error', () => {
  it.each([
    ['an exception thrown from a callback', 'exception', 'uncaught exception', 'test crash: a bug in a callback'],
    ['a promise rejection nobody handles', 'rejection', 'unhandled rejection', 'test crash: a promise nobody handled'],
  ])('(%s) logs one line, exits 70 at once, and the restarted hub still has the alert', async (_name, crashKind, kind, message) => {
    const dataDir = await hubs.tempDir();
    const first = await hubs.start(dataDir, { NODE_OPTIONS: `--import ${PRELOAD}`, TEST_CRASH_KIND: crashKind });
    const deviceId = await raiseSos(first);

    first.proc.child.kill('SIGUSR2');
    expect(await first.proc.exited).toBe(CRASH_EXIT_CODE);
    const lines = first.proc.stderr().split('\n').filter(Boolean);
    // Every stderr line is one JSON log entry: no stack printed around it.
    const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string; kind?: string; err?: { message: string; stack: string } });
    const fatal = entries.filter((e) => e.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ kind, msg: `${kind}: exiting so the supervisor restarts the hub`, err: { message } });

    const second = await hubs.start(dataDir);
    const alerts = (await second.api.get('/api/v1/alerts?status=open')).body.alerts;
    expect(alerts).toEqual([expect.objectContaining({ deviceId, kind: 'sos', occurrences: 1 })]);
  }, 60_000); // two cold starts of a child hub each: slow on a loaded 2-core machine
});

describe('the shipped systemd unit (docs/deploy/home-care-hub.service)', () => {
  it('restarts the hub after a crash, runs it as its own user and keeps its data dir private', async () => {
    const text = await readFile(join(REPO_ROOT, 'docs/deploy/home-care-hub.service'), 'utf8');
    const values = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
    expect(values('Restart')).toEqual(['always']);
    expect(values('StartLimitIntervalSec')).toEqual(['0']);
    // Only configuration errors (2) stop the restarts; the crash status must not.
    expect(values('RestartPreventExitStatus').join(' ').split(/\s+/)).not.toContain(String(CRASH_EXIT_CODE));
    expect(values('User')).toEqual(['homecare']);
    expect(values('StateDirectoryMode')).toEqual(['0700']);
    expect(values('NoNewPrivileges')).toEqual(['yes']);
    expect(values('ProtectSystem')).toEqual(['strict']);
    const dataDir = values('Environment').find((e) => e.startsWith('HUB_DATA_DIR='))?.slice('HUB_DATA_DIR='.length);
    expect(dataDir).toBe(`/var/lib/${values('StateDirectory')[0]}`);
    expect(values('ReadWritePaths')).toEqual([dataDir]);
    // It runs the bundle `npm run build:hub` writes.
    expect(values('ExecStart')[0]).toMatch(/ \/opt\/home-care-hub\/dist\/hub\.mjs$/);
  });
});
