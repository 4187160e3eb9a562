/**
 * Online / offline of every registered device: the watchdog declares a device
 * offline after 3 × its heartbeat interval of silence (DESIGN.md §4), and
 * ingest declares it online again on its next message. The interval is the
 * device's own once configured (issue 11, hub/commands/device-config.ts),
 * else its kind's. Across a failover or a restart the watchdogs resume from
 * the pipeline snapshot (watchdog-checkpoint.ts).
 *
 * In a cluster only the owner of a home's partition watches its devices
 * (issue 12 step 3, docs/CLUSTER.md "Step 3, service by service"): the
 * presence asks its `PartitionOwnership`, watches only owned homes' devices,
 * starts watching a partition's devices when it is gained (resumed from the
 * previous owner's checkpoint of that partition when the hand-over has one)
 * and forgets them when it is lost, without declaring anyone offline — the
 * new owner watches them, and a verdict from here would be a second one.
 */
import { findDeviceKind } from '../../devices/catalog.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import { partitionOfHome } from '../core/partitions.js';
import type { DeviceRecord } from '../registry/records.js';
import type { DeviceStateStore } from './device-state.js';
import { Watchdog } from './watchdog.js';
import { resumedWatch, silencesAt, type ResumedWatch, type WatchdogCheckpoint } from './watchdog-checkpoint.js';

export const HEARTBEATS_BEFORE_OFFLINE = 3;

/**
 * Where a node's share of the homes comes from, and what it needs when that
 * share grows (issue 12 step 3). A hub alone and the cluster's leader own
 * everything and need neither source.
 */
export interface PresencePartitions {
  ownership: PartitionOwnership;
  /** Every registered device (the registry's list): a gained partition's devices are picked from it. */
  devices?: () => Iterable<DeviceRecord>;
  /**
   * The previous owner's checkpoint of partitions just gained, read by whoever
   * took their leases BEFORE it called `gain` (the listener cannot wait for a
   * database); undefined: those devices are watched afresh.
   */
  handOver?: (partitions: readonly number[]) => WatchdogCheckpoint | undefined;
}

export class DevicePresence {
  readonly watchdog: Watchdog;
  private readonly ownership: PartitionOwnership;
  private following: (() => void)[] = [];

  constructor(
    private readonly states: DeviceStateStore,
    private readonly bus: EventBus<HubEvents>,
    private readonly clock: Clock,
    /** The device's heartbeat interval in seconds; default: its configured one, else its kind's. */
    private readonly heartbeatSecOf: (device: DeviceRecord) => number = (device) => device.heartbeatSec ?? findDeviceKind(device.kind)?.heartbeatSec ?? 60,
    private readonly partitions: PresencePartitions = { ownership: OWNS_EVERYTHING },
  ) {
    this.watchdog = new Watchdog(clock, (deviceId) => this.markSilent(deviceId));
    this.ownership = partitions.ownership;
  }

  /** Starts watching a device of a home this node owns; it has 3 heartbeats from now to say something. */
  watch(device: DeviceRecord): void {
    if (this.ownership.owns(device.homeId)) this.startWatching(device, undefined);
  }

  /**
   * Watches every device of the homes this node owns at the pipeline's start
   * (`now`: the promotion, or the hub's start): from where `checkpoint` left
   * it when it holds the device, else afresh. Returns how many of each. From
   * then on the presence follows the ownership: partitions gained are
   * watched (`resumePartitions`), partitions lost forgotten
   * (`forgetPartitions`), until `stop()`.
   */
  watchAll(devices: Iterable<DeviceRecord>, checkpoint: WatchdogCheckpoint | undefined, now: number): { resumed: number; fresh: number } {
    this.followOwnership();
    return this.watchFrom(devices, checkpoint, now, (device) => this.ownership.owns(device.homeId));
  }

  /**
   * Watches the devices of partitions just gained, from `checkpoint` (the
   * previous owner's slice of those partitions) when it holds the device,
   * else afresh; devices of other partitions in `devices` are left alone.
   * The reconnect grace counts from `now`, as at a promotion: nobody heard
   * these devices between the previous owner's checkpoint and this hand-over.
   */
  resumePartitions(partitions: readonly number[], devices: Iterable<DeviceRecord>, checkpoint: WatchdogCheckpoint | undefined, now: number): { resumed: number; fresh: number } {
    const gained = new Set(partitions);
    return this.watchFrom(devices, checkpoint, now, (device) => gained.has(partitionOfHome(device.homeId)) && this.ownership.owns(device.homeId));
  }

  /**
   * Stops watching the devices of partitions just lost, WITHOUT declaring any
   * offline: their new owner watches them now. Returns how many were dropped.
   */
  forgetPartitions(partitions: readonly number[]): number {
    const lost = new Set(partitions);
    const dropped = this.watchedIn(lost);
    for (const deviceId of dropped) this.watchdog.unwatch(deviceId);
    return dropped.length;
  }

  /**
   * A device moved to another home (after DeviceStateStore.rehome): still
   * watched when its new home is owned here (same last sign of life), no
   * longer when it is not (the new home's owner watches it), watched afresh
   * when it came from a home of another node.
   */
  moved(device: DeviceRecord): void {
    if (!this.ownership.owns(device.homeId)) this.watchdog.unwatch(device.id);
    else if (!this.watchdog.isWatching(device.id)) this.startWatching(device, undefined);
  }

  /**
   * The watchdogs' part of a checkpoint saved at `savedAt`; with `partitions`,
   * only the devices of those partitions' homes (an owner saves its own).
   */
  checkpoint(savedAt: number, partitions?: Iterable<number>): WatchdogCheckpoint {
    if (partitions === undefined) return { silentSec: silencesAt(this.watchdog.lastSeenTimes(), savedAt) };
    const wanted = new Set(partitions);
    const inWanted = [...this.watchdog.lastSeenTimes()].filter(([deviceId]) => this.isIn(deviceId, wanted));
    return { silentSec: silencesAt(inWanted, savedAt) };
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
    for (const off of this.following) off();
    this.following = [];
    this.watchdog.stop();
  }

  /** Subscribes once to the ownership's changes (a no-op for OWNS_EVERYTHING, which never changes). */
  private followOwnership(): void {
    if (this.following.length > 0) return;
    this.following = [
      this.ownership.onGained((gained) => {
        const devices = this.partitions.devices?.() ?? [];
        this.resumePartitions(gained, devices, this.partitions.handOver?.(gained), this.clock.now());
      }),
      this.ownership.onLost((lost) => void this.forgetPartitions(lost)),
    ];
  }

  private watchFrom(devices: Iterable<DeviceRecord>, checkpoint: WatchdogCheckpoint | undefined, now: number, wanted: (device: DeviceRecord) => boolean): { resumed: number; fresh: number } {
    const counts = { resumed: 0, fresh: 0 };
    // Parsed JSON from a file or a row: anything but an object of entries resumes nobody.
    const silentSec = typeof checkpoint?.silentSec === 'object' && checkpoint.silentSec !== null && !Array.isArray(checkpoint.silentSec) ? checkpoint.silentSec : undefined;
    for (const device of devices) {
      if (!wanted(device)) continue;
      const resumed = silentSec && Object.hasOwn(silentSec, device.id) ? resumedWatch(silentSec[device.id], this.heartbeatSecOf(device) * 1000, now) : undefined;
      if (this.startWatching(device, resumed)) counts[resumed ? 'resumed' : 'fresh']++;
    }
    return counts;
  }

  /** Watched devices whose home (as the live state knows it, moves included) is in `partitions`. */
  private watchedIn(partitions: ReadonlySet<number>): string[] {
    return [...this.watchdog.lastSeenTimes()].map(([deviceId]) => deviceId).filter((deviceId) => this.isIn(deviceId, partitions));
  }

  private isIn(deviceId: string, partitions: ReadonlySet<number>): boolean {
    const homeId = this.states.get(deviceId)?.homeId;
    return homeId !== undefined && partitions.has(partitionOfHome(homeId));
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
    // Its home is another node's now (a loss not yet heard, a move): that node decides, not this one.
    if (!this.ownership.owns(state.homeId)) {
      this.watchdog.unwatch(deviceId);
      return;
    }
    state.online = false;
    this.bus.emit('device.status', { deviceId, homeId: state.homeId, online: false, at: this.clock.now(), reason: 'watchdog' });
  }
}
