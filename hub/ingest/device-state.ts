/**
 * What the hub knows about each device right now, in memory only (DESIGN.md §6:
 * per-message data never goes to lowdb): last seen, online, last values,
 * battery, last event, the payloads it dropped and a bounded ring of readings.
 */
import type { DeviceStatusChange } from '../core/hub-events.js';
import { ReadingRing, type Reading } from './reading-ring.js';
import { ReadingSeries, type SeriesPoint } from './reading-series.js';

/**
 * Drops that mean the device's firmware sends something wrong (PROTOCOL.md
 * "Bad payloads"), counted per device for the installer. Duplicates are
 * retransmissions the protocol asks for, not faults, so they are not here.
 */
export const BAD_PAYLOAD_REASONS = ['not_json', 'invalid_payload', 'bad_status'] as const;
export type BadPayloadReason = (typeof BAD_PAYLOAD_REASONS)[number];

export interface BadPayload {
  reason: BadPayloadReason;
  /** What was wrong: the schema path and message, or the first characters of what came. */
  detail: string;
  at: number;
}

export interface DeviceLiveState {
  deviceId: string;
  homeId: string;
  kind: string;
  /** null until the first message or the first watchdog verdict after start. */
  online: boolean | null;
  lastSeen: number | undefined;
  battery: number | undefined;
  lastValues: Record<string, unknown>;
  lastEvent: { type: string; at: number } | undefined;
  messages: number;
  badPayloads: number;
  lastBadPayload: BadPayload | undefined;
  readings: ReadingRing;
}

export interface DeviceStateView extends Omit<DeviceLiveState, 'readings'> {
  readings: number;
}

/**
 * A device's live state as its home's owner on another node published it
 * (hub/cluster/device-state-relay.ts). Fields left out are left as they are
 * here; `readings` are the owner's newest since its last message.
 */
export interface RemoteDeviceState {
  deviceId: string;
  homeId: string;
  kind: string;
  online: boolean | null;
  lastSeen?: number | undefined;
  battery?: number | undefined;
  /** The owner's whole `lastValues` (replaces this node's, after `readings` are merged). */
  lastValues?: Record<string, unknown> | undefined;
  lastEvent?: { type: string; at: number } | undefined;
  messages?: number | undefined;
  badPayloads?: number | undefined;
  lastBadPayload?: BadPayload | undefined;
  readings?: readonly Reading[] | undefined;
  /** Every online/offline change the owner made since its last message, in order. */
  transitions?: readonly { online: boolean; at: number; reason: DeviceStatusChange['reason'] }[] | undefined;
}

export class DeviceStateStore {
  private readonly states = new Map<string, DeviceLiveState>();
  private readonly series = new Map<string, ReadingSeries>();
  /** Newest reading time applied from another node, per device: a redelivered older one is not added twice. */
  private readonly remoteReadingAt = new Map<string, number>();

  constructor(private readonly ringCapacity = 256) {}

  ensure(deviceId: string, homeId: string, kind: string): DeviceLiveState {
    let state = this.states.get(deviceId);
    if (!state) {
      state = {
        deviceId,
        homeId,
        kind,
        online: null,
        lastSeen: undefined,
        battery: undefined,
        lastValues: {},
        lastEvent: undefined,
        messages: 0,
        badPayloads: 0,
        lastBadPayload: undefined,
        readings: new ReadingRing(this.ringCapacity),
      };
      this.states.set(deviceId, state);
    }
    return state;
  }

  /** A device moved to another home (a bracelet follows its wearer). */
  rehome(deviceId: string, homeId: string): void {
    const state = this.states.get(deviceId);
    if (state) state.homeId = homeId;
  }

  get(deviceId: string): DeviceLiveState | undefined {
    return this.states.get(deviceId);
  }

  recordTelemetry(state: DeviceLiveState, at: number, values: Record<string, unknown>): void {
    Object.assign(state.lastValues, values);
    if (typeof values.battery === 'number') state.battery = values.battery;
    state.readings.push({ at, values });
    if (typeof values.heartRate === 'number' || typeof values.steps === 'number') {
      let series = this.series.get(state.deviceId);
      if (!series) this.series.set(state.deviceId, (series = new ReadingSeries()));
      series.add(at, values);
    }
  }

  /** The 24 h bucketed series of a device, or an empty list. */
  seriesOf(deviceId: string, from: number, to: number): SeriesPoint[] {
    return this.series.get(deviceId)?.read(from, to) ?? [];
  }

  recordEvent(state: DeviceLiveState, at: number, type: string, battery: number | undefined): void {
    state.lastEvent = { type, at };
    if (battery !== undefined) state.battery = battery;
  }

  /** A payload dropped as bad: counted, and the last one kept, without touching presence (nothing else changes). */
  recordBadPayload(state: DeviceLiveState, bad: BadPayload): void {
    state.badPayloads++;
    state.lastBadPayload = bad;
  }

  /**
   * Applies the live state of a device whose home another node owns (the
   * relay decides that; this method does not ask). Readings newer than the
   * last applied go into the ring, the series and `lastValues` as the
   * owner's ingest put them into its own; the rest is set as the owner has
   * it. Returns each online/offline change this made here, in order: the
   * owner's transitions, then a correction to its current `online` when a
   * change was missed (a late start, a lost message), timed at its last
   * sign of life, reason `message` (online) or `watchdog` (offline).
   */
  applyRemote(remote: RemoteDeviceState): DeviceStatusChange[] {
    const state = this.ensure(remote.deviceId, remote.homeId, remote.kind);
    // The owner's view of where the device lives wins: it decided with its registry.
    if (state.homeId !== remote.homeId) state.homeId = remote.homeId;
    const changes: DeviceStatusChange[] = [];
    const setOnline = (online: boolean, at: number, reason: DeviceStatusChange['reason']) => {
      if (state.online === online) return;
      state.online = online;
      changes.push({ deviceId: state.deviceId, homeId: state.homeId, online, at, reason });
    };
    for (const t of remote.transitions ?? []) setOnline(t.online, t.at, t.reason);
    if (remote.readings && remote.readings.length > 0) {
      let newest = this.remoteReadingAt.get(state.deviceId) ?? Number.NEGATIVE_INFINITY;
      for (const reading of remote.readings) {
        if (reading.at < newest) continue;
        newest = reading.at;
        this.recordTelemetry(state, reading.at, reading.values);
      }
      this.remoteReadingAt.set(state.deviceId, newest);
    }
    if (remote.lastValues) state.lastValues = { ...remote.lastValues };
    if (remote.lastSeen !== undefined && (state.lastSeen === undefined || remote.lastSeen > state.lastSeen)) state.lastSeen = remote.lastSeen;
    if (remote.battery !== undefined) state.battery = remote.battery;
    if (remote.lastEvent) state.lastEvent = { ...remote.lastEvent };
    if (remote.messages !== undefined) state.messages = remote.messages;
    if (remote.badPayloads !== undefined) state.badPayloads = remote.badPayloads;
    if (remote.lastBadPayload) state.lastBadPayload = { ...remote.lastBadPayload };
    if (remote.online !== null) setOnline(remote.online, state.lastSeen ?? 0, remote.online ? 'message' : 'watchdog');
    return changes;
  }

  readings(deviceId: string): Reading[] {
    return this.states.get(deviceId)?.readings.toArray() ?? [];
  }

  view(deviceId: string): DeviceStateView | undefined {
    const state = this.states.get(deviceId);
    if (!state) return undefined;
    const { readings, ...rest } = state;
    return { ...rest, lastValues: { ...rest.lastValues }, lastBadPayload: rest.lastBadPayload && { ...rest.lastBadPayload }, readings: readings.size };
  }

  all(): DeviceLiveState[] {
    return [...this.states.values()];
  }
}
