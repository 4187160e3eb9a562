/**
 * What installers do to devices after registering them (issue 5): rotate or
 * revoke a secret (the device is disconnected at once), replace a broken
 * device keeping the old one's history, and move a bracelet to another home.
 * Every step is audited; secrets appear only in the return value.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { conflict } from '../core/errors.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import type { DevicePresence } from '../ingest/presence.js';
import type { Registry } from '../registry/registry.js';
import type { DeviceRecord } from '../registry/records.js';

export interface DeviceServiceDeps {
  registry: Registry;
  presence: DevicePresence;
  states: DeviceStateStore;
  audit: AuditLog;
  /** Closes the device's MQTT connection now. */
  disconnect(deviceId: string): void;
  now: () => number;
}

export class DeviceService {
  constructor(private readonly deps: DeviceServiceDeps) {}

  async rotateSecret(deviceId: string, actor: string): Promise<{ device: DeviceRecord; secret: string }> {
    this.requireActive(deviceId);
    const rotated = await this.deps.registry.rotateDeviceSecret(deviceId);
    // The connection authenticated with the old secret must not outlive it.
    this.deps.disconnect(deviceId);
    this.deps.audit.record('device.secret_rotated', actor, deviceId);
    return rotated;
  }

  async revoke(deviceId: string, actor: string, reason: string): Promise<DeviceRecord> {
    this.requireActive(deviceId);
    const device = await this.deps.registry.updateDevice(deviceId, (d) => ({ ...d, revokedAt: new Date(this.deps.now()).toISOString(), revokedReason: reason }));
    this.deps.disconnect(deviceId);
    this.deps.presence.unwatch(deviceId);
    this.deps.audit.record('device.revoked', actor, deviceId, { reason });
    return device;
  }

  /** A new device of the same kind in the same place; the old one is revoked and keeps its history. */
  async replace(deviceId: string, serial: string, actor: string): Promise<{ device: DeviceRecord; secret: string }> {
    const old = this.requireActive(deviceId);
    const added = await this.deps.registry.addDevice(old.homeId, old.kind, serial, old.id, old.residentId);
    await this.deps.registry.updateDevice(old.id, (d) => ({ ...d, revokedAt: new Date(this.deps.now()).toISOString(), revokedReason: 'replaced', replacedBy: added.device.id }));
    this.deps.disconnect(old.id);
    this.deps.presence.unwatch(old.id);
    this.deps.presence.watch(added.device);
    this.deps.audit.record('device.replaced', actor, old.id, { by: added.device.id, serial });
    return added;
  }

  /** A bracelet follows its wearer to another home: topics carry the device id only, so nothing is reflashed. */
  async move(deviceId: string, homeId: string, actor: string): Promise<DeviceRecord> {
    const device = this.requireActive(deviceId);
    this.deps.registry.requireHome(homeId);
    if (device.homeId === homeId) throw conflict(`device ${deviceId} is already in home ${homeId}`);
    const moved = await this.deps.registry.updateDevice(deviceId, (d) => ({ ...d, homeId, residentId: undefined })); // its wearer lives in the old home
    this.deps.states.rehome(deviceId, homeId);
    // Its watchdog follows the home's owner: dropped here when this node does not own the new home (HUB_PARTITIONS=spread).
    this.deps.presence.moved(moved);
    this.deps.audit.record('device.moved', actor, deviceId, { from: device.homeId, to: homeId });
    return moved;
  }

  private requireActive(deviceId: string): DeviceRecord {
    const device = this.deps.registry.requireDevice(deviceId);
    if (device.revokedAt) throw conflict(`device ${deviceId} was revoked (${device.revokedReason ?? 'no reason given'})`);
    return device;
  }
}
