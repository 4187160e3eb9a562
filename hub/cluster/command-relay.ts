/**
 * Commands to a device connected to another node (issue 12 item 1).
 *
 * Aedes routes the command itself: a publish on `hc/v1/<id>/cmd` on node B
 * goes through Redis to the node A where the device holds its subscription.
 * What Aedes cannot tell B is what its command outbox waits on (issue 10):
 * that the device is subscribed (on A), that it PUBACKed (on A), that it
 * sent its `cmd_ack` (ingested on A). This relay carries those over the same
 * Redis bus, so B's outbox sees a device on A as if it were local:
 *
 * - A's broker events go to A's outbox as before, and to every other node
 *   as `subscribed` / `acked` / `gone`, naming A's connection (`conn`); the
 *   receiver stands in one token object per remote connection, so a late
 *   event of an older connection is ignored just as for local ones.
 *   `gone` goes out only for a connection that was announced `subscribed`:
 *   no other node can hold a link to any other, and a mass disconnect of
 *   devices that never subscribed cost a leader 12 % of its CPU in `gone`s.
 * - A's `device.cmd_ack` events are emitted on the other nodes' buses.
 * - A node that starts asks (`sync`) and the others re-announce their links:
 *   a command queued on it for an already connected device goes out at once.
 * - A node silent for three Aedes heartbeats is dead: its devices' links are
 *   dropped (they come back when the devices reconnect elsewhere).
 * - `disconnect` (a revoked secret) closes the device on whichever node.
 *
 * Until homes have owners (issue 12 item 2) each node keeps the outboxes of
 * the commands queued on it; the outbox's one-command-in-flight rule then
 * holds per node, not per device.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CommandLinkEvents } from '../broker/mqtt-broker.js';
import type { EventBus } from '../core/event-bus.js';
import type { CommandAck, HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { Message } from 'mqemitter';

export const RELAY_TOPIC = '$hub/commands';
const HEARTBEAT_TOPIC = '$SYS/+/heartbeat';

const id = z.string().min(1).max(128);
const relayMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('subscribed'), node: id, deviceId: id, conn: id, qos: z.number().int().min(0).max(2) }),
  z.object({ kind: z.literal('acked'), node: id, deviceId: id, conn: id }),
  z.object({ kind: z.literal('gone'), node: id, deviceId: id, conn: id }),
  z.object({ kind: z.literal('cmd_ack'), node: id, ack: z.object({ deviceId: id, homeId: id, cmdId: z.string().max(256), at: z.number() }) }),
  z.object({ kind: z.literal('disconnect'), node: id, deviceId: id }),
  z.object({ kind: z.literal('sync'), node: id }),
]);
type RelayMessage = z.infer<typeof relayMessage>;
type Outgoing = RelayMessage extends infer M ? (M extends RelayMessage ? Omit<M, 'node'> : never) : never;

/** The part of an mqemitter the relay uses (in the hub: the SplitEmitter Aedes routes through). */
interface RelayBus {
  on(topic: string, listener: (message: Message, done: () => void) => void): unknown;
  emit(message: Message, done?: (error?: Error) => void): void;
}

export interface CommandRelayDeps {
  nodeId: string;
  /** The node's own command outbox. */
  outbox: CommandLinkEvents;
  bus: EventBus<HubEvents>;
  /** Closes the device's connection on this node, if it has one. */
  disconnectLocal(deviceId: string): boolean;
  /** Aedes' heartbeat interval: a peer silent for three is dead. */
  heartbeatIntervalMs: number;
  log: Logger;
  now?: () => number;
}

interface LocalLink {
  conn: string;
  qos: number;
  session: object;
}

interface RemoteLink {
  key: string;
  node: string;
  token: object;
}

export class CommandRelay implements CommandLinkEvents {
  /** This node's devices subscribed to their cmd topic (for `sync`, and to fall back on). */
  private readonly localLinks = new Map<string, LocalLink>();
  private readonly connIds = new WeakMap<object, string>();
  /** This node's sessions announced `subscribed` and not yet `gone`: the only ones another node may hold. */
  private readonly announced = new WeakSet<object>();
  /** Connection ids are `<boot>-<n>`: a restarted node with the same HUB_NODE_ID must not repeat one. */
  private readonly boot = randomBytes(4).toString('hex');
  private connCounter = 0;
  /** Devices subscribed on other nodes. */
  private readonly remote = new Map<string, RemoteLink>();
  /** The session the outbox was last told a device is subscribed with. */
  private readonly told = new Map<string, object>();
  private readonly peers = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private offBus: (() => void) | undefined;
  /** True while a peer's cmd_ack is emitted here: it must not go back out. */
  private relaying = false;
  private mq: RelayBus | undefined;

  constructor(private readonly deps: CommandRelayDeps) {}

  /** Starts on the bus Aedes will route through (opened by the cluster node just before). */
  start(mq: RelayBus): void {
    const { bus, heartbeatIntervalMs } = this.deps;
    this.mq = mq;
    mq.on(RELAY_TOPIC, (packet, done) => {
      this.receive(packet['relay']);
      done();
    });
    mq.on(HEARTBEAT_TOPIC, (packet, done) => {
      this.seen(String(packet['payload']));
      done();
    });
    this.offBus = bus.on('device.cmd_ack', (ack) => {
      if (!this.relaying) this.send({ kind: 'cmd_ack', ack: { deviceId: ack.deviceId, homeId: ack.homeId, cmdId: ack.cmdId, at: ack.at } });
    });
    this.sweepTimer = setInterval(() => this.sweep(), heartbeatIntervalMs);
    this.sweepTimer.unref();
    this.send({ kind: 'sync' });
  }

  /** Listeners on the shared bus end with it (Aedes closes it when the broker stops). */
  stop(): void {
    this.mq = undefined;
    this.offBus?.();
    clearInterval(this.sweepTimer);
  }

  /** Closes the device's connection here and on every other node. */
  disconnect(deviceId: string): boolean {
    this.send({ kind: 'disconnect', deviceId });
    return this.deps.disconnectLocal(deviceId);
  }

  /** Whether a device is subscribed on another node (tests, /health later). */
  remoteLinks(): number {
    return this.remote.size;
  }

  // ── this node's broker events (CommandLinkEvents) ─────────────────────────

  subscribed(deviceId: string, qos: number, session: object): void {
    const conn = this.connOf(session);
    this.localLinks.set(deviceId, { conn, qos, session });
    this.tell(deviceId, qos, session);
    this.announced.add(session);
    this.send({ kind: 'subscribed', deviceId, conn, qos });
  }

  acked(deviceId: string, session: object): void {
    this.deps.outbox.acked(deviceId, session);
    this.send({ kind: 'acked', deviceId, conn: this.connOf(session) });
  }

  gone(deviceId: string, session: object): void {
    // A session that never subscribed (nor PUBACKed) has no conn id, and gets none now.
    const conn = this.connIds.get(session);
    if (conn !== undefined && this.localLinks.get(deviceId)?.conn === conn) this.localLinks.delete(deviceId);
    if (this.told.get(deviceId) === session) this.told.delete(deviceId);
    this.deps.outbox.gone(deviceId, session);
    // A remote link is made only from a `subscribed` naming this conn (sent above or re-sent by
    // `sync` from localLinks, both after `announced.add`); without one every node ignores `gone`.
    if (conn === undefined || !this.announced.delete(session)) return;
    this.send({ kind: 'gone', deviceId, conn });
  }

  // ── other nodes' messages ────────────────────────────────────────────────

  private receive(raw: unknown): void {
    const parsed = relayMessage.safeParse(raw);
    if (!parsed.success) {
      this.deps.log.warn({ issues: parsed.error.issues.slice(0, 3) }, 'command relay: malformed message dropped');
      return;
    }
    const message = parsed.data;
    if (message.node === this.deps.nodeId || !this.mq) return; // Redis echoes our own messages back
    this.seen(message.node);
    this.apply(message);
  }

  private apply(message: RelayMessage): void {
    const { outbox } = this.deps;
    switch (message.kind) {
      case 'subscribed': {
        const key = `${message.node}/${message.conn}`;
        if (this.remote.get(message.deviceId)?.key === key) return; // a re-announcement (sync)
        const link = { key, node: message.node, token: { remote: key } };
        this.remote.set(message.deviceId, link);
        this.tell(message.deviceId, message.qos, link.token);
        return;
      }
      case 'acked':
      case 'gone': {
        const link = this.remote.get(message.deviceId);
        if (!link || link.key !== `${message.node}/${message.conn}`) return;
        if (message.kind === 'acked') return outbox.acked(message.deviceId, link.token);
        return this.forget(message.deviceId, link);
      }
      case 'cmd_ack':
        return this.emitAck(message.ack);
      case 'disconnect':
        this.deps.disconnectLocal(message.deviceId);
        return;
      case 'sync':
        for (const [deviceId, { conn, qos }] of this.localLinks) this.send({ kind: 'subscribed', deviceId, conn, qos });
        return;
    }
  }

  private tell(deviceId: string, qos: number, session: object): void {
    this.told.set(deviceId, session);
    this.deps.outbox.subscribed(deviceId, qos, session);
  }

  /**
   * A remote link ended. If the outbox was last told of it while the device
   * is also connected here (an old connection's announcement that arrived
   * after the new one's), the outbox goes back to the local connection.
   */
  private forget(deviceId: string, link: RemoteLink): void {
    this.remote.delete(deviceId);
    this.deps.outbox.gone(deviceId, link.token);
    if (this.told.get(deviceId) !== link.token) return;
    this.told.delete(deviceId);
    const local = this.localLinks.get(deviceId);
    if (local) this.tell(deviceId, local.qos, local.session);
  }

  private emitAck(ack: CommandAck): void {
    this.relaying = true;
    try {
      this.deps.bus.emit('device.cmd_ack', ack);
    } finally {
      this.relaying = false;
    }
  }

  private send(message: Outgoing): void {
    const relay = { ...message, node: this.deps.nodeId };
    this.mq?.emit({ topic: RELAY_TOPIC, relay }, (err) => {
      if (err) this.deps.log.warn({ err: err.message, kind: message.kind }, 'command relay: message not sent');
    });
  }

  private connOf(session: object): string {
    let conn = this.connIds.get(session);
    if (conn === undefined) {
      conn = `${this.boot}-${++this.connCounter}`;
      this.connIds.set(session, conn);
    }
    return conn;
  }

  /** The other nodes heard from within three heartbeats, and when (for /health and /metrics). */
  peersSeen(): { nodeId: string; lastSeenAt: number }[] {
    return [...this.peers].map(([nodeId, lastSeenAt]) => ({ nodeId, lastSeenAt }));
  }

  private seen(node: string): void {
    if (node !== this.deps.nodeId) this.peers.set(node, (this.deps.now ?? Date.now)());
  }

  /** Forgets the devices of nodes silent for three heartbeats (Aedes' own rule for a dead broker). */
  private sweep(): void {
    const deadline = (this.deps.now ?? Date.now)() - 3 * this.deps.heartbeatIntervalMs;
    for (const [node, lastSeen] of this.peers) {
      if (lastSeen >= deadline) continue;
      this.peers.delete(node);
      for (const [deviceId, link] of this.remote) if (link.node === node) this.forget(deviceId, link);
      this.deps.log.warn({ node }, 'cluster node silent for three heartbeats: its devices count as unreachable until they reconnect');
    }
  }
}
