/**
 * `npm run migrate:to-postgres -- --from <data dir>` as an operator runs it:
 * a data dir written by a real hub on files is copied into an empty database
 * and checked; a hub started on that database then has the same homes,
 * devices, users, alerts, visits, webhooks (secret included) and delivery
 * log, and its journal chain continues. A database
 * that is not empty, or a journal that does not verify, is refused in one
 * line with the database left as it was.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { createPgDatabase, withClient } from './helpers/pg-server.js';
import { startTestHub } from './helpers/test-hub.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { runTool } from './helpers/run-tool.js';
import { LOOPBACK_GATEWAY_ENV } from './helpers/webhook-gateway.js';

const keep = useCleanup();

const run = (args: string[], env: Record<string, string> = {}) => runTool('hub/tools/migrate-to-postgres.ts', args, env);

const WEBHOOK_SECRET = 'gateway-secret-0123456789abcdef';

/**
 * A data dir with two homes, three devices, one alarm and its journal, a
 * visit, a flag history, a webhook and the alarm's delivery lines, and the
 * rule state of the planned stop — written by a real hub on files.
 */
async function dataDirFromAFileHub(): Promise<{ dir: string; deviceId: string }> {
  const temp = keep(await makeTempDir(), (t) => t.remove());
  const hub = keep(await startTestHub({ dataDir: temp.path, env: LOOPBACK_GATEWAY_ENV }), closeHub);
  await hub.provisionHome({ kinds: ['bracelet', 'door_sensor'] });
  const { homeId, devices } = await hub.provisionHome();
  const residentId = hub.hub.registry.getHome(homeId)!.residentId;
  // Port 9 (discard) on loopback: nobody answers, so the delivery stays pending with its attempts logged.
  expect((await hub.api.post('/api/v1/notifications/webhooks', { name: 'SMS gateway', url: 'http://127.0.0.1:9/hook', secret: WEBHOOK_SECRET })).status).toBe(201);
  expect((await hub.api.post('/api/v1/visits', { residentId, visitedAt: new Date().toISOString(), condition: 'well', notes: '张 "quoted"' })).status).toBe(201);
  expect((await hub.api.request('PATCH', `/api/v1/residents/${residentId}`, { specialHardship: true })).status).toBe(200);
  const device = devices[0]!;
  const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq: 5, ts: 1_764_000_000_000 }), { qos: 1 });
  await client.endAsync(true);
  await hub.stop();
  return { dir: temp.path, deviceId: device.id };
}

/** Lines in the files of `dir` whose names match. */
async function fileLines(dir: string, name: RegExp): Promise<number> {
  let n = 0;
  for (const file of (await readdir(dir)).filter((f) => name.test(f))) n += (await readFile(join(dir, file), 'utf8')).split('\n').filter(Boolean).length;
  return n;
}

const count = (url: string, table: string) => withClient(url, async (c) => Number((await c.query(`SELECT count(*) AS c FROM ${table}`)).rows[0].c));

describe('npm run migrate:to-postgres', () => {
  it('copies registry, journal, visits, webhooks, deliveries and rule state into an empty database, verifies them, and a hub on it carries on where the files left off', async () => {
    const { dir, deviceId } = await dataDirFromAFileHub();
    const db = keep(await createPgDatabase(), (d) => d.drop());
    const r = await run(['--from', dir], { HUB_DATABASE_URL: db.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const deliveryLines = await fileLines(join(dir, 'notifications'), /^deliveries-/);
    expect(deliveryLines).toBeGreaterThanOrEqual(1); // at least the alarm's "queued"
    expect(r.stdout).toMatch(
      new RegExp(
        `^migrated .* into PostgreSQL database ${db.name} on 127\\.0\\.0\\.1:5432: 2 homes, 2 residents, 3 devices, 1 users, journal \\d+ lines, ` +
          `1 visits, 1 flag histories, 1 webhooks, ${deliveryLines} delivery log lines, rule state copied \\(counts and hash chain verified; sessions are not copied: users log in again\\)\\n$`,
      ),
    );
    expect(await count(db.url, 'delivery_log')).toBe(deliveryLines);
    const lines = (await readFile(join(dir, 'journal', (await import('node:fs')).readdirSync(join(dir, 'journal'))[0]!), 'utf8')).trim().split('\n');
    expect(await count(db.url, 'journal')).toBe(lines.length);
    expect(await count(db.url, 'device_messages')).toBe(1);

    const hub = keep(await startTestHub({ env: { HUB_DATABASE_URL: db.url } }), closeHub);
    expect(hub.hub.registry.listHomes()).toHaveLength(2);
    expect(hub.hub.registry.getDevice(deviceId)).toBeDefined();
    expect((await hub.api.get('/api/v1/alerts?status=open')).body.alerts).toMatchObject([{ deviceId, kind: 'sos', occurrences: 1 }]);
    expect(hub.hub.visitStore.list()).toMatchObject([{ condition: 'well', notes: '张 "quoted"' }]);
    expect(hub.hub.notify.webhookStore.list()).toMatchObject([{ name: 'SMS gateway', secret: WEBHOOK_SECRET }]);
    // The alarm's delivery is still pending on the database, as it was in the files.
    expect((await hub.api.get('/api/v1/notifications/deliveries')).body.deliveries).toMatchObject([{ event: 'alert.raised', target: { name: 'SMS gateway' } }]);
    expect(await count(db.url, 'rules_snapshot')).toBe(0); // taken by the start
    expect((await hub.api.post('/api/v1/homes', { name: 'After the move', address: 'x', resident: { name: 'Zhao Min', birthYear: 1950 } })).status).toBe(201);
    await hub.stop();
    // The hub numbered its own lines after the copied ones (the counter stood at the copy's end), in the same chain.
    expect(await count(db.url, 'journal')).toBeGreaterThan(lines.length);
    expect((await runTool('hub/tools/audit-verify.ts', ['--database-url', db.url])).code).toBe(0);
  }, 90_000);

  it('refuses a database that is not empty, and a journal that does not verify, in one line, copying nothing', async () => {
    const { dir } = await dataDirFromAFileHub();
    const db = keep(await createPgDatabase(), (d) => d.drop());
    expect((await run(['--from', dir, '--database-url', db.url])).code).toBe(0);
    const rows = await count(db.url, 'journal');
    const again = await run(['--from', dir, '--database-url', db.url]);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toMatch(/^migrate:to-postgres: PostgreSQL database \w+ on 127\.0\.0\.1:5432 is not empty \(table homes has rows\); copy into a new, empty database\n$/);
    expect(await count(db.url, 'journal')).toBe(rows);

    const file = join(dir, 'journal', (await import('node:fs')).readdirSync(join(dir, 'journal'))[0]!);
    await writeFile(file, (await readFile(file, 'utf8')).replace('"action":"user.created"', '"action":"user.deleted"'));
    const fresh = keep(await createPgDatabase(), (d) => d.drop());
    const broken = await run(['--from', dir, '--database-url', fresh.url]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^migrate:to-postgres: the journal in .* is broken at \d{4}-\d{2}\.jsonl:2 .*nothing was copied/);
    expect(await withClient(fresh.url, async (c) => (await c.query("SELECT to_regclass('journal') AS t")).rows[0].t)).toBeNull();
  }, 90_000);

  it('exits 2 with the usage for missing arguments', async () => {
    const r = await run([]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^usage: migrate:to-postgres --from <data dir>/);
  });
});
