/**
 * What the command outbox (issue 10) must hear from the broker: a device
 * subscribed to its cmd topic, PUBACKed a command, or unsubscribed or left.
 * Kept apart from mqtt-broker.ts, which owns the sockets, so that file stays
 * about connections.
 */
import type { Aedes, Client } from 'aedes';
import { deviceTopic } from '../../devices/topics.js';
import type { Logger } from '../core/logger.js';

/**
 * Who can receive commands right now, for the command outbox (issue 10). The
 * session is the broker's client object: events of an older connection of
 * the same device can be told apart.
 */
export interface CommandLinkEvents {
  /** The device subscribed to its own cmd topic (called after the SUBACK is written). */
  subscribed(deviceId: string, qos: number, session: object): void;
  /** The device PUBACKed a QoS 1 packet. */
  acked(deviceId: string, session: object): void;
  /** The session unsubscribed from its cmd topic or closed. */
  gone(deviceId: string, session: object): void;
}

/** Tells `link` of Aedes' subscribe, unsubscribe and PUBACK events (a close is told by the broker). */
export function followCommandLinks(aedes: Aedes, link: CommandLinkEvents, log: Logger): void {
  const cmdTopic = (client: Client) => deviceTopic(client.id, 'cmd');
  // A device's packet triggers these: nothing it sends may throw out of an Aedes event (DESIGN.md §11).
  const guarded = (what: string, client: Client, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.error({ err, deviceId: client.id, what }, 'command delivery step failed');
    }
  };
  // Aedes emits 'subscribe' after writing the SUBACK, with the granted QoS (128 = refused).
  aedes.on('subscribe', (subs, client) =>
    guarded('subscribe', client, () => {
      const sub = subs.find((s) => s.topic === cmdTopic(client) && (s.qos as number) !== 128);
      if (sub) link.subscribed(client.id, sub.qos, client);
    }),
  );
  aedes.on('unsubscribe', (topics, client) => guarded('unsubscribe', client, () => topics.includes(cmdTopic(client)) && link.gone(client.id, client)));
  // Aedes keeps no copy of what it sends a clean-session client, so its 'ack' does not name the
  // packet: the outbox has one command in flight per device and knows which one it was.
  aedes.on('ack', (_packet, client) => guarded('ack', client, () => link.acked(client.id, client)));
}
