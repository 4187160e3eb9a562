/**
 * What the hub knows about each device right now, in memory only (DESIGN.md §6:
 * per-message data never goes to lowdb): last seen, online, last values,
 * battery, last event, the payloads it dropped and a bounded ring of readings.
 */
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

export class DeviceStateStore {
  private readonly states = new Map<string, DeviceLiveState>();
  private readonly series = new Map<string, ReadingSeries>();

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
