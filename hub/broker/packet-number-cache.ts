/**
 * mqtt-packet, the codec under Aedes (and the heartbeat probe's client),
 * by default fills a cache on the first packet it writes: every one of the
 * 65,536 two-byte numbers (packet ids, lengths) as its own Buffer. That is
 * ~7.4 MB of live heap (65,536 Buffer objects, the array holding them and
 * their backing stores), to save one 2-byte pooled allocation per number
 * written, and on a hub the first packet is written at start: the heartbeat
 * probe's CONNECT and its CONNACK. With 1,000 homes and nothing connected
 * that cache was a third of what the hub had grown beyond the issue-14 budget
 * of 100 MB (docs/PERFORMANCE.md).
 *
 * The switch is mqtt-packet's own and global to the module, which Aedes
 * shares: there is one copy in node_modules. It must be thrown before the
 * first packet is written; once built, the cache would stay.
 */
import mqttPacket from 'mqtt-packet';

export function withoutPacketNumberCache(): void {
  mqttPacket.writeToStream.cacheNumbers = false;
}
