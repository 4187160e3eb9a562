/**
 * The parts a cluster node on PostgreSQL needs to follow a leader and to
 * become one (issue 12, docs/CLUSTER.md): who leads (LeaderWatch), the
 * forwarding of device messages to the leader (UplinkForwarder, over
 * PostgreSQL for alarms and Redis for the rest), and the leader's side of it
 * (InboundDrain). The composition root (hub/hub.ts) decides when each runs:
 * the front while it stands by, the drain once it leads.
 */
import { InboundDrain } from '../cluster/inbound-drain.js';
import { LeaderWatch } from '../cluster/leader-watch.js';
import { UplinkPublisher, UplinkSubscriber, type UplinkBusSettings } from '../cluster/uplink-bus.js';
import { UplinkForwarder } from '../cluster/uplink-forwarder.js';
import type { RedisLinks } from '../cluster/redis-links.js';
import type { Logger } from '../core/logger.js';
import type { Service } from '../core/service.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import type { InboundAlarmStore, JournalStore } from '../storage/ports.js';

export interface ClusterElectionDeps {
  nodeId: string;
  redisUrl: string;
  redisPrefix: string;
  /** The node's Redis state (hub/cluster/redis-links.ts): the uplink bus's connections count in it. */
  redisLinks: RedisLinks | undefined;
  /** The broker's largest packet: the forwarder's bound on a stored alarm. */
  maxPayloadBytes: number;
  inboundAlarms: InboundAlarmStore;
  journal: Pick<JournalStore, 'readLeader'>;
  /** The leader's own entry for device messages (ingest behind the journal's dedupe). */
  ingest: DeviceMessageHandler;
  /** The leader learns of devices connecting and leaving on other nodes. */
  onConnection(deviceId: string, connected: boolean, at: number): void;
  log: Logger;
}

export class ClusterElection {
  readonly watch: LeaderWatch;
  readonly forwarder: UplinkForwarder;
  readonly drain: InboundDrain;
  private publisher: UplinkPublisher | undefined;
  private readonly bus: UplinkBusSettings;
  private onLeaderChanged: () => void = () => undefined;

  constructor(deps: ClusterElectionDeps) {
    const { journal, log } = deps;
    const readLeader = journal.readLeader?.bind(journal);
    if (!readLeader) throw new Error('a cluster node that elects a leader needs the PostgreSQL journal (HUB_DATABASE_URL)');
    this.bus = { redisUrl: deps.redisUrl, redisPrefix: deps.redisPrefix, nodeId: deps.nodeId, links: deps.redisLinks, log };
    this.watch = new LeaderWatch(readLeader, log, () => this.onLeaderChanged());
    this.forwarder = new UplinkForwarder({
      store: deps.inboundAlarms,
      // Opened by the front service before the broker takes a device.
      publisher: { publish: (message) => this.publisher?.publish(message) },
      nodeId: deps.nodeId,
      maxPayloadBytes: deps.maxPayloadBytes,
      log,
    });
    this.drain = new InboundDrain({
      store: deps.inboundAlarms,
      // The follower's receive time is not threaded through: ingest stamps its own (a few ms later).
      handle: (deviceId, channel, payload) => deps.ingest(deviceId, channel, payload),
      subscribe: (onMessage) => UplinkSubscriber.open(this.bus, onMessage),
      onConnection: deps.onConnection,
      log,
    });
  }

  /** The standby's front, told when the leader changes (streams to a former leader end; consoles reconnect). */
  front<T extends { leaderChanged(): void }>(front: T): T {
    this.onLeaderChanged = () => front.leaderChanged();
    return front;
  }

  /** What every node runs from start to stop, leading or not: who leads, and the Redis publisher. */
  frontService(): Service {
    return {
      name: 'cluster election',
      start: async () => {
        this.publisher = await UplinkPublisher.open(this.bus);
        await this.watch.start();
      },
      stop: async () => {
        await this.watch.stop();
        await this.publisher?.close();
        this.publisher = undefined;
      },
    };
  }
}
