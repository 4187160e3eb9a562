/**
 * The Registry over both RegistryStore adapters (hub/storage/ports.ts): files
 * in a temp dir and a fresh PostgreSQL database. Everything it writes comes
 * back after a restart; refusals change nothing; a write the store could not
 * make is undone in memory (the cache stays in step with the store).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../hub/registry/registry.js';
import { RegistryFiles } from '../hub/storage/files/registry-files.js';
import type { RegistryStore } from '../hub/storage/ports.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgRegistryStore } from '../hub/storage/postgres/registry-pg.js';
import { createPgDatabase } from './helpers/pg-database.js';
import { makeTempDir } from './helpers/temp-dir.js';

interface Fixture {
  store(): RegistryStore;
  /** Makes the next write fail the way this store fails (a directory where a file must go; refused connections). */
  breakWrites(): Promise<void>;
  remove(): Promise<void>;
}

async function filesFixture(): Promise<Fixture> {
  const temp = await makeTempDir('registry-store-');
  const dir = join(temp.path, 'registry');
  return {
    store: () => new RegistryFiles(dir),
    async breakWrites() {
      // write-file-atomic renames a temp file over devices.json: a directory there makes that fail.
      await rm(join(dir, 'devices.json'), { force: true });
      await mkdir(join(dir, 'devices.json', 'blocker'), { recursive: true });
    },
    remove: temp.remove,
  };
}

async function postgresFixture(): Promise<Fixture> {
  const database = await createPgDatabase();
  return {
    store: () => new PgRegistryStore(new PgDatabase({ url: database.url })),
    async breakWrites() {
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: database.url.replace(/\/[^/]+$/, '/postgres') });
      await admin.connect();
      await admin.query(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database.name]);
      await admin.end();
    },
    async remove() {
      await database.drop();
    },
  };
}

const resident = { name: 'Wang Lan', birthYear: 1941, conditions: [], contacts: [], specialHardship: false };

describe.each([
  ['files', filesFixture],
  ['postgres', postgresFixture],
] as const)('registry on %s', (_name, makeFixture) => {
  let fixture: Fixture;
  const started: Registry[] = [];

  beforeEach(async () => {
    fixture = await makeFixture();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
    await fixture.remove();
  });

  async function registry(): Promise<Registry> {
    const r = new Registry(fixture.store(), () => Date.parse('2024-05-01T09:00:00.000Z'));
    started.push(r);
    await r.start();
    return r;
  }

  it('gives back after a restart exactly what it wrote: homes, residents, devices, users and their changes', async () => {
    const r = await registry();
    const { home } = await r.createHome({ name: 'Home A', address: '1 Road', resident: { ...resident, medicationNotes: 'zoë ✓ "quoted"' } });
    const bulk = await r.createHomes([{ name: 'Home B', address: '2 Road', resident, devices: [{ kind: 'bracelet', serial: 'B-1' }, { kind: 'smoke_sensor', serial: 'S-1' }] }]);
    const { device, secret } = await r.addDevice(home.id, 'bracelet', 'A-1');
    const rotated = await r.rotateDeviceSecret(device.id);
    await r.updateHome(home.id, (h) => ({ ...h, ruleSettings: { inactivity: { hours: 6 } } }));
    await r.setHomeStatus(home.id, 'live');
    const user = await r.createUser({ username: 'op1', role: 'operator', passwordHash: 'scrypt$x' });
    await r.updateUser(user.id, (u) => ({ ...u, disabled: true }));
    const snapshot = { homes: r.listHomes(), devices: r.listDevices(), users: r.listUsers(), residents: r.listHomes().map((h) => r.getResident(h.residentId)) };
    await started.pop()!.stop();

    const again = await registry();
    const sortById = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(sortById(again.listHomes())).toEqual(sortById(snapshot.homes));
    expect(sortById(again.listDevices())).toEqual(sortById(snapshot.devices));
    expect(sortById(again.listUsers())).toEqual(sortById(snapshot.users));
    expect(again.listHomes().map((h) => again.getResident(h.residentId)).sort((a, b) => a!.id.localeCompare(b!.id))).toEqual(
      snapshot.residents.sort((a, b) => a!.id.localeCompare(b!.id)),
    );
    expect(again.listDevices(bulk[0]!.home.id)).toHaveLength(2);
    expect(again.deviceSecretValid(device.id, secret)).toBe(false);
    expect(again.deviceSecretValid(device.id, rotated.secret)).toBe(true);
    expect(again.getHome(home.id)).toMatchObject({ status: 'live', ruleSettings: { inactivity: { hours: 6 } } });
  });

  it('refuses a serial twice, in a batch or across calls, and stores nothing of the refused call', async () => {
    const r = await registry();
    const { home } = await r.createHome({ name: 'Home', address: 'x', resident });
    await r.addDevice(home.id, 'bracelet', 'DUP');
    await expect(r.addDevice(home.id, 'bracelet', 'DUP')).rejects.toThrow(/already registered/);
    await expect(r.createHomes([{ name: 'H2', address: 'y', resident, devices: [{ kind: 'smoke_sensor', serial: 'S' }, { kind: 'smoke_sensor', serial: 'S' }] }])).rejects.toThrow(/appears twice/);
    await started.pop()!.stop();
    const again = await registry();
    expect(again.listHomes()).toHaveLength(1);
    expect(again.listDevices()).toHaveLength(1);
  });

  it('undoes in memory a write the store could not make, so nothing unstored is served', async () => {
    const r = await registry();
    const { home } = await r.createHome({ name: 'Home', address: 'x', resident });
    const { device } = await r.addDevice(home.id, 'bracelet', 'KEEP');
    await fixture.breakWrites();
    await expect(r.addDevice(home.id, 'bracelet', 'LOST')).rejects.toThrow();
    await expect(r.updateDevice(device.id, (d) => ({ ...d, revokedAt: 'now' }))).rejects.toThrow();
    expect(r.listDevices().map((d) => d.serial)).toEqual(['KEEP']);
    expect(r.getDevice(device.id)?.revokedAt).toBeUndefined();
    // The refused serial is free again once the store is back.
    expect(() => r.listDevices()).not.toThrow();
  });
});

describe('registry on postgres: what the database adds', () => {
  it('turns text with NUL into a 400-style refusal, and an unreachable database into a 503-style error naming it', async () => {
    const fixture = await postgresFixture();
    const r = new Registry(fixture.store());
    try {
      await r.start();
      await expect(r.createHome({ name: 'bad \u0000 name', address: 'x', resident })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/NUL/) });
      expect(r.listHomes()).toEqual([]);
      await fixture.breakWrites();
      await expect(r.createHome({ name: 'ok', address: 'x', resident })).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/^PostgreSQL database hub_test_\w+ on 127\.0\.0\.1:5432 unreachable: /),
      });
      expect(r.listHomes()).toEqual([]);
    } finally {
      await r.stop();
      await fixture.remove();
    }
  });
});
