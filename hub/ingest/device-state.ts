/**
 * What the hub knows about each device right now, in memory only (DESIGN.md §6:
 * per-message data never goes to lowdb): last seen, online, last values,
 * battery, last event and a bounded ring of readings.
 */
import { ReadingRing, type Reading } from './reading-ring.js';
import { ReadingSeries, type SeriesPoint } from './reading-series.js';

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
  dropped: number;
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
        dropped: 0,
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

  readings(deviceId: string): Reading[] {
    return this.states.get(deviceId)?.readings.toArray() ?? [];
  }

  view(deviceId: string): DeviceStateView | undefined {
    const state = this.states.get(deviceId);
    if (!state) return undefined;
    const { readings, ...rest } = state;
    return { ...rest, lastValues: { ...rest.lastValues }, readings: readings.size };
  }

  all(): DeviceLiveState[] {
    return [...this.states.values()];
  }
}
