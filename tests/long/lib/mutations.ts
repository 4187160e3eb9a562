/**
 * Mutated MQTT sessions and JSON payloads for the fuzzer (issue 7 item 3).
 * Every generator is deterministic given its random source, so a failing
 * session can be replayed from its seed.
 */
import mqttPacket, { type Packet } from 'mqtt-packet';
import { seededRandom } from '../../../simulators/household/seeded-random.js';

/** A small seeded PRNG (mulberry32, shared with the household model): reproducible sessions. */
export const prng = seededRandom;

export type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, items: readonly T[]): T => items[int(r, items.length)]!;

export interface Creds {
  id: string;
  secret: string;
}

const gen = (p: Packet) => mqttPacket.generate(p);

export function connectPacket(creds: Creds | undefined, extra: Record<string, unknown> = {}): Buffer {
  return gen({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    clientId: creds?.id ?? 'fuzz',
    ...(creds ? { username: creds.id, password: Buffer.from(creds.secret) } : {}),
    ...extra,
  } as Packet);
}

const VALID_PAYLOADS = [
  '{"type":"sos","seq":1}',
  '{"type":"fall","confidence":0.93,"seq":2,"ts":1700000000000}',
  '{"type":"worn","battery":80}',
  '{"heartRate":72,"spo2":97,"steps":1200,"worn":true,"location":{"room":"kitchen"}}',
  '{"heartRate":130,"battery":55,"location":{"lat":31.2,"lon":121.4,"accuracyM":12}}',
  '{}',
];

const WEIRD_VALUES = ['null', '[]', '{}', '"x"', '1e308', '-1', '1e999', '-0', 'true', '"\\ud800"', `"${'A'.repeat(8_000)}"`, '0.0000001', '9007199254740993'];

/** One mutated JSON payload (a Buffer: some are not even valid UTF-8). */
export function mutatedPayload(r: Rand): Buffer {
  const base = pick(r, VALID_PAYLOADS);
  switch (int(r, 12)) {
    case 0: {
      const b = Buffer.from(base);
      for (let i = 0, n = 1 + int(r, 6); i < n; i++) b[int(r, b.length)]! ^= 1 << int(r, 8);
      return b;
    }
    case 1:
      return Buffer.from(base.slice(0, int(r, base.length)));
    case 2:
      return Buffer.from(`${'['.repeat(1_000 + int(r, 6_000))}${']'.repeat(int(r, 2) ? 7_000 : 0)}`);
    case 3:
      return Buffer.from(`{"type":"sos","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"seq":${int(r, 1e9)}}`);
    case 4: {
      const obj = JSON.parse(base) as Record<string, unknown>;
      const keys = Object.keys(obj);
      const key = keys.length ? pick(r, keys) : 'type';
      return Buffer.from(JSON.stringify(obj).replace(`"${key}":`, `"${key}":${pick(r, WEIRD_VALUES)},"${key}_":`));
    }
    case 5:
      return Buffer.from(`{"type":"sos","type":"fall","seq":${int(r, 100)},"seq":"x"}`);
    case 6:
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(base)]);
    case 7:
      return Buffer.from(base, 'utf16le');
    case 8:
      return Buffer.from(Array.from({ length: int(r, 512) }, () => int(r, 256)));
    case 9:
      return Buffer.from(`{"type":"${pick(r, ['sos', 'fall', 'gas', 'smoke', 'explode', '', 'SOS', 'sos\\u0000'])}","confidence":${pick(r, WEIRD_VALUES)},"battery":${pick(r, WEIRD_VALUES)}}`);
    case 10:
      return Buffer.from(`{"heartRate":${pick(r, WEIRD_VALUES)},"location":${pick(r, ['{"lat":91,"lon":0}', '{"room":""}', '[1,2]', '{"lat":"x"}', 'null'])}}`);
    default:
      return Buffer.from(`${base}${pick(r, ['', ' ', '\n', 'garbage', '}', '{}'])}`);
  }
}

function deepTopic(r: Rand): string {
  const levels = pick(r, [9, 20, 100, 1_000, 5_000]);
  return Array.from({ length: levels }, () => pick(r, ['a', '+', '#', '', 'hc', '$SYS'])).join('/');
}

/** A session: bytes to write, and whether to linger (the connect timeout must close it). */
export interface FuzzSession {
  kind: string;
  chunks: Buffer[];
  /** Needs a valid device's credentials in `chunks` (already included). */
  authenticated: boolean;
}

export const SESSION_KINDS = ['bitflip', 'truncate', 'badLength', 'badFlags', 'deepTopic', 'oversized', 'qos2NoPubrel', 'garbage', 'jsonPayload', 'badConnect'] as const;

export function fuzzSession(r: Rand, creds: Creds): FuzzSession {
  const kind = pick(r, SESSION_KINDS);
  const own = (channel: string) => `hc/v1/${creds.id}/${channel}`;
  const validTail = () => [
    gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: own('cmd'), qos: 1 }] }),
    gen({ cmd: 'publish', topic: own('telemetry'), payload: Buffer.from('{"heartRate":70}'), qos: 1, messageId: 2, retain: false, dup: false }),
    gen({ cmd: 'pingreq' }),
  ];
  switch (kind) {
    case 'bitflip': {
      const bytes = Buffer.concat([connectPacket(creds), ...validTail()]);
      for (let i = 0, n = 1 + int(r, 8); i < n; i++) bytes[int(r, bytes.length)]! ^= 1 << int(r, 8);
      return { kind, chunks: [bytes], authenticated: true };
    }
    case 'truncate': {
      const bytes = Buffer.concat([connectPacket(creds), ...validTail()]);
      return { kind, chunks: [bytes.subarray(0, 1 + int(r, bytes.length - 1))], authenticated: true };
    }
    case 'badLength': {
      const type = pick(r, [0x10, 0x30, 0x32, 0x82, 0xc0, 0xe0]);
      const lengths = [
        [0xff, 0xff, 0xff, 0xff, 0x7f], // five length bytes (MQTT-2.2.3: at most four)
        [0xff, 0xff, 0xff, 0x7f], // 256 MB announced
        [0x80, 0x80, 0x80, 0x80],
        [0x05], // shorter than the body that follows
        [0x7f], // longer than what is sent
      ];
      const prefix = int(r, 2) ? connectPacket(creds) : Buffer.alloc(0);
      return { kind, chunks: [prefix, Buffer.from([type, ...pick(r, lengths)]), Buffer.alloc(int(r, 64), 0x41)], authenticated: prefix.length > 0 };
    }
    case 'badFlags': {
      // Fixed-header flags that MQTT 3.1.1 §2.2.2 forbids for the packet type.
      const variants = [
        () => Buffer.from([0x36, 0x07, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x01]), // PUBLISH QoS 3
        () => Buffer.from([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x01]), // SUBSCRIBE with flags 0
        () => Buffer.from([0x60, 0x02, 0x00, 0x01]), // PUBREL with flags 0
        () => Buffer.from([0xa0, 0x05, 0x00, 0x01, 0x00, 0x01, 0x61]), // UNSUBSCRIBE with flags 0
        () => Buffer.from([0x1f, 0x00]), // CONNECT with flags and no body
        () => Buffer.from([0xf0, 0x00]), // reserved type 15
        () => Buffer.from([0x00, 0x00]), // reserved type 0
        () => {
          const c = connectPacket(creds);
          c[9] = c[9]! | 0x01; // CONNECT reserved flag (MQTT-3.1.2-3)
          return c;
        },
        () => {
          const c = connectPacket(creds);
          c[8] = 3 + int(r, 250); // protocol level other than 4
          return c;
        },
      ];
      const prefix = int(r, 2) ? connectPacket(creds) : Buffer.alloc(0);
      return { kind, chunks: [prefix, pick(r, variants)()], authenticated: prefix.length > 0 };
    }
    case 'deepTopic': {
      const topic = deepTopic(r);
      const chunks = int(r, 3)
        ? [
            connectPacket(creds),
            int(r, 2)
              ? gen({ cmd: 'publish', topic, payload: Buffer.from('{}'), qos: pick(r, [0, 1, 2] as const), messageId: 3, retain: r() < 0.3, dup: false })
              : gen({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic, qos: 1 }] }),
          ]
        : [connectPacket(creds, { will: { topic, payload: Buffer.from('x'), qos: 1, retain: true } })];
      return { kind, chunks, authenticated: true };
    }
    case 'oversized': {
      const announce = pick(r, [17_000, 1 << 20, 200 << 20]);
      const header = Buffer.from([pick(r, [0x10, 0x30, 0x82]), ...encodeLength(announce)]);
      const prefix = int(r, 2) ? connectPacket(creds) : Buffer.alloc(0);
      return { kind, chunks: [prefix, header, Buffer.alloc(Math.min(announce, 20_000 + int(r, 50_000)), 0x42)], authenticated: prefix.length > 0 };
    }
    case 'qos2NoPubrel': {
      const chunks = [connectPacket(creds)];
      for (let i = 0, n = 1 + int(r, 20); i < n; i++) {
        chunks.push(gen({ cmd: 'publish', topic: own(pick(r, ['telemetry', 'event'])), payload: mutatedPayload(r), qos: 2, messageId: 100 + i, retain: false, dup: false }));
      }
      return { kind, chunks, authenticated: true };
    }
    case 'garbage':
      return { kind, chunks: [Buffer.from(Array.from({ length: 1 + int(r, 2_048) }, () => int(r, 256)))], authenticated: false };
    case 'jsonPayload': {
      const chunks = [connectPacket(creds)];
      for (let i = 0, n = 1 + int(r, 10); i < n; i++) {
        chunks.push(gen({ cmd: 'publish', topic: own(pick(r, ['telemetry', 'event', 'status'])), payload: mutatedPayload(r), qos: pick(r, [0, 1] as const), messageId: 200 + i, retain: false, dup: false }));
      }
      return { kind, chunks, authenticated: true };
    }
    case 'badConnect':
    default: {
      const variants: (() => Buffer)[] = [
        () => connectPacket(undefined, { clientId: 'x'.repeat(int(r, 5_000)) }),
        () => connectPacket({ id: creds.id, secret: 'wrong' }),
        () => connectPacket(creds, { clientId: `${creds.id}x` }),
        () => connectPacket(creds, { protocolId: 'MQIsdp', protocolVersion: 3 }),
        () => connectPacket(creds, { keepalive: 0 }),
        () => Buffer.concat([connectPacket(creds), connectPacket(creds)]), // second CONNECT (MQTT-3.1.0-2)
        () => gen({ cmd: 'publish', topic: own('event'), payload: Buffer.from('{"type":"sos"}'), qos: 1, messageId: 1, retain: false, dup: false }), // PUBLISH before CONNECT
      ];
      return { kind, chunks: [pick(r, variants)()], authenticated: false };
    }
  }
}

function encodeLength(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}
