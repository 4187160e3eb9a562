/**
 * The pieces that let the broker take device uplink packets itself (issue 14
 * item 1): the framer must give back every byte it does not take, in order,
 * however the stream is cut; the tap must take only the device's own uplink
 * topics at QoS 0/1 and leave everything else to Aedes.
 */
import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { conformancePolicy, devicePolicy } from '../hub/broker/access-policy.js';
import { PacketFramer } from '../hub/broker/packet-framer.js';
import { UplinkTap } from '../hub/broker/uplink-tap.js';

const registry = { deviceSecretValid: () => true };
const gen = (p: Packet) => mqttPacket.generate(p);
const publish = (topic: string, payload: string | Buffer, qos: 0 | 1 | 2, messageId?: number) =>
  gen({ cmd: 'publish', topic, payload, qos, retain: false, dup: false, ...(messageId !== undefined ? { messageId } : {}) } as Packet);

/** Feeds `stream` cut at `cuts`; returns the packets taken and the bytes passed on. */
function run(stream: Buffer, cuts: number[], take: (packet: Buffer) => boolean): { taken: Buffer[]; passed: Buffer } {
  const framer = new PacketFramer();
  const taken: Buffer[] = [];
  const passed: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    passed.push(...framer.feed(stream.subarray(from, cut), (packet) => (take(packet) ? (taken.push(Buffer.from(packet)), true) : false)));
    from = cut;
  }
  return { taken, passed: Buffer.concat(passed) };
}

describe('PacketFramer', () => {
  const big = 'x'.repeat(300); // a two-byte remaining length
  const packets = [
    gen({ cmd: 'pingreq' }),
    publish('hc/v1/brc-1/telemetry', '{"heartRate":70}', 1, 7),
    gen({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'hc/v1/brc-1/cmd', qos: 1 }] }),
    publish('hc/v1/brc-1/event', big, 1, 8),
    gen({ cmd: 'disconnect' }),
  ];
  const stream = Buffer.concat(packets);
  const isPublish = (p: Buffer) => p[0]! >> 4 === 3;
  const expectedPassed = Buffer.concat(packets.filter((p) => !isPublish(p)));

  it('gives back every byte it does not take, in order, for any cut of the stream', () => {
    const cutsList = [[], Array.from({ length: stream.length - 1 }, (_, i) => i + 1), [1], [2, 3], [25, 26, 200, 201, 202], [stream.length - 1]];
    for (let seed = 1; seed <= 40; seed++) {
      const cuts = new Set<number>();
      for (let i = 0; i < 6; i++) cuts.add(1 + ((seed * 7919 * (i + 1)) % (stream.length - 1)));
      cutsList.push([...cuts].sort((a, b) => a - b));
    }
    for (const cuts of cutsList) {
      const { taken, passed } = run(stream, cuts, isPublish);
      expect(passed.equals(expectedPassed), `cuts ${cuts.join(',')}`).toBe(true);
      expect(taken.map((p) => p.toString('hex'))).toEqual(packets.filter(isPublish).map((p) => p.toString('hex')));
    }
  });

  it('passes everything on when it takes nothing', () => {
    expect(run(stream, [3, 50, 51], () => false).passed.equals(stream)).toBe(true);
  });
});

describe('UplinkTap', () => {
  const tap = new UplinkTap('brc-1', devicePolicy(registry));
  const read = (packet: Buffer) => tap.read(packet, 2 + (packet[1]! & 0x80 ? 1 : 0));

  it('takes the device own event, telemetry and status at QoS 0 and 1', () => {
    expect(read(publish('hc/v1/brc-1/event', '{"type":"sos"}', 1, 9))).toEqual({ channel: 'event', packetId: 9, payload: Buffer.from('{"type":"sos"}') });
    expect(read(publish('hc/v1/brc-1/telemetry', 'abc', 0))).toEqual({ channel: 'telemetry', packetId: 0, payload: Buffer.from('abc') });
    expect(read(publish('hc/v1/brc-1/status', 'online', 1, 65535))?.channel).toBe('status');
  });

  it('leaves to Aedes what the policy refuses, QoS 2, a zero packet id and other packets', () => {
    expect(read(publish('hc/v1/brc-2/event', '{}', 1, 1))).toBeUndefined();
    expect(read(publish('hc/v1/brc-1/cmd', '{}', 1, 1))).toBeUndefined();
    expect(read(publish('hc/v1/brc-1/eventx', '{}', 1, 1))).toBeUndefined();
    expect(read(publish('hc/v1/brc-1/event', '{}', 2, 1))).toBeUndefined();
    const zeroId = publish('hc/v1/brc-1/event', '{}', 1, 1);
    zeroId.writeUInt16BE(0, 2 + 2 + 'hc/v1/brc-1/event'.length);
    expect(read(zeroId)).toBeUndefined();
    expect(read(gen({ cmd: 'pingreq' }))).toBeUndefined();
    // A topic length running past the packet: malformed, Aedes closes the connection.
    const truncated = Buffer.from([0x32, 0x04, 0x00, 0x40, 0x61, 0x62]);
    expect(read(truncated)).toBeUndefined();
  });

  it('takes nothing under the conformance policy', () => {
    expect(new UplinkTap('brc-1', conformancePolicy()).active).toBe(false);
  });
});
