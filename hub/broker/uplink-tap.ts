/**
 * Recognises the PUBLISH packets a connected device sends to its own uplink
 * topics (event, telemetry, status), which the hub consumes itself: nothing
 * else subscribes to them (a device may subscribe only to its own cmd topic,
 * DESIGN.md §3), so Aedes' parsing, routing and per-connection queue add
 * nothing but cost and delay (issue 14 item 1).
 *
 * Which topics those are is asked of the access policy once per connection,
 * so the policy stays the one authority: a topic it refuses, or one that is
 * not an uplink, is never taken here and Aedes refuses or routes it as before.
 * QoS 2 and malformed packets are left to Aedes too.
 */
import { deviceTopic, UPLINK_CHANNELS, type UplinkChannel } from '../../devices/topics.js';
import type { AccessPolicy } from './access-policy.js';

export interface UplinkPublish {
  channel: UplinkChannel;
  /** The QoS 1 packet identifier its PUBACK echoes; 0 for QoS 0 (no PUBACK), so no separate QoS field. */
  packetId: number;
  payload: Buffer;
}

const PUBLISH = 3;

/** Each channel name as bytes, shared by every connection. */
const CHANNEL_BYTES = new Map<UplinkChannel, Buffer>(UPLINK_CHANNELS.map((c) => [c, Buffer.from(c, 'utf8')]));
/** The channel lists of all connections, one array per distinct list (in practice one or two). */
const CHANNEL_LISTS = new Map<string, readonly UplinkChannel[]>();

/**
 * One per connection, so it keeps only what differs between devices: the
 * topics' common prefix ("hc/v1/<device>/") as one buffer, and an array of
 * channels shared with every other device allowed the same ones (issue 14
 * item 3: a buffer and an object per topic cost ~350 bytes per idle device).
 */
export class UplinkTap {
  private readonly prefix: Buffer;
  private readonly channels: readonly UplinkChannel[];

  constructor(readonly deviceId: string, policy: AccessPolicy) {
    const channels: UplinkChannel[] = [];
    let prefix = '';
    for (const channel of UPLINK_CHANNELS) {
      const topic = deviceTopic(deviceId, channel);
      const decision = policy.publish(deviceId, topic);
      if (!decision.ok || decision.channel !== channel || !topic.endsWith(`/${channel}`)) continue;
      const own = topic.slice(0, topic.length - channel.length);
      // Topics that do not share one prefix would need a buffer each: such a channel stays Aedes'.
      if (prefix !== '' && own !== prefix) continue;
      prefix = own;
      channels.push(channel);
    }
    this.prefix = Buffer.from(prefix, 'utf8');
    const key = channels.join('/');
    this.channels = CHANNEL_LISTS.get(key) ?? CHANNEL_LISTS.set(key, channels).get(key)!;
  }

  /** Whether this connection has any uplink topic the hub consumes itself. */
  get active(): boolean {
    return this.channels.length > 0;
  }

  /** The uplink message in one whole packet, or undefined when Aedes should have it. */
  read(packet: Buffer, headerBytes: number): UplinkPublish | undefined {
    const first = packet[0]!;
    if (first >> 4 !== PUBLISH) return undefined;
    const qos = (first >> 1) & 3;
    if (qos > 1) return undefined; // QoS 2 (and the reserved 3) are left to Aedes
    let at = headerBytes;
    if (at + 2 > packet.length) return undefined;
    const topicLength = packet.readUInt16BE(at);
    at += 2;
    const channel = this.channelOf(packet, at, topicLength);
    if (channel === undefined) return undefined;
    at += topicLength;
    let packetId = 0;
    if (qos === 1) {
      if (at + 2 > packet.length) return undefined;
      packetId = packet.readUInt16BE(at);
      // MQTT-2.3.1-1: a QoS 1 PUBLISH carries a non-zero identifier; Aedes rejects the rest.
      if (packetId === 0) return undefined;
      at += 2;
    }
    return { channel, packetId, payload: packet.subarray(at) };
  }

  private channelOf(packet: Buffer, at: number, length: number): UplinkChannel | undefined {
    const prefix = this.prefix;
    const rest = length - prefix.length;
    if (rest <= 0 || at + length > packet.length) return undefined;
    if (packet.compare(prefix, 0, prefix.length, at, at + prefix.length) !== 0) return undefined;
    const suffixAt = at + prefix.length;
    for (const channel of this.channels) {
      const bytes = CHANNEL_BYTES.get(channel)!;
      if (bytes.length === rest && packet.compare(bytes, 0, rest, suffixAt, suffixAt + rest) === 0) return channel;
    }
    return undefined;
  }
}
