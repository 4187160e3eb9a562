/** The byte-stream guard in front of Aedes, packet by packet and across chunk boundaries. */
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { PacketGuard } from '../hub/broker/packet-guard.js';
import { RateLimiter } from '../hub/broker/rate-limiter.js';

const limits = { maxPacketBytes: 1024, preConnackBytes: 4096 };
const publish = (bytes: number) =>
  mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes), qos: 0, retain: false, dup: false, messageId: 0 });

/** A PUBLISH whose encoded size is exactly `total` bytes. */
function publishOfSize(total: number): Buffer {
  for (let payload = total; payload >= 0; payload--) {
    const packet = publish(payload);
    if (packet.length === total) return packet;
  }
  throw new Error(`no PUBLISH of ${total} bytes`);
}

/** `n` PINGREQ packets (2 bytes each). */
const pingreqs = (n: number) => Buffer.concat(Array.from({ length: n }, () => mqttPacket.generate({ cmd: 'pingreq' })));

describe('PacketGuard', () => {
  it('accepts a packet of exactly the limit and refuses one byte more', () => {
    const guard = new PacketGuard(limits);
    guard.markAuthenticated();
    expect(guard.feed(publishOfSize(1024))).toBeNull();
    expect(guard.feed(publishOfSize(1025))).toEqual({ reason: 'packet_too_large', bytes: 1025, limit: 1024 });
  });

  it('judges a packet from its header alone, even when the body has not arrived', () => {
    const guard = new PacketGuard({ ...limits, preConnackBytes: 1e9 });
    // PUBLISH announcing 200 MiB, only the fixed header sent.
    expect(guard.feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x64]))).toMatchObject({ reason: 'packet_too_large' });
  });

  it('follows packets split at every possible chunk boundary', () => {
    const stream = Buffer.concat([publish(10), publish(300), mqttPacket.generate({ cmd: 'pingreq' }), publish(900)]);
    for (let cut = 1; cut < stream.length; cut++) {
      const guard = new PacketGuard({ ...limits, preConnackBytes: 1e9 });
      expect(guard.feed(stream.subarray(0, cut))).toBeNull();
      expect(guard.feed(stream.subarray(cut))).toBeNull();
    }
    const bad = Buffer.concat([stream, publish(2000)]);
    const guard = new PacketGuard({ ...limits, preConnackBytes: 1e9 });
    let violation = null;
    for (const byte of bad) violation ??= guard.feed(Buffer.from([byte]));
    expect(violation).toMatchObject({ reason: 'packet_too_large' });
  });

  it('refuses a remaining length longer than four bytes (MQTT-2.2.3)', () => {
    const guard = new PacketGuard({ maxPacketBytes: 1e9, preConnackBytes: 1e9 });
    expect(guard.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toEqual({ reason: 'malformed_length' });
  });

  it('counts every byte before authentication against the budget, and none after', () => {
    const guard = new PacketGuard(limits);
    expect(guard.feed(pingreqs(2048))).toBeNull(); // exactly the 4096-byte budget
    expect(guard.feed(Buffer.from([0xc0, 0x00]))).toEqual({ reason: 'pre_connack_budget', bytes: 4098, limit: 4096 });
    const authed = new PacketGuard(limits);
    authed.markAuthenticated();
    for (let i = 0; i < 10; i++) expect(authed.feed(pingreqs(2048))).toBeNull();
  });
});

describe('RateLimiter', () => {
  it('allows the burst, then the rate, per key', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 4, () => now);
    expect([1, 2, 3, 4, 5].map(() => limiter.take('a'))).toEqual([true, true, true, true, false]);
    expect(limiter.take('b')).toBe(true);
    now += 500;
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
  });

  it('forgets keys that have refilled so the map does not grow without bound', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 10, () => now);
    for (let i = 0; i < 1000; i++) limiter.take(`ip-${i}`);
    expect(limiter.size).toBe(1000);
    now += 5_000;
    limiter.take('fresh');
    expect(limiter.size).toBe(1);
  });

  it('keeps an empty bucket while it refills, whatever happens to the connection', () => {
    let now = 0;
    const limiter = new RateLimiter(20, 100, () => now);
    for (let i = 0; i < 100; i++) limiter.take('dev');
    now += 2_000; // the sweep runs, but this bucket is not full again yet (5 s)
    limiter.take('other');
    expect(limiter.size).toBe(2);
    expect(Array.from({ length: 41 }, () => limiter.take('dev')).filter(Boolean)).toHaveLength(40);
  });

  it('holds at most maxKeys buckets, dropping the least recently used (order kept to within a second)', () => {
    let now = 0;
    // A negligible refill: what is left in a bucket shows whether it was kept or dropped.
    const limiter = new RateLimiter(0.001, 3, () => now, 3);
    for (const key of ['a', 'b', 'c']) limiter.take(key);
    now = 1_000;
    limiter.take('a'); // a is now the most recently used; b is the oldest
    limiter.take('d');
    expect(limiter.size).toBe(3);
    // a kept its state (1 token left); b was dropped and starts full again.
    expect([limiter.take('a'), limiter.take('a')]).toEqual([true, false]);
    expect([limiter.take('b'), limiter.take('b'), limiter.take('b'), limiter.take('b')]).toEqual([true, true, true, false]);
  });
});
