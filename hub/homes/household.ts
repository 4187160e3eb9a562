/**
 * Couples (issue 13 item 12): a home with several residents, each with their
 * own profile, thresholds and devices. A bracelet belongs to one resident;
 * gas, smoke and door sensors belong to the home. Every change is audited by
 * ids and field names only, never medical values.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { DomainError } from '../core/errors.js';
import type { Registry } from '../registry/registry.js';
import { PERSONAL_DEVICE_KINDS, type DeviceRecord, type ResidentInput, type ResidentRecord } from '../registry/records.js';

/** At most this many residents per home: a household, not a care home (those are many homes). */
export const MAX_RESIDENTS = 4;

/**
 * Who will wear a new device: the resident named, or nobody. A personal device
 * in a home with several residents must name its wearer — guessing would put
 * one person's heart rate against the other's thresholds.
 */
export function checkWearer(registry: Registry, homeId: string, kind: string, residentId: string | undefined): string | undefined {
  const residents = registry.listResidents(homeId);
  if (residentId === undefined) {
    if (PERSONAL_DEVICE_KINDS.includes(kind) && residents.length > 1) {
      throw new DomainError('invalid', `residentId: this home has ${residents.length} residents; say whose ${kind} this is (${residents.map((r) => r.id).join(', ')})`);
    }
    return undefined;
  }
  if (!PERSONAL_DEVICE_KINDS.includes(kind)) throw new DomainError('invalid', `residentId: a ${kind} belongs to the whole home, not to one resident`);
  if (!residents.some((r) => r.id === residentId)) throw new DomainError('invalid', `residentId: ${residentId} is not a resident of home ${homeId}`);
  return residentId;
}

export class HouseholdService {
  constructor(
    private readonly registry: Registry,
    private readonly audit: AuditLog,
  ) {}

  async addResident(homeId: string, input: ResidentInput, actor: string): Promise<ResidentRecord> {
    const count = this.registry.listResidents(this.registry.requireHome(homeId).id).length;
    if (count >= MAX_RESIDENTS) throw new DomainError('conflict', `home ${homeId} already has ${count} residents (at most ${MAX_RESIDENTS})`);
    const resident = await this.registry.addResident(homeId, input);
    this.audit.record('resident.added', actor, resident.id, { homeId });
    return resident;
  }

  /** Gives a personal device to one of its home's residents. */
  async assignDevice(deviceId: string, residentId: string, actor: string): Promise<DeviceRecord> {
    const device = this.registry.requireDevice(deviceId);
    if (device.revokedAt) throw new DomainError('conflict', `device ${deviceId} was revoked`);
    checkWearer(this.registry, device.homeId, device.kind, residentId);
    const updated = await this.registry.updateDevice(deviceId, (d) => ({ ...d, residentId }));
    this.audit.record('device.assigned', actor, deviceId, { homeId: device.homeId, residentId, from: device.residentId ?? null });
    return updated;
  }
}
