/**
 * `npm run provision` from a CSV file against a real hub: rows validated
 * before anything is created, credentials written as they are issued (mode
 * 0600), and the devices able to connect with them.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHomeRows } from '../hub/tools/provision/csv-rows.js';
import { planRow, registeredSerials } from '../hub/tools/provision/existing.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { ADMIN_PASSWORD, startTestHub, type TestHub } from './helpers/test-hub.js';
import { runCommand } from './helpers/run-tool.js';

const keep = useCleanup();

const HEADER = 'home_name,address,community,resident_name,birth_year,gender,conditions,special_hardship,contact1_name,contact1_relation,contact1_phone,contact1_has_keys,devices';
const GOOD = [
  HEADER,
  'Wang home,"12 Jinjiang Rd, flat 3",Jinjiang,Wang Lan,1941,female,dementia;mobility,yes,Wang Jun,son,+86 138 0000 0001,yes,bracelet:BR-1;door_sensor:DOR-1',
  'Li home,8 Chunxi Rd,Jinjiang,Li Wei,1936,male,,no,,,,,smoke_sensor:SMK-1;gas_alarm:GAS-1',
].join('\n');

/** The provision CLI with only PATH and `env`: what it needs must come from the test, nothing inherited. */
async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const res = await runCommand(process.execPath, ['--import', 'tsx', 'hub/tools/provision.ts', ...args], { PATH: process.env.PATH ?? '', ...env });
  return { code: res.code, out: res.stdout, err: res.stderr };
}

// Each run spawns a tsx process: seconds each on a loaded machine, so the CLI tests get a generous limit.
const CLI = { timeout: 120_000 };

describe('provision CLI', CLI, () => {
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

describe('provision CLI line numbers (issue 10, item 12)', CLI, () => {
  it('names the physical line of a bad row after a multi-line quoted field and blank lines, and creates nothing', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const dir = keep(await makeTempDir(), (t) => t.remove());
    const csv = [
      HEADER, // line 1
      'Wang home,"12 Jinjiang Rd', // line 2: the address goes on
      'flat 3, key safe by the door",Jinjiang,Wang Lan,1941,female,,no,,,,,bracelet:BR-1', // line 3
      '', // line 4
      'Li home,8 Chunxi Rd,Jinjiang,Li Wei,1836,male,,no,,,,,smoke_sensor:SMK-1', // line 5: born 1836
      '',
      '',
      'Zhao home,"3 Renmin Rd', // line 8: a multi-line row, itself bad
      'back door",,Zhao Min,1940,,,,,,,,fridge:F-1', // line 9
    ].join('\r\n');
    await writeFile(join(dir.path, 'bad.csv'), csv);
    const res = await run(['--csv', join(dir.path, 'bad.csv'), '--out', join(dir.path, 'out.csv'), '--url', hub.httpUrl], { HUB_PASSWORD: ADMIN_PASSWORD });
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/bad\.csv:5: resident\.birthYear/);
    expect(res.err).toMatch(/bad\.csv:8: devices: "fridge:F-1"/);
    expect(res.err).not.toMatch(/bad\.csv:[^58]:/);
    expect(res.err).toContain('nothing was created');
    expect((await hub.api.get('/api/v1/homes')).body.homes).toEqual([]);
  });

  it('counts lines as an editor does with LF, CRLF and line breaks inside quotes', () => {
    for (const eol of ['\n', '\r\n']) {
      const text = ['home_name,address,resident_name,birth_year,devices', `A,"x${eol}y${eol}z",Ann,1940,bracelet:A-1`, '', `B,b,Bo,1941,bracelet:B-1`, `C,"c${eol}",Cy,1942,bracelet:C-1`, 'D,d,Di,1943,bracelet:D-1'].join(eol);
      const { rows, errors } = readHomeRows(text);
      expect(errors).toEqual([]);
      expect(rows.map((r) => [r.home.name, r.line])).toEqual([['A', 2], ['B', 6], ['C', 7], ['D', 9]]);
    }
  });
});

describe('provision CLI run again after the hub refused rows (issue 10, item 12)', CLI, () => {
  const names = async (hub: TestHub) => ((await hub.api.get('/api/v1/homes')).body.homes as { name: string }[]).map((h) => h.name).sort();

  it('creates the good rows, names the refused ones, then a fixed re-run skips the homes already there and creates only the fixed rows', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const dir = keep(await makeTempDir(), (t) => t.remove());
    await hub.api.post('/api/v1/homes/batch', { homes: [{ name: 'Old', address: 'x', resident: { name: 'Old', birthYear: 1930 }, devices: [{ kind: 'gas_alarm', serial: 'GAS-1' }] }] });
    const rowsV1 = [
      HEADER,
      'Wang home,12 Jinjiang Rd,Jinjiang,Wang Lan,1941,female,,yes,,,,,bracelet:BR-1;door_sensor:DOR-1',
      'Li home,8 Chunxi Rd,Jinjiang,Li Wei,1936,male,,no,,,,,smoke_sensor:SMK-1;gas_alarm:GAS-1', // GAS-1 is Old's: a typo
      'Zhao home,3 Renmin Rd,,Zhao Min,1940,,,,,,,,bracelet:BR 3', // a space in a serial: the hub refuses it
    ];
    await writeFile(join(dir.path, 'homes.csv'), rowsV1.join('\n'));
    const first = await run(['--csv', join(dir.path, 'homes.csv'), '--out', join(dir.path, 'first.csv'), '--url', hub.httpUrl], { HUB_PASSWORD: ADMIN_PASSWORD });
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/line 2 Wang home: home-\S+, 2 device\(s\)/);
    expect(first.err).toMatch(/line 3 Li home: FAILED gas_alarm:GAS-1 is already registered as gas-\S+ in home-\S+ "Old" — not this row's home/);
    expect(first.err).toMatch(/line 4 Zhao home: FAILED POST \/homes\/batch: 400 .*serial/);
    expect(first.out).toContain('1 home(s) created, 0 already there, 2 failed, of 3');
    expect(await names(hub)).toEqual(['Old', 'Wang home']);
    const wangId = /line 2 Wang home: (home-\S+),/.exec(first.out)![1]!;

    // Fixed: Li's gas alarm serial, Zhao's bracelet serial; and one more device for the Wang home.
    const rowsV2 = [HEADER, rowsV1[1] + ';smoke_sensor:SMK-9', rowsV1[2]!.replace('GAS-1', 'GAS-2'), rowsV1[3]!.replace('BR 3', 'BR-3')];
    await writeFile(join(dir.path, 'homes.csv'), rowsV2.join('\n'));
    const second = await run(['--csv', join(dir.path, 'homes.csv'), '--out', join(dir.path, 'second.csv'), '--url', hub.httpUrl], { HUB_PASSWORD: ADMIN_PASSWORD });
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    expect(second.out).toContain(`line 2 Wang home: already there as ${wangId}; 1 new device(s) added to it`);
    expect(second.out).toContain('2 home(s) created, 1 already there, 0 failed, of 3');
    expect(await names(hub)).toEqual(['Li home', 'Old', 'Wang home', 'Zhao home']);
    expect((await hub.api.get(`/api/v1/homes/${wangId}`)).body.devices.map((d: { serial: string }) => d.serial).sort()).toEqual(['BR-1', 'DOR-1', 'SMK-9']);
    // Only the new secrets: SMK-9, Li's two devices, Zhao's bracelet.
    const issued = (await readFile(join(dir.path, 'second.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',')[5]);
    expect(issued.sort()).toEqual(['BR-3', 'GAS-2', 'SMK-1', 'SMK-9']);

    const third = await run(['--csv', join(dir.path, 'homes.csv'), '--out', join(dir.path, 'third.csv'), '--url', hub.httpUrl], { HUB_PASSWORD: ADMIN_PASSWORD });
    expect(third.code).toBe(0);
    expect(third.out).toMatch(/line 3 Li home: already there as home-\S+, skipped/);
    expect(third.out).toContain('0 home(s) created, 3 already there, 0 failed, of 3');
    expect((await hub.api.get('/api/v1/homes')).body.homes).toHaveLength(4);
    expect((await readFile(join(dir.path, 'third.csv'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});

describe('provision plan against the serials the hub has', () => {
  const row = (name: string, ...serials: string[]) => ({ line: 2, home: { name, address: 'x', resident: { name: 'R', birthYear: 1940 } as never }, devices: serials.map((s) => ({ kind: 'bracelet', serial: s })) });
  const hub = registeredSerials([
    { id: 'home-a', name: 'A home', devices: [{ id: 'brc-1', kind: 'bracelet', serial: 'B-1' }, { id: 'brc-2', kind: 'bracelet', serial: 'B-2' }] },
    { id: 'home-b', name: 'B home', devices: [{ id: 'brc-3', kind: 'bracelet', serial: 'B-3' }] },
  ]);

  it('creates new homes, skips a home already there and names what to add, refuses serials of other homes', () => {
    expect(planRow(row('C home', 'B-9'), hub)).toEqual({ action: 'create' });
    expect(planRow(row('A home', 'B-1', 'B-2'), hub)).toEqual({ action: 'already_there', homeId: 'home-a', missing: [] });
    expect(planRow(row('A home', 'B-1', 'B-7'), hub)).toEqual({ action: 'already_there', homeId: 'home-a', missing: [{ kind: 'bracelet', serial: 'B-7' }] });
    expect(planRow(row('C home', 'B-3', 'B-8'), hub)).toEqual({ action: 'conflict', message: expect.stringMatching(/^bracelet:B-3 is already registered as brc-3 in home-b "B home" — not this row's home/) });
    expect(planRow(row('A home', 'B-1', 'B-3'), hub)).toEqual({ action: 'conflict', message: expect.stringContaining("2 homes, but a row is one home") });
    // The same serial under another kind is another device.
    expect(planRow({ ...row('C home'), devices: [{ kind: 'door_sensor', serial: 'B-1' }] }, hub)).toEqual({ action: 'create' });
  });
});
