/**
 * Provisioning: create a home with its resident, register devices (the secret
 * is returned once and never stored), put a home live. Every step is audited,
 * and a registered device is watched for presence from that moment.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { DomainError } from '../core/errors.js';
import type { DevicePresence } from '../ingest/presence.js';
import type { Registry, NewHome } from '../registry/registry.js';
import type { DeviceRecord, HomeRecord, ResidentRecord } from '../registry/records.js';

export class HomeService {
  constructor(
    private readonly registry: Registry,
    private readonly presence: DevicePresence,
    private readonly audit: AuditLog,
  ) {}

  async createHome(input: NewHome, actor: string): Promise<{ home: HomeRecord; resident: ResidentRecord }> {
    const created = await this.registry.createHome(input);
    this.audit.record('home.created', actor, created.home.id, { name: created.home.name });
    return created;
  }

  async registerDevice(homeId: string, kind: string, serial: string, actor: string): Promise<{ device: DeviceRecord; secret: string }> {
    const registered = await this.registry.addDevice(homeId, kind, serial);
    this.presence.watch(registered.device);
    // The audit line names the device, never its secret.
    this.audit.record('device.registered', actor, registered.device.id, { homeId, kind, serial });
    return registered;
  }

  async goLive(homeId: string, actor: string): Promise<HomeRecord> {
    const home = this.registry.requireHome(homeId);
    if (home.status === 'live') throw new DomainError('conflict', `home ${homeId} is already live`);
    if (this.registry.listDevices(homeId).length === 0) {
      throw new DomainError('conflict', `home ${homeId} has no devices yet: register at least one before going live`);
    }
    const updated = await this.registry.setHomeStatus(homeId, 'live');
    this.audit.record('home.live', actor, homeId);
    return updated;
  }
}
