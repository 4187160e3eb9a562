/**
 * Online / offline of every registered device: the watchdog declares a device
 * offline after 3 × its heartbeat interval of silence (DESIGN.md §4), and
 * ingest declares it online again on its next message. The interval is the
 * device's own once configured (issue 11, hub/commands/device-config.ts),
 * else its kind's. Across a failover or a restart the watchdogs resume from
 * the pipeline snapshot (watchdog-checkpoint.ts).
 */
import { findDeviceKind } from '../../devices/catalog.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { DeviceRecord } from '../registry/records.js';
import type { DeviceStateStore } from './device-state.js';
import { Watchdog } from './watchdog.js';
import { resumedWatch, silencesAt, type ResumedWatch, type WatchdogCheckpoint } from './watchdog-checkpoint.js';

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
    this.startWatching(device, undefined);
  }

  /**
   * Watches every device at the pipeline's start (`now`: the promotion, or the
   * hub's start): from where `checkpoint` left it when it holds the device,
   * else afresh. Returns how many of each.
   */
  watchAll(devices: Iterable<DeviceRecord>, checkpoint: WatchdogCheckpoint | undefined, now: number): { resumed: number; fresh: number } {
    const counts = { resumed: 0, fresh: 0 };
    // Parsed JSON from a file or a row: anything but an object of entries resumes nobody.
    const silentSec = typeof checkpoint?.silentSec === 'object' && !Array.isArray(checkpoint.silentSec) ? checkpoint.silentSec : undefined;
    for (const device of devices) {
      const resumed = silentSec && Object.hasOwn(silentSec, device.id) ? resumedWatch(silentSec[device.id], this.heartbeatSecOf(device) * 1000, now) : undefined;
      if (this.startWatching(device, resumed)) counts[resumed ? 'resumed' : 'fresh']++;
    }
    return counts;
  }

  /** The watchdogs' part of a checkpoint saved at `savedAt`. */
  checkpoint(savedAt: number): WatchdogCheckpoint {
    return { silentSec: silencesAt(this.watchdog.lastSeenTimes(), savedAt) };
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

  /** Watches a device of a known kind that is not revoked, afresh or `resumed`; false when it is not watched. */
  private startWatching(device: DeviceRecord, resumed: ResumedWatch | undefined): boolean {
    if (!findDeviceKind(device.kind) || device.revokedAt) return false;
    this.states.ensure(device.id, device.homeId, device.kind);
    if (resumed) this.watchdog.resume(device.id, this.timeoutOf(device), resumed.lastSeen, resumed.notBefore);
    else this.watchdog.watch(device.id, this.timeoutOf(device));
    return true;
  }

  private markSilent(deviceId: string): void {
    const state = this.states.get(deviceId);
    if (!state || state.online === false) return;
    state.online = false;
    this.bus.emit('device.status', { deviceId, homeId: state.homeId, online: false, at: this.clock.now(), reason: 'watchdog' });
  }
}
