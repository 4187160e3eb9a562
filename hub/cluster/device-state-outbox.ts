/**
 * The owner's side of the device state relay (device-state-relay.ts), apart
 * from its timers and buses: what a coalescing window gathers of one device
 * (its newest readings, its online/offline changes, in order) and the wire
 * entry a flush or a resync builds from that and the store's state
 * (device-state-wire.ts). Kept apart so the relay's file stays about when
 * and to whom it sends, this one about what travels of a device; nothing
 * here reads a clock, a bus or Redis.
 */
import type { DeviceStatusChange } from '../core/hub-events.js';
import type { DeviceLiveState } from '../ingest/device-state.js';
import { MAX_READINGS, MAX_TRANSITIONS, type WireDevice } from './device-state-wire.js';

/** What the window has gathered of one device since the last flush. */
export interface Pending {
  /** [receivedAt, payload as ingest validated it]: ts and seq are left out when sent. */
  readings: [number, Record<string, unknown>][];
  /** More readings came than are kept: the whole lastValues travels. */
  truncated: boolean;
  transitions: [boolean, number, DeviceStatusChange['reason']][];
}

export function emptyPending(): Pending {
  return { readings: [], truncated: false, transitions: [] };
}

/** A telemetry reading of the window; only the newest MAX_READINGS travel. */
export function addReading(pending: Pending, receivedAt: number, payload: Record<string, unknown>): void {
  const readings = pending.readings;
  readings.push([receivedAt, payload]);
  // Amortized: trimmed to the newest MAX_READINGS once twice as many have come.
  if (readings.length >= 2 * MAX_READINGS) {
    readings.splice(0, readings.length - MAX_READINGS);
    pending.truncated = true;
  }
}

/** An online/offline change of the window; the newest MAX_TRANSITIONS travel, in order. */
export function addTransition(pending: Pending, change: DeviceStatusChange): void {
  pending.transitions.push([change.online, change.at, change.reason]);
  if (pending.transitions.length > MAX_TRANSITIONS) pending.transitions.shift();
}

/** What a delta carries of a device: its state now, the window's readings and changes. */
export function deltaOf(state: DeviceLiveState, pending: Pending): WireDevice {
  const readings = pending.readings.length > MAX_READINGS ? pending.readings.slice(-MAX_READINGS) : pending.readings;
  const truncated = pending.truncated || readings.length < pending.readings.length;
  const device = base(state);
  if (readings.length > 0) device.r = readings.map(([at, payload]) => [at, withoutMessageKey(payload)]);
  // The readings carry every value they changed, unless some were left out.
  if (truncated) device.lv = state.lastValues;
  if (pending.transitions.length > 0) device.st = pending.transitions;
  if (state.badPayloads > 0) {
    device.bp = state.badPayloads;
    if (state.lastBadPayload) device.lbp = state.lastBadPayload;
  }
  return device;
}

/** What a resync carries of a device: everything but readings. */
export function fullOf(state: DeviceLiveState): WireDevice {
  const device = base(state);
  device.lv = state.lastValues;
  device.m = state.messages;
  device.bp = state.badPayloads;
  if (state.lastBadPayload) device.lbp = state.lastBadPayload;
  return device;
}

function base(state: DeviceLiveState): WireDevice {
  const device: WireDevice = { d: state.deviceId, h: state.homeId, k: state.kind, on: state.online };
  if (state.lastSeen !== undefined) device.ls = state.lastSeen;
  if (state.battery !== undefined) device.b = state.battery;
  if (state.lastEvent) device.le = { t: state.lastEvent.type, at: state.lastEvent.at };
  return device;
}

/** A reading's values as the owner's ring holds them (steps.ts leaves out `ts` and `seq`). */
function withoutMessageKey(payload: Record<string, unknown>): Record<string, unknown> {
  if (!('ts' in payload) && !('seq' in payload)) return payload;
  const { ts: _ts, seq: _seq, ...values } = payload;
  return values;
}
