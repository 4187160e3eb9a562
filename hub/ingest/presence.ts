/**
 * Online / offline of every registered device: the watchdog declares a device
 * offline after 3 × its heartbeat interval of silence (DESIGN.md §4), and
 * ingest declares it online again on its next message. The interval is the
 * device's own once configured (issue 11, hub/commands/device-config.ts),
 * else its kind's.
 */
import { findDeviceKind } from '../../devices/catalog.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { DeviceRecord } from '../registry/records.js';
import type { DeviceStateStore } from './device-state.js';
import { Watchdog } from './watchdog.js';

export const HEARTBEATS_BEFORE_OFFLINE = 3;

export class DevicePresence {
  readonly watchdog: Watchdog;

  constructor(
    private readonly states: DeviceStateStore,
    private readonly bus: EventBus<HubEvents>,
    private readonly clock: Clock,
    /** The device's heartbeat interval in seconds; default: its configured one, else its kind's. */
    private readonly heartbeatSecOf: (device: DeviceRecord) => number = (device) => device.heartbeatSec ?? findDeviceKind(device.kind)?.heartbeatSec ?? 60,
  ) {
    this.watchdog = new Watchdog(clock, (deviceId) => this.markSilent(deviceId));
  }

  /** Starts watching a device; it has 3 heartbeats from now to say something. */
  watch(device: DeviceRecord): void {
    if (!findDeviceKind(device.kind) || device.revokedAt) return;
    this.states.ensure(device.id, device.homeId, device.kind);
    this.watchdog.watch(device.id, this.timeoutOf(device));
  }

  /** Its interval changed: the same last-seen time, the new allowance. */
  retime(device: DeviceRecord): void {
    if (!this.watchdog.isWatching(device.id)) return;
    this.watchdog.retime(device.id, this.timeoutOf(device));
  }

  /** How long the device may be silent before it is offline (ms). */
  timeoutOf(device: DeviceRecord): number {
    return this.heartbeatSecOf(device) * 1000 * HEARTBEATS_BEFORE_OFFLINE;
  }

  unwatch(deviceId: string): void {
    this.watchdog.unwatch(deviceId);
  }

  stop(): void {
    this.watchdog.stop();
  }

  private markSilent(deviceId: string): void {
    const state = this.states.get(deviceId);
    if (!state || state.online === false) return;
    state.online = false;
    this.bus.emit('device.status', { deviceId, homeId: state.homeId, online: false, at: this.clock.now(), reason: 'watchdog' });
  }
}
