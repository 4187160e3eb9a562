/**
 * Issue 7 item 6, data safety: the chain verifier catches any edited or
 * deleted line; backup/restore of a running hub gives a consistent copy that
 * a new hub starts on; registry files of an older schema are migrated on
 * start and newer ones refuse it in one line; a full or read-only disk makes
 * the hub refuse alarms loudly (fatal log, health 503, no PUBACK).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, open, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../hub/core/logger.js';
import { hashDeviceSecret, newDeviceSecret } from '../hub/registry/secrets.js';
import { Journal, type OpenJournalFile } from '../hub/storage/journal.js';
import { verifyJournal } from '../hub/storage/verify-journal.js';
import { backupDataDir, MANIFEST, restoreDataDir } from '../hub/tools/backup/data-backup.js';
import { RawClient, sleep } from './conformance/raw-client.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { REPO_ROOT, runHubCommand } from './helpers/hub-process.js';
import { logSink } from './helpers/log-sink.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function tempDir(): Promise<string> {
  return keep(await makeTempDir('data-safety-'), (t) => t.remove()).path;
}

async function sos(hub: TestHub, d: { id: string; secret: string }, seq: number): Promise<RawClient> {
  const c = keep(await RawClient.open({ port: hub.mqttPort }), (x) => x.destroy());
  expect((await c.connect({ clientId: d.id, username: d.id, password: Buffer.from(d.secret) })).returnCode).toBe(0);
  c.send({ cmd: 'publish', topic: `hc/v1/${d.id}/event`, payload: JSON.stringify({ type: 'sos', seq }), qos: 1, messageId: 1, retain: false, dup: false });
  return c;
}

/** Resolves when the hub has acknowledged this QoS 1 publish (already or later). */
function acked(client: RawClient, messageId: number): Promise<unknown> {
  return client.wait((p) => p.cmd === 'puback' && p.messageId === messageId, 30_000, true);
}

/** What a restored hub must show the same: homes and alerts through the API. */
async function apiState(hub: TestHub) {
  const homes = (await hub.api.get('/api/v1/homes')).body.homes as { id: string; name: string; status: string }[];
  const alerts = (await hub.api.get('/api/v1/alerts?limit=1000')).body.alerts as { id: string; homeId: string; kind: string; status: string; occurrences: number }[];
  return {
    homes: homes.map((h) => ({ id: h.id, name: h.name, status: h.status })).sort((a, b) => a.id.localeCompare(b.id)),
    alerts: alerts.map((a) => ({ id: a.id, homeId: a.homeId, kind: a.kind, status: a.status, occurrences: a.occurrences })).sort((a, b) => a.id.localeCompare(b.id)),
  };
}

describe('audit chain', () => {
  it('detects an edit of any line but the last, any deleted line and swapped lines; the backup anchor catches the last', async () => {
    const dir = await tempDir();
    const journal = new Journal({ dir: join(dir, 'journal'), now: () => Date.parse('2026-03-10T08:00:00Z') });
    await journal.open();
    for (let i = 1; i <= 10; i++) journal.append('alert.raised', { i });
    await journal.close();
    const file = join(dir, 'journal', '2026-03.jsonl');
    const original = await readFile(file, 'utf8');
    const lines = original.trimEnd().split('\n');
    const check = async (text: string) => {
      await writeFile(file, text);
      return verifyJournal(join(dir, 'journal'));
    };
    for (let k = 0; k < lines.length; k++) {
      const edited = [...lines];
      edited[k] = edited[k]!.replace(`"i":${k + 1}`, `"i":${k + 100}`);
      const result = await check(`${edited.join('\n')}\n`);
      if (k < lines.length - 1) expect(result, `edit of line ${k + 1}`).toMatchObject({ ok: false, line: k + 2 });
      else expect(result.ok).toBe(true); // nothing after it: only an anchor kept elsewhere can tell
      const deleted = lines.filter((_, i) => i !== k);
      if (k < lines.length - 1) expect((await check(`${deleted.join('\n')}\n`)).ok, `deletion of line ${k + 1}`).toBe(false);
    }
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect((await check(`${swapped.join('\n')}\n`)).ok).toBe(false);

    // A backup records the last line's hash: restoring after the last line was edited fails.
    await writeFile(file, original);
    const backup = join(dir, 'backup');
    await backupDataDir(dir, backup);
    const copied = join(backup, 'journal', '2026-03.jsonl');
    const text = await readFile(copied, 'utf8');
    await writeFile(copied, text.replace('"i":10', '"i":11'));
    await expect(restoreDataDir(backup, join(dir, 'restored'))).rejects.toThrow(/SHA-256/);
  });
});

describe('backup and restore', () => {
  it('copies a running hub under load consistently; a hub started on the restored copy shows the same homes and alerts', async () => {
    const hub = keep(await startTestHub({ env: { HUB_PUBLISHES_PER_DEVICE_PER_SEC: '1000' } }), closeHub);
    const homes = await Promise.all([1, 2, 3].map(() => hub.provisionHome({ kinds: ['bracelet', 'smoke_sensor'] })));
    const devices = homes.flatMap((h) => h.devices.filter((d) => d.kind === 'bracelet'));
    const firstAlarms = await Promise.all(devices.map((d, i) => sos(hub, d, i + 1)));
    // Acknowledged means on disk: then the copy taken during the load below must hold these three.
    await Promise.all(firstAlarms.map((c) => acked(c, 1)));

    // Under load: alarms and new homes while the backup runs.
    let busy = true;
    const sent: { client: RawClient; messageId: number }[] = [];
    const load = (async () => {
      let seq = 100;
      const clients = await Promise.all(devices.map((d) => sos(hub, d, seq++)));
      for (const client of clients) sent.push({ client, messageId: 1 });
      while (busy) {
        for (const [i, c] of clients.entries()) {
          const messageId = ((seq + 1) % 60_000) + 1;
          c.send({ cmd: 'publish', topic: `hc/v1/${devices[i]!.id}/event`, payload: JSON.stringify({ type: 'sos', seq: seq++ }), qos: 1, messageId, retain: false, dup: false });
          sent.push({ client: c, messageId });
        }
        await hub.provisionHome({ kinds: ['bracelet'] });
        await sleep(5);
      }
    })();
    const dir = await tempDir();
    await sleep(100);
    const during = await backupDataDir(hub.dataDir, join(dir, 'during'));
    busy = false;
    await load;
    expect(during.manifest.journal.lines).toBeGreaterThan(0);
    expect(during.manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining(['registry/homes.json', 'registry/devices.json', 'registry/users.json']));

    await restoreDataDir(join(dir, 'during'), join(dir, 'data-during'));
    const restoredDuring = keep(await startTestHub({ dataDir: join(dir, 'data-during') }), closeHub);
    const state = await apiState(restoredDuring);
    const homeIds = new Set(state.homes.map((h) => h.id));
    expect(state.alerts.length).toBeGreaterThanOrEqual(3);
    // Consistent: every alert in the copied journal belongs to a home in the copied registry.
    for (const a of state.alerts) expect(homeIds.has(a.homeId)).toBe(true);

    // At rest, through the command line: exactly the same homes and alerts. At rest means every
    // alarm sent is acknowledged (so on disk) and the journal has nothing pending — events, where a
    // 200 ms sleep could leave alarms in flight on a loaded machine (issue 10, item 14).
    await Promise.all(sent.map(({ client, messageId }) => acked(client, messageId)));
    await hub.hub.journal.whenDurable();
    const atRest = join(dir, 'at-rest');
    const backupRun = await runTool('hub/tools/backup.ts', ['--data-dir', hub.dataDir, '--out', atRest]);
    expect(backupRun.code).toBe(0);
    expect(backupRun.stdout).toMatch(/^backup OK: .* journal \d+ lines \(chain verified\)/);
    const restoreRun = await runTool('hub/tools/restore.ts', ['--from', atRest, '--data-dir', join(dir, 'data-at-rest')]);
    expect(restoreRun).toMatchObject({ code: 0, stdout: expect.stringMatching(/^restore OK: /) });
    const restored = keep(await startTestHub({ dataDir: join(dir, 'data-at-rest') }), closeHub);
    expect(await apiState(restored)).toEqual(await apiState(hub));
    expect((await verifyJournal(join(dir, 'data-at-rest', 'journal'))).ok).toBe(true);

    // A restored device still authenticates with its secret.
    const device = keep(await RawClient.open({ port: restored.mqttPort }), (x) => x.destroy());
    expect((await device.connect({ clientId: devices[0]!.id, username: devices[0]!.id, password: Buffer.from(devices[0]!.secret) })).returnCode).toBe(0);

    // Refusals: a non-empty target, a changed backup file, bad arguments.
    expect((await runTool('hub/tools/backup.ts', ['--data-dir', hub.dataDir, '--out', atRest])).stderr).toMatch(/^backup FAILED: .*not empty/);
    await writeFile(join(atRest, 'registry', 'homes.json'), '{"schemaVersion":1,"items":{}}\n');
    const tampered = await runTool('hub/tools/restore.ts', ['--from', atRest, '--data-dir', join(dir, 'data-tampered')]);
    expect(tampered).toMatchObject({ code: 1, stderr: expect.stringMatching(/^restore FAILED: backup file registry\/homes.json was changed after the backup/) });
    expect(existsSync(join(dir, 'data-tampered'))).toBe(false);
    expect((await runTool('hub/tools/backup.ts', [])).code).toBe(2);
    expect(await readdir(atRest)).toContain(MANIFEST);
  }, 300_000); // three hubs and five tsx tool runs: over 60 s on the loaded machine
});

function runTool(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('schema migration', () => {
  it('upgrades registry files written by an older release (version 0) on start, keeping the originals', async () => {
    const dir = await tempDir();
    const registry = join(dir, 'registry');
    await mkdir(registry, { recursive: true });
    const at = '2025-01-01T00:00:00.000Z';
    const secret = newDeviceSecret();
    // Version 0: no schemaVersion, items as an array.
    await writeFile(join(registry, 'residents.json'), JSON.stringify({ items: [{ id: 'res-old1', homeId: 'home-old1', name: 'Zhao Min', birthYear: 1939, conditions: [], contacts: [], specialHardship: false, createdAt: at, updatedAt: at }] }));
    await writeFile(join(registry, 'homes.json'), JSON.stringify({ items: [{ id: 'home-old1', name: 'Old home', address: '3 Old Rd', status: 'live', residentId: 'res-old1', createdAt: at, updatedAt: at, liveAt: at }] }));
    await writeFile(join(registry, 'devices.json'), JSON.stringify({ items: [{ id: 'brc-0ld0ld01', homeId: 'home-old1', kind: 'bracelet', serial: 'OLD-1', secretHash: hashDeviceSecret(secret), createdAt: at }] }));

    const hub = keep(await startTestHub({ dataDir: dir }), closeHub);
    expect(hub.hub.registry.migrations.map((m) => [m.file.split('/').at(-1), m.from, m.to])).toEqual([
      ['homes.json', 0, 1],
      ['residents.json', 0, 1],
      ['devices.json', 0, 1],
    ]);
    const home = (await hub.api.get('/api/v1/homes/home-old1')).body;
    expect(home).toMatchObject({ id: 'home-old1', name: 'Old home', resident: { name: 'Zhao Min' } });
    const onDisk = JSON.parse(await readFile(join(registry, 'homes.json'), 'utf8'));
    expect(onDisk).toMatchObject({ schemaVersion: 1, items: { 'home-old1': { name: 'Old home' } } });
    expect(JSON.parse(await readFile(join(registry, 'homes.json.v0.bak'), 'utf8')).items).toHaveLength(1);
    // The migrated device still connects and raises an alert.
    const c = await sos(hub, { id: 'brc-0ld0ld01', secret }, 1);
    await c.wait((p) => p.cmd === 'puback');
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toHaveLength(1);
  });

  it('refuses to start on a file from a newer release, in one line naming the file', async () => {
    const dir = await tempDir();
    // Private modes, as a hub writes them: a looser file would add the line saying it was tightened.
    await mkdir(join(dir, 'registry'), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'registry', 'homes.json'), JSON.stringify({ schemaVersion: 99, items: {} }), { mode: 0o600 });
    const run = runHubCommand([], { HUB_DATA_DIR: dir, HUB_MQTT_PORT: '0', HUB_HTTP_PORT: '0', HUB_ADMIN_PASSWORD: 'a-long-password' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(
      `hub: registry file ${join(dir, 'registry', 'homes.json')} has schema version 99, newer than this hub understands (1): run the newer hub, or restore a backup made by this version\n`,
    );
  });
});

/**
 * Alarms until one is refused: every acknowledged one is listed, the refused
 * one gets no PUBACK (the connection drops), health turns 503 and a fatal
 * line is logged. (On a full tmpfs the first alarms may still fit in the
 * journal file's last page: those are on disk and acknowledged, correctly.)
 */
async function expectLoudRefusal(hub: TestHub, device: { id: string; secret: string }, logs: { level: number; msg: string }[]): Promise<number> {
  const c = keep(await RawClient.open({ port: hub.mqttPort }), (x) => x.destroy());
  expect((await c.connect({ clientId: device.id, username: device.id, password: Buffer.from(device.secret) })).returnCode).toBe(0);
  let acked = 0;
  for (let seq = 1; seq <= 200 && !c.closed; seq++) {
    const ack = c.wait((p) => p.cmd === 'puback' && p.messageId === seq, 5_000);
    c.send({ cmd: 'publish', topic: `hc/v1/${device.id}/event`, payload: JSON.stringify({ type: 'sos', seq, note: 'x'.repeat(200) }), qos: 1, messageId: seq, retain: false, dup: false });
    const outcome = await Promise.race([ack.then(() => 'acked'), c.closedPromise.then(() => 'closed')]);
    if (outcome === 'acked') acked++;
  }
  expect(c.closed).toBe(true);
  const health = await fetch(`${hub.httpUrl}/api/v1/health`);
  expect(health.status).toBe(503);
  expect(JSON.stringify(await health.json())).toMatch(/ENOSPC|EROFS/);
  expect(logs.some((l) => l.level === 60 && /JOURNAL WRITE FAILED/.test(l.msg))).toBe(true);
  // On disk: exactly the acknowledged alarms (the refused one is not there, nor silently dropped: it was never acked).
  const onDisk = (await readFile(join(hub.dataDir, 'journal', (await readdir(join(hub.dataDir, 'journal'))).find((n) => n.endsWith('.jsonl'))!), 'utf8'))
    .split('\n')
    .filter((l) => /"type":"alert\.(raised|occurrence)"/.test(l)).length;
  expect(onDisk).toBe(acked);
  const alerts = (await hub.api.get('/api/v1/alerts')).body.alerts as { occurrences: number }[];
  if (acked === 0) expect(alerts).toEqual([]);
  // Known divergence (docs/RELIABILITY.md): the refused alarm is still counted as an occurrence
  // in memory until the restart the unhealthy hub needs anyway; the device retransmits it then.
  else expect(alerts.map((a) => a.occurrences - acked)).toEqual([expect.toSatisfy((d: number) => d === 0 || d === 1)]);
  return acked;
}

describe('a full or read-only disk', () => {
  it.skipIf(!existsSync('/dev/full'))('refuses alarms loudly once the journal cannot be written (/dev/full)', async () => {
    let full = false;
    // The real journal file, whose writes go to /dev/full (ENOSPC from the kernel) once `full` is set.
    const opener: OpenJournalFile = async (path, flags) => {
      const real = await open(path, flags, 0o640);
      const devFull = await open('/dev/full', 'a');
      return new Proxy(real, {
        get(target, prop) {
          if (prop === 'write' && full) return devFull.write.bind(devFull);
          if (prop === 'close') return async () => (await devFull.close(), await target.close());
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
    const sink = logSink();
    const hub = keep(await startTestHub({ journalFileOpener: opener, log: createLogger('info', sink.stream) }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    expect((await fetch(`${hub.httpUrl}/api/v1/health`)).status).toBe(200);
    full = true;
    await expectLoudRefusal(hub, devices[0]!, sink.lines);
  });

  const canMount = process.getuid?.() === 0 && process.platform === 'linux';

  /** A fresh tmpfs at a temp dir (root only), unmounted at the end; undefined where mounting is not allowed. */
  async function tmpfs(options: string): Promise<string | undefined> {
    const dir = await tempDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      console.warn('data-safety: cannot mount a tmpfs here; real-disk case skipped');
      return undefined;
    }
    keep(dir, (d) => execFileSync('umount', ['-l', d], { stdio: 'ignore' }));
    return dir;
  }

  it.skipIf(!canMount)('refuses alarms loudly on a real tmpfs that fills up', async () => {
    const dir = await tmpfs('size=4m');
    if (!dir) return;
    const sink = logSink();
    const hub = keep(await startTestHub({ dataDir: dir, log: createLogger('info', sink.stream) }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const filler = await open(join(dir, 'filler'), 'w');
    try {
      for (const block = Buffer.alloc(64 * 1024); ; ) await filler.write(block);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      await filler.close();
    }
    await expectLoudRefusal(hub, devices[0]!, sink.lines);
  });

  // Remounting read-only under a running hub is refused by the kernel (EBUSY: the journal is open
  // for writing), so the running case is the /dev/full one above (same path: any write or fsync
  // error). A data dir that is read-only from the start stops the hub with one line.
  it.skipIf(!canMount)('refuses to start on a read-only data dir, in one line', async () => {
    const dir = await tmpfs('size=1m,ro');
    if (!dir) return;
    const run = runHubCommand([], { HUB_DATA_DIR: dir, HUB_MQTT_PORT: '0', HUB_HTTP_PORT: '0', HUB_ADMIN_PASSWORD: 'a-long-password' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toBe(`hub: data dir ${dir} is not writable (EROFS): set HUB_DATA_DIR or --data-dir to a directory this user can write\n`);
  });
});
