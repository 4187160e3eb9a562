/**
 * A device's heartbeat interval (issue 11): installers change it with the
 * `configure` command, sent through the command outbox so a device that is
 * offline gets it when it reconnects.
 *
 * The interval is stored on the device in the registry (`heartbeatSec`) once
 * the device *confirms* the command — until then nobody knows which interval
 * it uses. Meanwhile the offline watchdog allows the longer of the old and the
 * new interval, so neither a device still on the old, longer one nor one
 * already on the new, longer one is declared offline by mistake. A
 * confirmation whose registry write was lost (crash) is applied again at
 * start from the outbox's journal lines.
 */
import { findDeviceKind } from '../../devices/catalog.js';
import type { AuditLog } from '../audit/audit-log.js';
import { conflict } from '../core/errors.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { DeviceRecord } from '../registry/records.js';
import type { CommandView } from './command-book.js';
import type { CommandOutbox } from './command-outbox.js';

export interface DeviceConfigDeps {
  registry: {
    requireDevice(id: string): DeviceRecord;
    getDevice(id: string): DeviceRecord | undefined;
    listDevices(): DeviceRecord[];
    updateDevice(id: string, change: (device: DeviceRecord) => DeviceRecord): Promise<DeviceRecord>;
  };
  outbox: CommandOutbox;
  bus: EventBus<HubEvents>;
  audit: Pick<AuditLog, 'record'>;
  /** Re-arms the device's offline watchdog with its current interval (keeps its last-seen time). */
  retime(device: DeviceRecord): void;
  log: Logger;
}

export interface HeartbeatView {
  deviceId: string;
  /** The interval the device confirmed, or its kind's default. */
  heartbeatSec: number;
  defaultHeartbeatSec: number;
  /** What the offline watchdog allows now: the longer of confirmed and pending. */
  watchdogHeartbeatSec: number;
  /** The configure command not yet confirmed, if any. */
  pending: CommandView | undefined;
}

export class DeviceConfig {
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: DeviceConfigDeps) {}

  /** Call after the journal replay: re-applies confirmed intervals the registry missed, then follows new ones. */
  async start(): Promise<void> {
    for (const device of this.deps.registry.listDevices()) {
      const confirmed = this.deps.outbox.forDevice(device.id).find((c) => c.cmd === 'configure' && c.state === 'confirmed');
      const sec = confirmed && intervalOf(confirmed);
      if (sec !== undefined && sec !== device.heartbeatSec) await this.store(device.id, sec);
    }
    this.unsubscribe = this.deps.bus.on('command.changed', (command) => {
      if (command.cmd === 'configure' && command.state === 'confirmed') void this.store(command.deviceId, intervalOf(command)!);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Queues `configure` for the device; returns the command once its line is on disk. */
  async configure(deviceId: string, heartbeatSec: number, actor: string): Promise<CommandView> {
    const device = this.deps.registry.requireDevice(deviceId);
    if (device.revokedAt) throw conflict(`device ${deviceId} was revoked (${device.revokedReason ?? 'no reason given'})`);
    if (!findDeviceKind(device.kind)?.commands.has('configure')) throw conflict(`a ${device.kind} cannot be configured`);
    const { command, durable } = this.deps.outbox.enqueue(deviceId, { cmd: 'configure', heartbeatSec }, { actor });
    this.deps.audit.record('device.configure_requested', actor, deviceId, { heartbeatSec, cmdId: command.cmdId });
    this.deps.retime(device);
    return durable;
  }

  /** The interval the offline watchdog uses for this device: 3 × this is silence enough to be offline. */
  watchdogHeartbeatSec(device: DeviceRecord): number {
    const confirmed = this.confirmedSec(device);
    const pending = this.pending(device.id);
    return Math.max(confirmed, pending ? intervalOf(pending)! : 0);
  }

  view(deviceId: string): HeartbeatView {
    const device = this.deps.registry.requireDevice(deviceId);
    return {
      deviceId,
      heartbeatSec: this.confirmedSec(device),
      defaultHeartbeatSec: findDeviceKind(device.kind)?.heartbeatSec ?? 0,
      watchdogHeartbeatSec: this.watchdogHeartbeatSec(device),
      pending: this.pending(deviceId),
    };
  }

  private confirmedSec(device: DeviceRecord): number {
    return device.heartbeatSec ?? findDeviceKind(device.kind)?.heartbeatSec ?? 60;
  }

  private pending(deviceId: string): CommandView | undefined {
    return this.deps.outbox.open(deviceId).find((c) => c.cmd === 'configure');
  }

  private async store(deviceId: string, heartbeatSec: number): Promise<void> {
    try {
      const device = await this.deps.registry.updateDevice(deviceId, (d) => ({ ...d, heartbeatSec }));
      this.deps.retime(device);
    } catch (err) {
      this.deps.log.error({ err, deviceId, heartbeatSec }, 'confirmed heartbeat interval not stored; it is applied again at the next start');
    }
  }
}

function intervalOf(command: CommandView): number | undefined {
  return command.command.cmd === 'configure' ? command.command.heartbeatSec : undefined;
}
