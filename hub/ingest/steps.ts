/**
 * The ingest pipeline as an array of small named steps (aedes
 * lib/handlers/connect.js style): find device → decode →
 * validate → dedupe by seq → update state → emit. A step returns null to go
 * on or a Drop to stop; a dropped message changes nothing else. The topic
 * is parsed once, by the broker's ACL, which hands over the device id and channel.
 */
import { CMD_ACK_EVENT } from '../../devices/capabilities.js';
import { findDeviceKind, type DeviceKind } from '../../devices/catalog.js';
import type { UplinkChannel } from '../../devices/topics.js';
import type { EventBus } from '../core/event-bus.js';
import type { CommandAck, DeviceSignal, DeviceStatusChange, HubEvents } from '../core/hub-events.js';
import type { DeviceRecord, HomeRecord } from '../registry/records.js';
import type { DeviceLiveState, DeviceStateStore } from './device-state.js';
import type { SeqWindow } from './seq-window.js';
import type { Watchdog } from './watchdog.js';

export type DropReason = 'unknown_device' | 'not_json' | 'invalid_payload' | 'duplicate' | 'bad_status';

export interface Drop {
  drop: DropReason;
  detail: string;
}

export interface IngestDeps {
  registry: { getDevice(id: string): DeviceRecord | undefined; getHome(id: string): HomeRecord | undefined };
  states: DeviceStateStore;
  seqWindow: SeqWindow;
  watchdog: Watchdog;
  bus: EventBus<HubEvents>;
}

export interface IngestContext {
  /** From the broker: its ACL already matched the topic to the device's own uplink. */
  deviceId: string;
  channel: UplinkChannel;
  payload: Buffer;
  receivedAt: number;
  device?: DeviceRecord;
  kind?: DeviceKind;
  body?: Record<string, unknown>;
  statusPayload?: 'online' | 'offline';
  state?: DeviceLiveState;
  signal?: DeviceSignal;
  /** An event's key in the seq window (dedupeSeq), to let it in again if what it caused is refused. */
  seqKey?: string;
  /** A `cmd_ack`: for the command outbox, never a signal for the rules (issue 10). */
  commandAck?: CommandAck;
  statusChange?: DeviceStatusChange;
}

export interface IngestStep {
  name: string;
  run(ctx: IngestContext, deps: IngestDeps): Drop | null;
}

const drop = (reason: DropReason, detail: string): Drop => ({ drop: reason, detail });

const findDevice: IngestStep = {
  name: 'findDevice',
  run(ctx, { registry }) {
    const deviceId = ctx.deviceId;
    const device = registry.getDevice(deviceId);
    const kind = device && findDeviceKind(device.kind);
    // A device revoked while connected keeps its socket until kicked: drop what it sends meanwhile.
    if (!device || !kind || device.revokedAt) return drop('unknown_device', deviceId);
    ctx.device = device;
    ctx.kind = kind;
    return null;
  },
};

const decode: IngestStep = {
  name: 'decode',
  run(ctx) {
    const text = ctx.payload.toString('utf8');
    if (ctx.channel === 'status') {
      // The retained status and the last will are plain text, not JSON (PROTOCOL.md).
      if (text !== 'online' && text !== 'offline') return drop('bad_status', text.slice(0, 40));
      ctx.statusPayload = text;
      return null;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return drop('not_json', text.slice(0, 40));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return drop('not_json', 'not a JSON object');
    ctx.body = body as Record<string, unknown>;
    return null;
  },
};

const validate: IngestStep = {
  name: 'validate',
  run(ctx) {
    if (ctx.channel === 'status') return null;
    const kind = ctx.kind!;
    const schema = ctx.channel === 'event' ? kind.eventSchema : kind.telemetrySchema;
    const result = schema.safeParse(ctx.body);
    if (!result.success) {
      const issue = result.error.issues[0];
      return drop('invalid_payload', `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    ctx.body = result.data;
    return null;
  },
};

const dedupeSeq: IngestStep = {
  name: 'dedupeSeq',
  run(ctx, { seqWindow }) {
    // Events only: a repeated telemetry reading is harmless, and letting heartbeats into
    // the window would push out the alarms whose retransmissions it exists to catch.
    if (ctx.channel !== 'event') return null;
    const seq = ctx.body?.seq;
    if (typeof seq !== 'number') return null;
    const ts = typeof ctx.body?.ts === 'number' ? ctx.body.ts : undefined;
    ctx.seqKey = seqWindow.remember(ctx.device!.id, seq, ts);
    return ctx.seqKey === undefined ? drop('duplicate', `seq ${seq}`) : null;
  },
};

/**
 * Presence from one message: any message but an `offline` status is a sign of
 * life (DESIGN.md §3). Returns the status change when the device's online
 * state flips. Shared by the full pipeline and the overload (shed) path.
 */
export function notePresence(
  { states, watchdog }: Pick<IngestDeps, 'states' | 'watchdog'>,
  device: DeviceRecord,
  at: number,
  how: { offline: boolean; reason: DeviceStatusChange['reason'] },
): { state: DeviceLiveState; change: DeviceStatusChange | undefined } {
  const state = states.ensure(device.id, device.homeId, device.kind);
  state.messages++;
  if (!how.offline) {
    state.lastSeen = at;
    watchdog.touch(device.id, at);
  }
  const online = !how.offline;
  if (state.online === online) return { state, change: undefined };
  state.online = online;
  return { state, change: { deviceId: device.id, homeId: device.homeId, online, at, reason: how.reason } };
}

const updateState: IngestStep = {
  name: 'updateState',
  run(ctx, deps) {
    const device = ctx.device!;
    const { states } = deps;
    const { state, change } = notePresence(deps, device, ctx.receivedAt, {
      offline: ctx.statusPayload === 'offline',
      reason: ctx.channel === 'status' ? 'status_topic' : 'message',
    });
    ctx.state = state;
    ctx.statusChange = change;
    const body = ctx.body;
    if (!body) return null;
    const { ts: _ts, seq: _seq, ...values } = body;
    if (ctx.channel === 'event' && body.type === CMD_ACK_EVENT) {
      // A confirmation is a sign of life, but not the resident doing something and never an alarm.
      ctx.commandAck = { deviceId: device.id, homeId: device.homeId, cmdId: String(body.cmdId), at: ctx.receivedAt };
    } else if (ctx.channel === 'telemetry') {
      states.recordTelemetry(state, ctx.receivedAt, values);
      ctx.signal = { channel: 'telemetry', deviceId: device.id, deviceKind: device.kind, homeId: device.homeId, receivedAt: ctx.receivedAt, payload: body, writes: [] };
    } else {
      const type = String(body.type);
      states.recordEvent(state, ctx.receivedAt, type, typeof body.battery === 'number' ? body.battery : undefined);
      ctx.signal = {
        channel: 'event',
        deviceId: device.id,
        deviceKind: device.kind,
        homeId: device.homeId,
        receivedAt: ctx.receivedAt,
        type,
        payload: body as DeviceSignal['payload'] & { type: string },
        alarm: ctx.kind!.alarmEvents.has(type),
        writes: [],
      };
    }
    return null;
  },
};

const emit: IngestStep = {
  name: 'emit',
  run(ctx, { bus }) {
    if (ctx.statusChange) bus.emit('device.status', ctx.statusChange);
    if (ctx.signal) bus.emit('device.signal', ctx.signal);
    if (ctx.commandAck) bus.emit('device.cmd_ack', ctx.commandAck);
    return null;
  },
};

export const INGEST_STEPS: readonly IngestStep[] = [findDevice, decode, validate, dedupeSeq, updateState, emit];
