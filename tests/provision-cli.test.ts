/**
 * `npm run provision` from a CSV file against a real hub: rows validated
 * before anything is created, credentials written as they are issued (mode
 * 0600), and the devices able to connect with them.
 */
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHomeRows } from '../hub/tools/provision/csv-rows.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { REPO_ROOT } from './helpers/hub-process.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { ADMIN_PASSWORD, startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

const HEADER = 'home_name,address,community,resident_name,birth_year,gender,conditions,special_hardship,contact1_name,contact1_relation,contact1_phone,contact1_has_keys,devices';
const GOOD = [
  HEADER,
  'Wang home,"12 Jinjiang Rd, flat 3",Jinjiang,Wang Lan,1941,female,dementia;mobility,yes,Wang Jun,son,+86 138 0000 0001,yes,bracelet:BR-1;door_sensor:DOR-1',
  'Li home,8 Chunxi Rd,Jinjiang,Li Wei,1936,male,,no,,,,,smoke_sensor:SMK-1;gas_alarm:GAS-1',
].join('\n');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'hub/tools/provision.ts', ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

describe('provision CLI', () => {
  it('creates every home with its resident, contacts and devices, and writes the credentials once', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const dir = keep(await makeTempDir(), (t) => t.remove());
    await writeFile(join(dir.path, 'homes.csv'), GOOD);
    const out = join(dir.path, 'credentials.csv');
    const res = await run(['--csv', join(dir.path, 'homes.csv'), '--out', out, '--url', hub.httpUrl], { HUB_PASSWORD: ADMIN_PASSWORD });
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toContain('[2/2] line 3 Li home');
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(5);

    const homes = (await hub.api.get('/api/v1/homes')).body.homes;
    const wang = homes.find((h: { name: string }) => h.name === 'Wang home');
    expect(wang).toMatchObject({ address: '12 Jinjiang Rd, flat 3', community: 'Jinjiang', status: 'installing' });
    expect(wang.resident).toMatchObject({ name: 'Wang Lan', conditions: ['dementia', 'mobility'], specialHardship: true, contacts: [{ name: 'Wang Jun', relation: 'son', hasKeys: true }] });

    const [, homeId, , deviceId, , , secret] = lines[1]!.replace(/"[^"]*"/g, (q) => q.replace(/,/g, ' ')).split(',');
    expect(homeId).toBe(wang.id);
    keep(await connectDevice(hub.mqttUrl, deviceId!, secret!), endClient);

    const status = await run(['--status', wang.id, '--url', hub.httpUrl], { HUB_PASSWORD: ADMIN_PASSWORD });
    expect(status.out).toContain(`${deviceId} (bracelet): ✓ connected`);
    expect(status.out).toContain('not ready to go live');
  });

  it('reports every bad row with its line and creates nothing', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const dir = keep(await makeTempDir(), (t) => t.remove());
    const csv = [HEADER, 'A,addr,,Ann,1940,,,,,,,,bracelet:X-1', ',addr,,Bob,1800,,flu,,,,,,toaster:T-1', 'C,addr,,Cy,1939,,,,,,,,bracelet:X-1'].join('\n');
    await writeFile(join(dir.path, 'bad.csv'), csv);
    const res = await run(['--csv', join(dir.path, 'bad.csv'), '--out', join(dir.path, 'out.csv'), '--url', hub.httpUrl], { HUB_PASSWORD: ADMIN_PASSWORD });
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/bad\.csv:3: name: home_name is required/);
    expect(res.err).toMatch(/bad\.csv:3: resident\.birthYear/);
    expect(res.err).toMatch(/bad\.csv:3: resident\.conditions\.0/);
    expect(res.err).toMatch(/bad\.csv:3: devices: "toaster:T-1"/);
    expect(res.err).toMatch(/bad\.csv:4: device bracelet:X-1 is also on line 2/);
    expect(res.err).toContain('nothing was created');
    expect((await hub.api.get('/api/v1/homes')).body.homes).toEqual([]);
  });

  it('needs the password from the environment and refuses to overwrite a credentials file', async () => {
    const dir = keep(await makeTempDir(), (t) => t.remove());
    expect((await run(['--csv', 'x.csv', '--out', 'y.csv'], {})).err).toContain('set HUB_PASSWORD');
    await writeFile(join(dir.path, 'exists.csv'), 'x');
    const res = await run(['--csv', 'x.csv', '--out', join(dir.path, 'exists.csv')], { HUB_PASSWORD: 'x' });
    expect(res.code).toBe(2);
    expect(res.err).toContain('exists');
  });

  it('parses quoted fields, a BOM and any column order', () => {
    const { rows, errors } = readHomeRows('\ufeffdevices,resident_name,birth_year,home_name,address\n"bracelet:B-9",Zhou,1944,"Zhou, home",x\n');
    expect(errors).toEqual([]);
    expect(rows[0]).toMatchObject({ line: 2, home: { name: 'Zhou, home', resident: { name: 'Zhou', birthYear: 1944 } }, devices: [{ kind: 'bracelet', serial: 'B-9' }] });
  });
});

describe('provision CLI against a hub that refuses a row', () => {
  it('creates the other rows and names the refused one (a serial the hub already has)', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const dir = keep(await makeTempDir(), (t) => t.remove());
    await hub.api.post('/api/v1/homes/batch', { homes: [{ name: 'Old', address: 'x', resident: { name: 'Old', birthYear: 1930 }, devices: [{ kind: 'gas_alarm', serial: 'GAS-1' }] }] });
    await writeFile(join(dir.path, 'homes.csv'), GOOD);
    const out = join(dir.path, 'credentials.csv');
    const res = await run(['--csv', join(dir.path, 'homes.csv'), '--out', out, '--url', hub.httpUrl], { HUB_PASSWORD: ADMIN_PASSWORD });
    expect(res.code).toBe(1);
    expect(res.out).toContain('line 2 Wang home: home-');
    expect(res.err).toMatch(/line 3 Li home: FAILED .*409.*GAS-1/);
    expect((await readFile(out, 'utf8')).trim().split('\n')).toHaveLength(3);
    expect((await hub.api.get('/api/v1/homes')).body.homes.map((h: { name: string }) => h.name).sort()).toEqual(['Old', 'Wang home']);
  });
});
