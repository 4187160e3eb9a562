/**
 * What a standby writes into the uplink stream and what the leader accepts
 * from it (hub/cluster/uplink-bus.ts; docs/CLUSTER.md "Forwarding to the
 * leader"). Kept apart from the Redis code: a pure codec, both formats.
 *
 * **Batch entries (field `b`, from 2026-12-06).** One stream entry carries
 * the messages a standby forwarded within one event-loop turn (packed by
 * hub/cluster/uplink-packer.ts): one XADD and one entry to parse per turn
 * instead of one per message, which is what the stream cost over pub/sub
 * (docs/PERFORMANCE.md). The value is one JSON array: the sending node's id,
 * then one array per message,
 *   `["node-b", ["telemetry", "br-1", 1733440000000, "<payload base64>"], ["connected", "br-2", 1733440000001]]`
 * — channel (`telemetry`/`status`) or `connected`/`disconnected`, device id,
 * the time the standby received it (ms), and for uplink the payload in
 * base64 (any bytes survive; measured no dearer than UTF-8 text for the
 * bench's JSON payloads, 0.9 µs a message either way). Arrays, not objects:
 * no key names repeated per message, the node named once per entry, and a
 * hand check per message in place of zod (0.3 µs instead of 2.6). A later
 * version may append elements to a message; this one ignores them.
 *
 * Each message is checked on its own: a bad one is refused and counted, the
 * others of its entry are delivered.
 *
 * **Single entries (field `m`, before 2026-12-06)** — one message as a JSON
 * object — are still accepted, so a leader of this version takes what a
 * standby of the previous one sends during a rolling upgrade. A leader of the
 * previous version refuses a batch entry as "entry without a message field"
 * and counts one refused entry: the telemetry in it is lost until the
 * leader is upgraded too (allowed: the next reading replaces it).
 */
import { z } from 'zod';
import { DEVICE_ID_PATTERN } from '../../devices/topics.js';

export type ForwardedMessage =
  | { kind: 'uplink'; node: string; deviceId: string; channel: 'telemetry' | 'status'; payload: Buffer; receivedAt: number }
  | { kind: 'connection'; node: string; deviceId: string; connected: boolean; at: number };

/** The stream entry's field of a batch entry, and of a single (older) one. */
export const BATCH_FIELD = 'b';
export const SINGLE_FIELD = 'm';

/**
 * Longest entry the leader parses (it was the longest message). A
 * standby's entry stays under the packer's size cap (UPLINK_ENTRY_LIMITS in
 * uplink-bus.ts, 128 KiB) or holds one message alone, whose payload the
 * broker's packet limit bounds (16 KiB by default, ~22 KiB in base64): 4 MiB
 * leaves room for a limit raised far past that while bounding what one
 * entry can make the leader parse.
 */
export const MAX_ENTRY_CHARS = 4 * 1024 * 1024;

/** One message as it goes into a batch entry. */
export function encodeItem(message: ForwardedMessage): string {
  if (message.kind === 'uplink') return JSON.stringify([message.channel, message.deviceId, message.receivedAt, message.payload.toString('base64')]);
  return JSON.stringify([message.connected ? 'connected' : 'disconnected', message.deviceId, message.at]);
}

/** A batch entry's value from the node's id and its messages' `encodeItem` texts. */
export function packEntry(node: string, items: readonly string[]): string {
  return `[${JSON.stringify(node)},${items.join(',')}]`;
}

/** What one entry held: its valid messages in order, and a reason for each message (or whole entry) refused. */
export interface DecodedEntry {
  messages: ForwardedMessage[];
  refused: string[];
}

/** An entry's value by its field: `b` a batch, `m` a single message of the older format. */
export function decodeEntry(field: string, text: string): DecodedEntry {
  if (text.length > MAX_ENTRY_CHARS) return refusedEntry(`${text.length} characters, over ${MAX_ENTRY_CHARS}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return refusedEntry('not JSON');
  }
  return field === BATCH_FIELD ? decodeBatch(body) : decodeSingle(body);
}

const refusedEntry = (reason: string): DecodedEntry => ({ messages: [], refused: [reason] });

const isNode = (node: unknown): node is string => typeof node === 'string' && node.length >= 1 && node.length <= 128;

function decodeBatch(body: unknown): DecodedEntry {
  if (!Array.isArray(body) || !isNode(body[0])) return refusedEntry('batch entry without a node id');
  const node = body[0];
  const decoded: DecodedEntry = { messages: [], refused: [] };
  for (let i = 1; i < body.length; i++) {
    const message = decodeItem(node, body[i]);
    if (typeof message === 'string') decoded.refused.push(message);
    else decoded.messages.push(message);
  }
  return decoded;
}

/** zod's z.base64(), by hand: only the alphabet, padding at the end, whole quadruples. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One message of a batch entry, or why it is refused. */
function decodeItem(node: string, item: unknown): ForwardedMessage | string {
  if (!Array.isArray(item)) return 'message not an array';
  const [what, deviceId, at, payload] = item as unknown[];
  if (typeof deviceId !== 'string' || !DEVICE_ID_PATTERN.test(deviceId)) return 'bad device id';
  if (typeof at !== 'number' || !Number.isFinite(at)) return 'bad time';
  if (what === 'telemetry' || what === 'status') {
    if (typeof payload !== 'string' || payload.length % 4 !== 0 || !BASE64.test(payload)) return 'payload not base64';
    return { kind: 'uplink', node, deviceId, channel: what, payload: Buffer.from(payload, 'base64'), receivedAt: at };
  }
  if (what === 'connected' || what === 'disconnected') return { kind: 'connection', node, deviceId, connected: what === 'connected', at };
  return 'unknown kind of message';
}

const node = z.string().min(1).max(128);
const deviceId = z.string().regex(DEVICE_ID_PATTERN);
/** The older single-message format, exactly as that version checked it. */
const singleMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uplink'), node, deviceId, channel: z.enum(['telemetry', 'status']), payload: z.base64(), receivedAt: z.number() }),
  z.object({ kind: z.literal('connection'), node, deviceId, connected: z.boolean(), at: z.number() }),
]);

function decodeSingle(body: unknown): DecodedEntry {
  const parsed = singleMessage.safeParse(body);
  if (!parsed.success) return refusedEntry(parsed.error.issues[0]?.message ?? 'invalid');
  const m = parsed.data;
  return { messages: [m.kind === 'uplink' ? { ...m, payload: Buffer.from(m.payload, 'base64') } : m], refused: [] };
}
