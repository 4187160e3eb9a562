/**
 * Issue 10 item 8 (registry files world-readable): the data dir holds
 * password hashes, device secrets and medical notes, so it is 0700 and every
 * file in it 0600 — registry, visits, webhooks, journal, delivery log, rule
 * state and backups. A data dir an older hub left 0755 / 0644 is tightened at
 * start, with one log line saying so; symbolic links are left alone.
 * (Relies on the usual umask 022: with a stricter one the modes would be
 * private anyway.)
 */
import { chmod, lstat, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../hub/core/logger.js';
import { backupDataDir } from '../hub/tools/backup/data-backup.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { logSink } from './helpers/log-sink.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { startTestHub } from './helpers/test-hub.js';
import { closeGateway, LOOPBACK_GATEWAY_ENV, WebhookGateway } from './helpers/webhook-gateway.js';

const keep = useCleanup();

/** Every entry under `root` with its permission bits, e.g. `registry/users.json 600`. */
async function modes(root: string, relative = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
    const path = join(relative, entry.name);
    const mode = ((await lstat(join(root, path))).mode & 0o777).toString(8);
    out.push(`${path}${entry.isDirectory() ? '/' : entry.isSymbolicLink() ? '@' : ''} ${mode}`);
    if (entry.isDirectory()) out.push(...(await modes(root, path)));
  }
  return out.sort();
}

const loose = (list: string[]) => list.filter((line) => !/\/ 700$/.test(line) && !/[^/@] 600$/.test(line) && !line.includes('@'));

/** Starts a hub on `dataDir` and writes everything it keeps: users, homes, medical notes, an alert, a webhook delivery. */
async function useHub(dataDir: string, gateway: WebhookGateway) {
  const hub = await startTestHub({ dataDir, env: LOOPBACK_GATEWAY_ENV });
  await hub.api.post('/api/v1/notifications/webhooks', { name: 'SMS', url: gateway.url, secret: 'organisation-secret-1234' });
  await hub.api.post('/api/v1/users', { username: 'son', password: 'a-long-password', role: 'family' });
  const { devices } = await hub.provisionHome({ kinds: ['bracelet'], conditions: ['dementia'] });
  const d = devices[0]!;
  const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
  await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
  await gateway.waitFor(1);
  await hub.hub.notify.flushLog();
  await client.endAsync(true);
  await hub.stop(); // writes rules-state.json
}

describe('data dir permissions', () => {
  it('creates a fresh data dir 0700 with every file 0600, and backups the same', async () => {
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const dataDir = join(temp.path, 'data');
    await useHub(dataDir, gateway);

    const all = await modes(dataDir);
    for (const expected of ['registry/users.json 600', 'registry/residents.json 600', 'notifications/webhooks.json 600', 'rules-state.json 600']) {
      expect(all).toContain(expected);
    }
    expect(all.some((line) => /^journal\/\d{4}-\d{2}\.jsonl 600$/.test(line))).toBe(true);
    expect(all.some((line) => /^notifications\/deliveries-\d{4}-\d{2}\.jsonl 600$/.test(line))).toBe(true);
    expect(((await lstat(dataDir)).mode & 0o777).toString(8)).toBe('700');
    expect(loose(all)).toEqual([]);

    const backup = join(temp.path, 'backup');
    await backupDataDir(dataDir, backup);
    expect(((await lstat(backup)).mode & 0o777).toString(8)).toBe('700');
    expect(loose(await modes(backup))).toEqual([]);
  });

  it('tightens a data dir left 0755 / 0644 at start, says so once, and leaves symlinks alone', async () => {
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const dataDir = join(temp.path, 'data');
    await useHub(dataDir, gateway);
    // As an older hub (or `cp -r` with a 022 umask) would have left it.
    const outside = join(temp.path, 'outside.txt');
    await writeFile(outside, 'not the hub\u2019s', { mode: 0o644 });
    await symlink(outside, join(dataDir, 'link-to-outside'));
    await mkdir(join(dataDir, 'old-exports'), { mode: 0o755 });
    await writeFile(join(dataDir, 'old-exports', 'residents.csv'), 'name\n', { mode: 0o644 });
    for (const line of await modes(dataDir)) {
      const [path = ''] = line.split(' ');
      if (!path.endsWith('@')) await chmod(join(dataDir, path.replace(/\/$/, '')), path.endsWith('/') ? 0o755 : 0o644);
    }
    await chmod(dataDir, 0o755);
    const before = loose(await modes(dataDir));
    expect(before.length).toBeGreaterThan(10);

    const sink = logSink();
    const hub = keep(await startTestHub({ dataDir, env: LOOPBACK_GATEWAY_ENV, log: createLogger('info', sink.stream) }), closeHub);
    expect(loose(await modes(dataDir))).toEqual([]);
    expect(((await lstat(dataDir)).mode & 0o777).toString(8)).toBe('700');
    expect(((await lstat(outside)).mode & 0o777).toString(8)).toBe('644');
    const said = sink.lines.filter((l) => l.msg.startsWith('data dir was readable by other users'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 40, tightened: before.length + 1 });
    expect(said[0]!.examples).toContainEqual({ path: '.', from: '0755', to: '0700' });
    // The hub works on the tightened dir: the earlier alert is there.
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toHaveLength(1);
  });
});
