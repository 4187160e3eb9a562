/**
 * The registry service: homes, residents, devices and users, each in its own
 * lowdb file under the data dir. Reads are served from memory (lowdb keeps the
 * data loaded); every change is written through to disk before it returns.
 * One writer process only (DESIGN.md §6: two writers lose one side's writes).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { findDeviceKind } from '../../devices/catalog.js';
import { conflict, DomainError, notFound } from '../core/errors.js';
import { DurableJsonFile } from './json-file-adapter.js';
import { migrateRegistryFile } from './migrations.js';
import {
  REGISTRY_SCHEMA_VERSION,
  type DeviceRecord,
  type HomeRecord,
  type HomeStatus,
  type RegistryFile,
  type ResidentInput,
  type ResidentRecord,
  type Role,
  type UserRecord,
} from './records.js';
import { deviceSecretMatches, hashDeviceSecret, newDeviceSecret } from './secrets.js';

type Store<T> = Low<RegistryFile<T>>;

function openStore<T>(dir: string, name: string): Store<T> {
  return new Low(new DurableJsonFile<RegistryFile<T>>(join(dir, `${name}.json`)), {
    schemaVersion: REGISTRY_SCHEMA_VERSION,
    items: {},
  });
}

export interface NewHome {
  name: string;
  address: string;
  community?: string | undefined;
  resident: ResidentInput;
}

export interface NewUser {
  username: string;
  displayName?: string | undefined;
  role: Role;
  passwordHash: string;
  homeIds?: string[] | undefined;
}

export class Registry {
  private homes!: Store<HomeRecord>;
  private residents!: Store<ResidentRecord>;
  private devices!: Store<DeviceRecord>;
  private users!: Store<UserRecord>;
  /** Files migrated by the last start() (empty when every file was current). */
  readonly migrations: { file: string; from: number; to: number }[] = [];
  /** device serials already registered, `kind:serial` → device id */
  private readonly serials = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.homes = openStore(this.dir, 'homes');
    this.residents = openStore(this.dir, 'residents');
    this.devices = openStore(this.dir, 'devices');
    this.users = openStore(this.dir, 'users');
    const stores = [
      ['homes', this.homes],
      ['residents', this.residents],
      ['devices', this.devices],
      ['users', this.users],
    ] as [string, Store<unknown>][];
    for (const [name, store] of stores) {
      await store.read();
      await this.migrate(join(this.dir, `${name}.json`), store);
    }
    for (const device of Object.values(this.devices.data.items)) {
      this.serials.set(`${device.kind}:${device.serial}`, device.id);
    }
  }

  /** Files written by an older release are upgraded on start (migrations.ts); newer ones refuse the start. */
  private async migrate(path: string, store: Store<unknown>): Promise<void> {
    const { data, from, to } = migrateRegistryFile(path, store.data as unknown as Record<string, unknown>);
    if (from === to) return;
    // Keep the original next to it: a migration is the one write that changes a file's layout.
    await copyFile(path, `${path}.v${from}.bak`);
    store.data = data as unknown as RegistryFile<unknown>;
    await store.write();
    this.migrations.push({ file: path, from, to });
  }

  private stamp(): string {
    return new Date(this.now()).toISOString();
  }

  // ── homes and residents ────────────────────────────────────────────────

  async createHome(input: NewHome): Promise<{ home: HomeRecord; resident: ResidentRecord }> {
    const created = this.stageHome(input);
    // Resident first: a home on disk always points at a resident that exists.
    await this.residents.write();
    await this.homes.write();
    return created;
  }

  /**
   * Many homes with their devices in one go (bulk installs): everything is
   * checked first — one bad serial and nothing is created — then each file is
   * written once, not once per home (lowdb rewrites a whole file per write).
   */
  async createHomes(inputs: readonly (NewHome & { devices: readonly { kind: string; serial: string }[] })[], status: HomeStatus = 'installing'): Promise<
    { home: HomeRecord; resident: ResidentRecord; devices: { device: DeviceRecord; secret: string }[] }[]
  > {
    const seen = new Set<string>();
    inputs.forEach((input, i) => {
      for (const d of input.devices) {
        this.checkNewDevice(d.kind, d.serial);
        const key = `${d.kind}:${d.serial}`;
        if (seen.has(key)) throw conflict(`homes.${i}: a ${d.kind} with serial ${d.serial} appears twice in this batch`);
        seen.add(key);
      }
    });
    const created = inputs.map((input) => {
      const { home, resident } = this.stageHome(input, status);
      return { home, resident, devices: input.devices.map((d) => this.stageDevice(home.id, d.kind, d.serial)) };
    });
    await this.residents.write();
    await this.homes.write();
    await this.devices.write();
    return created;
  }

  private stageHome(input: NewHome, status: HomeStatus = 'installing'): { home: HomeRecord; resident: ResidentRecord } {
    const at = this.stamp();
    const homeId = this.unusedId(() => `home-${randomUUID().slice(0, 8)}`, this.homes.data.items);
    const resident: ResidentRecord = { ...input.resident, id: this.unusedId(() => `res-${randomUUID().slice(0, 8)}`, this.residents.data.items), homeId, createdAt: at, updatedAt: at };
    const home: HomeRecord = {
      id: homeId,
      name: input.name,
      address: input.address,
      community: input.community,
      status,
      residentId: resident.id,
      createdAt: at,
      updatedAt: at,
      ...(status === 'live' ? { liveAt: at } : {}),
    };
    this.residents.data.items[resident.id] = resident;
    this.homes.data.items[home.id] = home;
    return { home, resident };
  }

  /**
   * Short ids (8 hex digits) are readable but collide by the birthday bound
   * (~1 % at 10,000, ~20 % at 40,000 devices): draw again until unused.
   */
  private unusedId(next: () => string, taken: Record<string, unknown>): string {
    for (;;) {
      const id = next();
      if (!(id in taken)) return id;
    }
  }

  getHome(id: string): HomeRecord | undefined {
    return this.homes.data.items[id];
  }

  requireHome(id: string): HomeRecord {
    const home = this.getHome(id);
    if (!home) throw notFound('home', id);
    return home;
  }

  listHomes(): HomeRecord[] {
    return Object.values(this.homes.data.items);
  }

  getResident(id: string): ResidentRecord | undefined {
    return this.residents.data.items[id];
  }

  requireResident(id: string): ResidentRecord {
    const resident = this.getResident(id);
    if (!resident) throw notFound('resident', id);
    return resident;
  }

  /** Applies a change to a resident and writes it through. */
  async updateResident(id: string, change: (resident: ResidentRecord) => ResidentRecord): Promise<ResidentRecord> {
    const updated = { ...change(structuredClone(this.requireResident(id))), id, updatedAt: this.stamp() };
    this.residents.data.items[id] = updated;
    await this.residents.write();
    return updated;
  }

  /** Applies a change to a home and writes it through. */
  async updateHome(id: string, change: (home: HomeRecord) => HomeRecord): Promise<HomeRecord> {
    const updated = { ...change(structuredClone(this.requireHome(id))), id, updatedAt: this.stamp() };
    this.homes.data.items[id] = updated;
    await this.homes.write();
    return updated;
  }

  async setHomeStatus(id: string, status: HomeStatus): Promise<HomeRecord> {
    const home = this.requireHome(id);
    const at = this.stamp();
    const updated: HomeRecord = { ...home, status, updatedAt: at, liveAt: status === 'live' ? at : home.liveAt };
    this.homes.data.items[id] = updated;
    await this.homes.write();
    return updated;
  }

  // ── devices ────────────────────────────────────────────────────────────

  /** Registers a device; the returned secret is never stored and cannot be shown again. */
  async addDevice(homeId: string, kind: string, serial: string, replaces?: string): Promise<{ device: DeviceRecord; secret: string }> {
    this.requireHome(homeId);
    this.checkNewDevice(kind, serial);
    const added = this.stageDevice(homeId, kind, serial, replaces);
    await this.devices.write();
    return added;
  }

  private checkNewDevice(kind: string, serial: string): void {
    if (!findDeviceKind(kind)) throw new DomainError('invalid', `unknown device kind "${kind}"`);
    const existing = this.serials.get(`${kind}:${serial}`);
    if (existing) throw conflict(`a ${kind} with serial ${serial} is already registered as ${existing}`);
  }

  private stageDevice(homeId: string, kind: string, serial: string, replaces?: string): { device: DeviceRecord; secret: string } {
    const deviceKind = findDeviceKind(kind)!;
    const secret = newDeviceSecret();
    const device: DeviceRecord = {
      id: this.unusedId(() => `${deviceKind.idPrefix}-${randomBytes(4).toString('hex')}`, this.devices.data.items),
      homeId,
      kind,
      serial,
      secretHash: hashDeviceSecret(secret),
      createdAt: this.stamp(),
      ...(replaces ? { replaces } : {}),
    };
    this.devices.data.items[device.id] = device;
    this.serials.set(`${kind}:${serial}`, device.id);
    return { device, secret };
  }

  /** Applies a change to a device and writes it through. */
  async updateDevice(id: string, change: (device: DeviceRecord) => DeviceRecord): Promise<DeviceRecord> {
    const device = this.requireDevice(id);
    const updated = { ...change(structuredClone(device)), id };
    this.devices.data.items[id] = updated;
    await this.devices.write();
    return updated;
  }

  /** A new secret for a device; the old one stops working. Returns the new secret (shown once). */
  async rotateDeviceSecret(id: string): Promise<{ device: DeviceRecord; secret: string }> {
    const secret = newDeviceSecret();
    const device = await this.updateDevice(id, (d) => ({ ...d, secretHash: hashDeviceSecret(secret) }));
    return { device, secret };
  }

  requireDevice(id: string): DeviceRecord {
    const device = this.getDevice(id);
    if (!device) throw notFound('device', id);
    return device;
  }

  getDevice(id: string): DeviceRecord | undefined {
    return this.devices.data.items[id];
  }

  listDevices(homeId?: string): DeviceRecord[] {
    const all = Object.values(this.devices.data.items);
    return homeId === undefined ? all : all.filter((d) => d.homeId === homeId);
  }

  /** Constant-time check of a device's secret; false for unknown or revoked devices. */
  deviceSecretValid(deviceId: string, secret: string): boolean {
    const device = this.getDevice(deviceId);
    if (!device || device.revokedAt) return false;
    return deviceSecretMatches(secret, device.secretHash);
  }

  // ── users ──────────────────────────────────────────────────────────────

  async createUser(input: NewUser): Promise<UserRecord> {
    if (this.findUser(input.username)) throw conflict(`user ${input.username} already exists`);
    const user: UserRecord = {
      id: `usr-${randomUUID().slice(0, 8)}`,
      username: input.username,
      displayName: input.displayName ?? input.username,
      role: input.role,
      passwordHash: input.passwordHash,
      homeIds: input.homeIds ?? [],
      createdAt: this.stamp(),
    };
    this.users.data.items[user.id] = user;
    await this.users.write();
    return user;
  }

  /** Applies a change to a user and writes it through. */
  async updateUser(id: string, change: (user: UserRecord) => UserRecord): Promise<UserRecord> {
    const user = this.getUser(id);
    if (!user) throw notFound('user', id);
    const updated = { ...change(structuredClone(user)), id };
    this.users.data.items[id] = updated;
    await this.users.write();
    return updated;
  }

  listUsers(): UserRecord[] {
    return Object.values(this.users.data.items);
  }

  findUser(username: string): UserRecord | undefined {
    return Object.values(this.users.data.items).find((u) => u.username === username);
  }

  getUser(id: string): UserRecord | undefined {
    return this.users.data.items[id];
  }

  userCount(): number {
    return Object.keys(this.users.data.items).length;
  }
}
