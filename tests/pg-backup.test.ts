/**
 * `npm run backup` on PostgreSQL (HUB_DATABASE_URL set), as an operator runs
 * it next to a running hub: pg_dump in custom format, read back with
 * pg_restore --list; the printed way to check the audit chain works (restore
 * into a new database, audit:verify passes, the alarm is there). Without
 * pg_dump on PATH it says exactly what to run and makes nothing; a wrong
 * database or a used --out directory is refused in one line, changing nothing.
 */
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { createPgDatabase, withClient } from './helpers/pg-server.js';
import { runCommand, runTool } from './helpers/run-tool.js';
import { startTestHub } from './helpers/test-hub.js';
import { makeTempDir } from './helpers/temp-dir.js';

const keep = useCleanup();
const backup = (args: string[], env: Record<string, string>) => runTool('hub/tools/backup.ts', args, env);
/** The same URL with a password: trust auth ignores it, and it must never be printed. */
const withPassword = (url: string) => url.replace('postgres@', 'postgres:pw-never-shown@');

async function hubDatabaseWithAnAlarm(): Promise<{ url: string; name: string; deviceId: string }> {
  const db = keep(await createPgDatabase(), (d) => d.drop());
  const hub = keep(await startTestHub({ env: { HUB_DATABASE_URL: db.url } }), closeHub);
  const { devices } = await hub.provisionHome();
  const device = devices[0]!;
  const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq: 1, ts: 1_764_000_000_000 }), { qos: 1 });
  return { url: db.url, name: db.name, deviceId: device.id };
}

describe('npm run backup on PostgreSQL', () => {
  it('dumps the running hub\'s database, checks the dump, and the printed chain check passes on a restored copy', async () => {
    const { url, name, deviceId } = await hubDatabaseWithAnAlarm();
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const out = join(temp.path, 'nightly');
    const r = await backup(['--out', out], { HUB_DATABASE_URL: withPassword(url) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = join(out, 'hub.pgdump');
    const [okLine, hint] = r.stdout.split('\n');
    expect(okLine).toMatch(new RegExp(`^backup OK: ${file} — pg_dump custom format of PostgreSQL database ${name} on 127\\.0\\.0\\.1:5432, \\d+ entries read back with pg_restore --list$`));
    expect(hint).toBe(`to verify the audit hash chain, restore it into a new, empty database and run audit:verify there: createdb hub_restore_check && pg_restore --no-owner --dbname=hub_restore_check ${file} && npm run audit:verify -- --database-url postgres://<user>@<host>:<port>/hub_restore_check`);
    expect(r.stdout).not.toContain('pw-never-shown');
    expect((await stat(out)).mode & 0o077).toBe(0);
    expect(await readdir(temp.path)).toEqual(['nightly']); // no .partial left

    // What the hint says, done: restore into a new database, verify the chain, find the alarm.
    const restored = keep(await createPgDatabase('hub_restore_check'), (d) => d.drop());
    const restore = await runCommand('pg_restore', ['--no-owner', `--dbname=${restored.url}`, file], process.env);
    expect(restore.stderr).toBe('');
    const verified = await runTool('hub/tools/audit-verify.ts', ['--database-url', restored.url]);
    expect(verified.code, verified.stderr).toBe(0);
    const alarms = await withClient(restored.url, async (c) => (await c.query("SELECT data->'alert'->>'deviceId' AS d FROM journal WHERE type = 'alert.raised'")).rows);
    expect(alarms).toEqual([{ d: deviceId }]);
  }, 90_000);

  it('without pg_dump on PATH, says exactly what to run and makes nothing', async () => {
    const db = keep(await createPgDatabase(), (d) => d.drop());
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const emptyPath = await mkdtemp(join(tmpdir(), 'no-pg-tools-'));
    keep(emptyPath, (p) => runCommand('rm', ['-rf', p], process.env));
    const out = join(temp.path, 'nightly');
    const r = await backup(['--out', out], { HUB_DATABASE_URL: withPassword(db.url), PATH: emptyPath });
    expect(r).toMatchObject({ code: 1, stdout: '' });
    const file = join(out, 'hub.pgdump');
    expect(r.stderr).toBe(
      [
        'backup NOT DONE: pg_dump is not on PATH; install the PostgreSQL client tools (the server\'s major version or newer) and run:',
        `  mkdir -p ${out} && pg_dump --format=custom --file=${file} "$HUB_DATABASE_URL"`,
        `  pg_restore --list ${file} > /dev/null   # the copy is complete and readable`,
        `then, to verify the audit hash chain, restore it into a new, empty database and run audit:verify there: createdb hub_restore_check && pg_restore --no-owner --dbname=hub_restore_check ${file} && npm run audit:verify -- --database-url postgres://<user>@<host>:<port>/hub_restore_check`,
        '',
      ].join('\n'),
    );
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('refuses a database that is not a hub\'s, and an --out directory in use, in one line, changing nothing', async () => {
    const empty = keep(await createPgDatabase(), (d) => d.drop());
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const wrong = await backup(['--out', join(temp.path, 'b1')], { HUB_DATABASE_URL: empty.url });
    expect(wrong).toMatchObject({ code: 1, stdout: '' });
    expect(wrong.stderr).toMatch(new RegExp(`^backup FAILED: the dump of PostgreSQL database ${empty.name} on 127\\.0\\.0\\.1:5432 has no data for homes, devices, users, journal, pgmigrations: is HUB_DATABASE_URL the hub's database\\?\\n$`));
    expect(await readdir(temp.path)).toEqual([]);

    const used = join(temp.path, 'used');
    await mkdir(used);
    await writeFile(join(used, 'keep.txt'), 'mine');
    const busy = await backup(['--out', used, '--database-url', empty.url], {});
    expect(busy.stderr).toBe(`backup FAILED: ${used} exists and is not empty: choose a new --out directory\n`);
    expect(await readdir(used)).toEqual(['keep.txt']);
    expect((await backup(['--out', used, '--database-url', 'mysql://x'], {})).code).toBe(2);
  });
});
