/**
 * Connections that a device has already replaced with a newer one. When a
 * device connects again while its earlier connection is still open (a
 * bracelet that changed Wi-Fi before the old TCP connection timed out), Aedes
 * closes the earlier one and publishes its will — `offline` on the device's
 * status topic. That will speaks of a connection the device itself left, not
 * of the device: taken in, it raised a `device_offline` alert for a device
 * that had just reconnected, and on a cluster, where the old node closes its
 * connection only when it hears of the new one over Redis, it could arrive
 * *after* the device's first message on the new node and leave a connected
 * device marked offline (docs/CLUSTER.md "Limits"). Such a will is dropped;
 * a device that really goes silent is still caught by its watchdog.
 *
 * A connection whose socket had already ended before the device came back is
 * not superseded: its will is a true "the connection was lost", and the
 * broker finishes that close before the new connection opens (mqtt-broker.ts
 * `finishWaitingClose`).
 */

/** The part of an Aedes client this needs. */
export interface ClosableClient {
  /** Set by Aedes as soon as its close starts; a will is published at the end of a close. */
  closed: boolean;
}

/** The part of an MQEmitter (mqemitter-redis on a cluster) this listens on. */
export interface MessageBus {
  on(topic: string, listener: (packet: { topic: string; payload: unknown }, done: () => void) => void): unknown;
}

/** Aedes announces every new connection on this topic, on every node. */
const NEW_CLIENTS = '$SYS/+/new/clients';

export class SupersededConnections {
  private readonly replaced = new WeakSet<object>();
  /** Wills dropped because their connection had been replaced (/health `mqtt`). */
  dropped = 0;

  /** The device authenticated again while `previous` (its earlier connection here) may still be open. */
  replacedBy(previous: ClosableClient | undefined): void {
    if (previous && !previous.closed) this.replaced.add(previous);
  }

  /**
   * On a cluster: another node announced a new connection of a device that
   * is connected here. Registered before Aedes' own listener for the same
   * topic (which closes the connection here), so the mark is set before the
   * close can publish the will.
   */
  followOtherNodes(bus: MessageBus, ownBrokerId: () => string, localClient: (clientId: string) => ClosableClient | undefined): void {
    bus.on(NEW_CLIENTS, (packet, done) => {
      const announcedBy = packet.topic.split('/')[1];
      const clientId = textOf(packet.payload);
      if (announcedBy !== ownBrokerId() && clientId !== undefined) this.replacedBy(localClient(clientId));
      done();
    });
  }

  /** A publish Aedes asks about for a closed, replaced connection is its will: drop it. */
  isWillOfReplaced(client: ClosableClient): boolean {
    if (!client.closed || !this.replaced.has(client)) return false;
    this.dropped++;
    return true;
  }
}

/** The client id Aedes published (a Buffer; as bytes or text once it has crossed Redis). */
function textOf(payload: unknown): string | undefined {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  return undefined;
}
