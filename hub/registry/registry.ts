/**
 * The registry service: homes, residents, devices and users. Every record is
 * held in memory — the hot-path reads (device by id, the secret check, the
 * home of a device) never wait for a disk or a database — and every change is
 * written through the RegistryStore port (files or PostgreSQL,
 * hub/storage/ports.ts) before it returns. A write that fails is undone in
 * memory too, so the cache never shows what the store does not hold.
 * One writer process at a time (DESIGN.md §6). Other processes on the same
 * store (a cluster's nodes, issue 12) are followed through the store's change
 * feed where it has one (PostgreSQL): their committed records are folded in
 * (applyExternal, resync) and announced to onExternalChange listeners. How the
 * records are kept (memory, staging, commit, undo, the feed) is registry-cache.ts;
 * this file is what each record is and how it may change.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { findDeviceKind } from '../../devices/catalog.js';
import { conflict, DomainError, notFound } from '../core/errors.js';
import { RegistryCache, Staged } from './registry-cache.js';
import { PERSONAL_DEVICE_KINDS, type DeviceRecord, type HomeRecord, type HomeStatus, type ResidentInput, type ResidentRecord, type Role, type UserRecord } from './records.js';
import { deviceSecretMatches, hashDeviceSecret, newDeviceSecret } from './secrets.js';

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

export type { RegistryChange } from './external-records.js';

/** Homes, residents, devices and users: what each is and how it may change (kept by RegistryCache). */
export class Registry extends RegistryCache {
  // ── homes and residents ────────────────────────────────────────────────

  async createHome(input: NewHome): Promise<{ home: HomeRecord; resident: ResidentRecord }> {
    const staged = new Staged();
    const created = this.stageHome(staged, input);
    await this.commit(staged);
    return created;
  }

  /**
   * Many homes with their devices in one go (bulk installs): everything is
   * checked first — one bad serial and nothing is created — then written as
   * one unit (one transaction; with files, each file once rather than once per
   * home, as lowdb rewrites a whole file per write).
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
    const staged = new Staged();
    const created = inputs.map((input) => {
      const { home, resident } = this.stageHome(staged, input, status);
      return { home, resident, devices: input.devices.map((d) => this.stageDevice(staged, home.id, d.kind, d.serial)) };
    });
    await this.commit(staged);
    return created;
  }

  private stageHome(staged: Staged, input: NewHome, status: HomeStatus = 'installing'): { home: HomeRecord; resident: ResidentRecord } {
    const at = this.stamp();
    const homeId = this.unusedId(() => `home-${randomUUID().slice(0, 8)}`, this.items.homes);
    const resident: ResidentRecord = { ...input.resident, id: this.unusedId(() => `res-${randomUUID().slice(0, 8)}`, this.items.residents), homeId, createdAt: at, updatedAt: at };
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
    this.put(staged, 'residents', resident);
    this.put(staged, 'homes', home);
    return { home, resident };
  }

  getHome(id: string): HomeRecord | undefined {
    return this.items.homes.get(id);
  }

  requireHome(id: string): HomeRecord {
    const home = this.getHome(id);
    if (!home) throw notFound('home', id);
    return home;
  }

  listHomes(): HomeRecord[] {
    return [...this.items.homes.values()];
  }

  getResident(id: string): ResidentRecord | undefined {
    return this.items.residents.get(id);
  }

  requireResident(id: string): ResidentRecord {
    const resident = this.getResident(id);
    if (!resident) throw notFound('resident', id);
    return resident;
  }

  /** The ids of a home's residents in the order they moved in (so its first resident first); read per message by the rules. */
  residentIds(homeId: string): readonly string[] {
    return this.householdIds.get(homeId) ?? [];
  }

  /** The residents of a home, the first (home.residentId) first; one for most homes, two for a couple. */
  listResidents(homeId: string): ResidentRecord[] {
    const ids = this.householdIds.get(homeId) ?? [];
    const first = this.getHome(homeId)?.residentId;
    return [...(first && ids.includes(first) ? [first] : []), ...ids.filter((id) => id !== first)].map((id) => this.items.residents.get(id)!);
  }

  /**
   * Another resident in an existing home (a couple). Bracelets that belonged
   * to the home until now become its first resident's, so nothing they say
   * changes meaning when the second person moves in.
   */
  async addResident(homeId: string, input: ResidentInput): Promise<ResidentRecord> {
    const home = this.requireHome(homeId);
    const staged = new Staged();
    const at = this.stamp();
    const resident: ResidentRecord = { ...input, id: this.unusedId(() => `res-${randomUUID().slice(0, 8)}`, this.items.residents), homeId, createdAt: at, updatedAt: at };
    this.put(staged, 'residents', resident);
    for (const device of this.listDevices(homeId)) {
      if (PERSONAL_DEVICE_KINDS.includes(device.kind) && !device.residentId && !device.revokedAt) this.put(staged, 'devices', { ...device, residentId: home.residentId });
    }
    await this.commit(staged);
    return resident;
  }

  /** Applies a change to a resident and writes it through. */
  async updateResident(id: string, change: (resident: ResidentRecord) => ResidentRecord): Promise<ResidentRecord> {
    const updated = { ...change(structuredClone(this.requireResident(id))), id, updatedAt: this.stamp() };
    return this.putOne('residents', updated);
  }

  /** Applies a change to a home and writes it through. */
  async updateHome(id: string, change: (home: HomeRecord) => HomeRecord): Promise<HomeRecord> {
    const updated = { ...change(structuredClone(this.requireHome(id))), id, updatedAt: this.stamp() };
    return this.putOne('homes', updated);
  }

  async setHomeStatus(id: string, status: HomeStatus): Promise<HomeRecord> {
    const home = this.requireHome(id);
    const at = this.stamp();
    return this.putOne('homes', { ...home, status, updatedAt: at, liveAt: status === 'live' ? at : home.liveAt });
  }

  // ── devices ────────────────────────────────────────────────────────────

  /** Registers a device; the returned secret is never stored and cannot be shown again. */
  async addDevice(homeId: string, kind: string, serial: string, replaces?: string, residentId?: string): Promise<{ device: DeviceRecord; secret: string }> {
    this.requireHome(homeId);
    this.checkNewDevice(kind, serial);
    const staged = new Staged();
    const added = this.stageDevice(staged, homeId, kind, serial, replaces, residentId);
    await this.commit(staged);
    return added;
  }

  private checkNewDevice(kind: string, serial: string): void {
    if (!findDeviceKind(kind)) throw new DomainError('invalid', `unknown device kind "${kind}"`);
    const existing = this.serials.get(`${kind}:${serial}`);
    if (existing) throw conflict(`a ${kind} with serial ${serial} is already registered as ${existing}`);
  }

  private stageDevice(staged: Staged, homeId: string, kind: string, serial: string, replaces?: string, residentId?: string): { device: DeviceRecord; secret: string } {
    const deviceKind = findDeviceKind(kind)!;
    const secret = newDeviceSecret();
    const device: DeviceRecord = {
      id: this.unusedId(() => `${deviceKind.idPrefix}-${randomBytes(4).toString('hex')}`, this.items.devices),
      homeId,
      kind,
      serial,
      secretHash: hashDeviceSecret(secret),
      createdAt: this.stamp(),
      ...(replaces ? { replaces } : {}),
      ...(residentId ? { residentId } : {}),
    };
    this.put(staged, 'devices', device);
    const serialKey = `${kind}:${serial}`;
    this.serials.set(serialKey, device.id);
    staged.undo.push(() => this.serials.get(serialKey) === device.id && this.serials.delete(serialKey));
    return { device, secret };
  }

  /** Applies a change to a device and writes it through. */
  async updateDevice(id: string, change: (device: DeviceRecord) => DeviceRecord): Promise<DeviceRecord> {
    const device = this.requireDevice(id);
    return this.putOne('devices', { ...change(structuredClone(device)), id });
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
    return this.items.devices.get(id);
  }

  listDevices(homeId?: string): DeviceRecord[] {
    const all = [...this.items.devices.values()];
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
      id: this.unusedId(() => `usr-${randomUUID().slice(0, 8)}`, this.items.users),
      username: input.username,
      displayName: input.displayName ?? input.username,
      role: input.role,
      passwordHash: input.passwordHash,
      homeIds: input.homeIds ?? [],
      createdAt: this.stamp(),
    };
    return this.putOne('users', user);
  }

  /** Applies a change to a user and writes it through. */
  async updateUser(id: string, change: (user: UserRecord) => UserRecord): Promise<UserRecord> {
    const user = this.getUser(id);
    if (!user) throw notFound('user', id);
    return this.putOne('users', { ...change(structuredClone(user)), id });
  }

  listUsers(): UserRecord[] {
    return [...this.items.users.values()];
  }

  findUser(username: string): UserRecord | undefined {
    for (const user of this.items.users.values()) if (user.username === username) return user;
    return undefined;
  }

  getUser(id: string): UserRecord | undefined {
    return this.items.users.get(id);
  }

  userCount(): number {
    return this.items.users.size;
  }
}
