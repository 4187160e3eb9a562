/**
 * The wire format of the device state relay (device-state-relay.ts): what an
 * owner publishes of its devices' live state on the cluster's Redis bus, and
 * how a receiver checks it before anything is applied (DESIGN.md §11:
 * bounded before read, fails closed).
 *
 * One bus message carries one JSON text (`state`), so its size is checked
 * before it is parsed:
 *
 *   { "v": 1, "node": "<owner>", "t": "delta" | "resync", "devices": [ <device>, … ] }
 *   { "v": 1, "node": "<node>",  "t": "sync" }              a node that starts asks for a resync
 *
 * A device, with short keys because a resync carries every owned device:
 *
 *   d  device id        h  home id          k  kind
 *   on online (true, false, null: not known yet)
 *   ls last seen (epoch ms)                 b  battery
 *   lv last values (the owner's whole map)  le last event { t, at }
 *   m  messages         bp bad payloads     lbp last bad payload { reason, detail, at }
 *   r  readings since the last message, oldest first: [at, values]
 *   st online/offline changes since the last message, in order: [online, at, reason]
 *
 * A delta leaves out what did not need to travel (lv when its readings carry
 * every value, the counters); a resync carries no readings nor changes.
 * `v` changes whenever a field changes meaning: a receiver drops (and counts)
 * a version it does not know rather than guess at it.
 */
import { z } from 'zod';
import { BAD_PAYLOAD_REASONS, type RemoteDeviceState } from '../ingest/device-state.js';

export const WIRE_VERSION = 1;
/** The topic on the cluster's bus; mqemitter-redis publishes it under HUB_REDIS_PREFIX. */
export const DEVICE_STATE_TOPIC = '$hub/device-state';

/** A receiver drops any message longer than this (UTF-16 units of the JSON text) unread. */
export const MAX_MESSAGE_CHARS = 256 * 1024;
/** A sender closes a message once it holds this much: well under the receiver's limit. */
export const CHUNK_CHARS = 64 * 1024;
/** One device's entry never exceeds this: larger, its readings (then its last values) are left out. */
export const MAX_DEVICE_CHARS = 16 * 1024;
/** Readings per device per delta: the newest are kept (the values they miss travel in `lv`). */
export const MAX_READINGS = 16;
/** Online/offline changes per device per delta: the latest are kept. */
export const MAX_TRANSITIONS = 16;
const MAX_DEVICES = 4_096;
const MAX_VALUE_KEYS = 64;

const id = z.string().min(1).max(128);
const time = z.number().finite();
const values = z.record(z.string().max(64), z.unknown()).refine((o) => Object.keys(o).length <= MAX_VALUE_KEYS, 'too many values');
const reason = z.enum(['message', 'watchdog', 'status_topic']);

const wireDevice = z.object({
  d: id,
  h: id,
  k: z.string().min(1).max(64),
  on: z.boolean().nullable(),
  ls: time.optional(),
  b: z.number().finite().optional(),
  lv: values.optional(),
  le: z.object({ t: z.string().max(64), at: time }).optional(),
  m: z.number().int().nonnegative().optional(),
  bp: z.number().int().nonnegative().optional(),
  lbp: z.object({ reason: z.enum(BAD_PAYLOAD_REASONS), detail: z.string().max(200), at: time }).optional(),
  r: z.array(z.tuple([time, values])).max(MAX_READINGS).optional(),
  st: z.array(z.tuple([z.boolean(), time, reason])).max(MAX_TRANSITIONS).optional(),
});
export type WireDevice = z.infer<typeof wireDevice>;

const wireMessage = z.discriminatedUnion('t', [
  z.object({ v: z.literal(WIRE_VERSION), node: id, t: z.literal('delta'), devices: z.array(wireDevice).max(MAX_DEVICES) }),
  z.object({ v: z.literal(WIRE_VERSION), node: id, t: z.literal('resync'), devices: z.array(wireDevice).max(MAX_DEVICES) }),
  z.object({ v: z.literal(WIRE_VERSION), node: id, t: z.literal('sync') }),
]);
export type WireMessage = z.infer<typeof wireMessage>;

export type WireDrop = 'malformed' | 'oversized' | 'version';
export type Decoded = { ok: true; message: WireMessage } | { ok: false; drop: WireDrop; detail: string };

/** A bus message's `state` field, checked: size first, then JSON, version and schema. Never throws. */
export function decodeMessage(state: unknown): Decoded {
  if (typeof state !== 'string') return { ok: false, drop: 'malformed', detail: `state is ${state === null ? 'null' : typeof state}` };
  if (state.length > MAX_MESSAGE_CHARS) return { ok: false, drop: 'oversized', detail: `${state.length} chars` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(state);
  } catch {
    return { ok: false, drop: 'malformed', detail: 'not JSON' };
  }
  const v = typeof parsed === 'object' && parsed !== null ? (parsed as { v?: unknown }).v : undefined;
  if (v !== WIRE_VERSION) return { ok: false, drop: typeof v === 'number' ? 'version' : 'malformed', detail: `v ${String(v)}` };
  const result = wireMessage.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, drop: 'malformed', detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, message: result.data };
}

/** What a receiver's store applies (DeviceStateStore.applyRemote). */
export function remoteStateOf(w: WireDevice): RemoteDeviceState {
  return {
    deviceId: w.d,
    homeId: w.h,
    kind: w.k,
    online: w.on,
    lastSeen: w.ls,
    battery: w.b,
    lastValues: w.lv,
    lastEvent: w.le && { type: w.le.t, at: w.le.at },
    messages: w.m,
    badPayloads: w.bp,
    lastBadPayload: w.lbp,
    readings: w.r?.map(([at, v]) => ({ at, values: v })),
    transitions: w.st?.map(([online, at, why]) => ({ online, at, reason: why })),
  };
}

/**
 * One device's entry as JSON, within MAX_DEVICE_CHARS: without its readings
 * (then its changes, then its last values) when larger; undefined when even
 * the bare state is too large (ids at their limits cannot be: it is a guard).
 */
export function encodeDevice(device: WireDevice): string | undefined {
  let text = JSON.stringify(device);
  if (text.length <= MAX_DEVICE_CHARS) return text;
  const { r: _r, ...withoutReadings } = device;
  text = JSON.stringify(withoutReadings);
  if (text.length <= MAX_DEVICE_CHARS) return text;
  const { lv: _lv, ...bare } = withoutReadings;
  text = JSON.stringify(bare);
  return text.length <= MAX_DEVICE_CHARS ? text : undefined;
}

/**
 * The devices' entries packed into as few messages as fit CHUNK_CHARS each
 * (each entry at most MAX_DEVICE_CHARS, so a message stays under
 * MAX_MESSAGE_CHARS). Built by concatenation: every entry is serialized once.
 */
export function packMessages(node: string, t: 'delta' | 'resync', entries: readonly string[], chunkChars = CHUNK_CHARS): string[] {
  const head = `{"v":${WIRE_VERSION},"node":${JSON.stringify(node)},"t":"${t}","devices":[`;
  const out: string[] = [];
  let parts: string[] = [];
  let size = head.length + 2;
  for (const entry of entries) {
    if (parts.length > 0 && (size + entry.length + 1 > chunkChars || parts.length >= MAX_DEVICES)) {
      out.push(`${head}${parts.join(',')}]}`);
      parts = [];
      size = head.length + 2;
    }
    parts.push(entry);
    size += entry.length + 1;
  }
  if (parts.length > 0) out.push(`${head}${parts.join(',')}]}`);
  return out;
}

export function syncMessage(node: string): string {
  return JSON.stringify({ v: WIRE_VERSION, node, t: 'sync' });
}
