/**
 * Provisioning: create a home with its resident, register devices (the secret
 * is returned once and never stored), put a home live. Every step is audited,
 * and a registered device is watched for presence from that moment.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { DomainError } from '../core/errors.js';
import type { DevicePresence } from '../ingest/presence.js';
import type { Registry, NewHome } from '../registry/registry.js';
import type { DeviceRecord, HomeRecord, ResidentRecord, UserRecord } from '../registry/records.js';
import type { SessionStore } from '../auth/sessions.js';
import type { Commissioning } from './commissioning.js';
import { checkWearer } from './household.js';

export class HomeService {
  constructor(
    private readonly registry: Registry,
    private readonly presence: DevicePresence,
    private readonly audit: AuditLog,
    private readonly commissioning: Commissioning,
    private readonly sessions: SessionStore,
  ) {}

  async createHome(input: NewHome, actor: string): Promise<{ home: HomeRecord; resident: ResidentRecord }> {
    const created = await this.registry.createHome(input);
    this.audit.record('home.created', actor, created.home.id, { name: created.home.name });
    return created;
  }

  /** Bulk install: all homes with their residents and devices, checked first, written once. */
  async createHomes(inputs: Parameters<Registry['createHomes']>[0], actor: string, goLiveOverrideReason?: string): ReturnType<Registry['createHomes']> {
    // Live at once only with a stated reason (simulated neighbourhoods, migrating a site whose devices already work): audited.
    const created = await this.registry.createHomes(inputs, goLiveOverrideReason ? 'live' : 'installing');
    for (const { devices } of created) for (const { device } of devices) this.presence.watch(device);
    const homes = created.map((c) => c.home.id);
    this.audit.record('homes.batch_created', actor, undefined, { homes, devices: created.reduce((n, c) => n + c.devices.length, 0) });
    if (goLiveOverrideReason) this.audit.record('home.live_override', actor, undefined, { homes, reason: goLiveOverrideReason, missing: 'commissioning skipped for the whole batch' });
    return created;
  }

  async registerDevice(homeId: string, kind: string, serial: string, actor: string, residentId?: string): Promise<{ device: DeviceRecord; secret: string }> {
    this.registry.requireHome(homeId);
    const registered = await this.registry.addDevice(homeId, kind, serial, undefined, checkWearer(this.registry, homeId, kind, residentId));
    this.presence.watch(registered.device);
    // The audit line names the device, never its secret.
    this.audit.record('device.registered', actor, registered.device.id, { homeId, kind, serial, ...(residentId ? { residentId } : {}) });
    return registered;
  }

  /**
   * Puts a home live only when every device passed commissioning, or with an
   * override reason (audited) — e.g. a bracelet whose fall test cannot be done
   * today. From then on its events raise real alerts.
   */
  async goLive(homeId: string, actor: string, overrideReason?: string): Promise<HomeRecord> {
    const home = this.registry.requireHome(homeId);
    if (home.status === 'live') throw new DomainError('conflict', `home ${homeId} is already live`);
    if (this.registry.listDevices(homeId).filter((d) => !d.revokedAt).length === 0) {
      throw new DomainError('conflict', `home ${homeId} has no devices yet: register at least one before going live`);
    }
    const checklist = this.commissioning.checklist(homeId);
    const missing = checklist.devices.flatMap((d) => d.checks.filter((c) => !c.done).map((c) => `${d.deviceId} ${c.id}`));
    if (missing.length > 0 && !overrideReason) {
      throw new DomainError('conflict', `commissioning not complete: ${missing.join(', ')} — finish the checks or go live with an override reason`);
    }
    const updated = await this.registry.setHomeStatus(homeId, 'live');
    if (missing.length > 0) this.audit.record('home.live_override', actor, homeId, { reason: overrideReason, missing });
    else this.audit.record('home.live', actor, homeId);
    return updated;
  }

  /** Links a family user to a home (their relative's); their sessions end so the new access applies at once. */
  async linkFamily(homeId: string, userId: string, linked: boolean, actor: string): Promise<UserRecord> {
    this.registry.requireHome(homeId);
    const user = this.registry.getUser(userId);
    if (!user) throw new DomainError('not_found', `user ${userId} does not exist`);
    if (user.role !== 'family') throw new DomainError('conflict', `user ${user.username} is a ${user.role}, not a family member`);
    const updated = await this.registry.updateUser(userId, (u) => ({
      ...u,
      homeIds: linked ? [...new Set([...u.homeIds, homeId])] : u.homeIds.filter((h) => h !== homeId),
    }));
    await this.sessions.revokeUser(userId, 'homes changed');
    this.audit.record(linked ? 'family.linked' : 'family.unlinked', actor, homeId, { user: user.username });
    return updated;
  }
}
