/**
 * This hub as one node of a cluster (issue 12), a service of the composition
 * root when HUB_REDIS_URL is set: it opens the Redis parts Aedes routes
 * through (redis-broker-parts.ts) before the broker starts, and runs the
 * command relay (command-relay.ts) on them. Stopped after the broker, which
 * closes the shared bus itself.
 */
import type { BrokerClusterOptions, CommandLinkEvents } from '../broker/mqtt-broker.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import { CommandRelay } from './command-relay.js';
import { ProbeEcho } from './probe-echo.js';
import { ackAlarmsOnlyWithRedis } from './redis-ack-gate.js';
import { describeRedisUrl, HEARTBEAT_INTERVAL_MS, RedisBrokerParts } from './redis-broker-parts.js';
import { RedisLinks } from './redis-links.js';
import { singleNodeView, type ClusterView, type PartitionView } from '../ops/cluster-view.js';
import { PARTITION_COUNT } from '../core/partitions.js';
import type { LeaderSeen } from './leader-watch.js';

export interface ClusterNodeDeps {
  nodeId: string;
  redisUrl: string;
  redisPrefix: string;
  /** The node's command outbox: told of devices subscribed here and on the other nodes. */
  outbox: CommandLinkEvents;
  bus: EventBus<HubEvents>;
  /** Closes a device's connection on this node's broker. */
  disconnectLocal(deviceId: string): boolean;
  /** Set when the nodes share PostgreSQL and elect a leader (hub/compose/leadership.ts). */
  leadership?: { leading(): boolean; leader(): LeaderSeen | undefined; databaseReachable(): boolean; partitionsHeld(): readonly number[] } | undefined;
  log: Logger;
}

export class ClusterNode {
  readonly relay: CommandRelay;
  /** Whether every Redis connection of this node is up: /health, and the alarms' PUBACK (redis-ack-gate.ts). */
  readonly links: RedisLinks;
  /** The pipeline heartbeat's way back from the leader to the node that sent it (probe-echo.ts). */
  readonly probeEcho: ProbeEcho;
  private readonly parts: RedisBrokerParts;
  private options: BrokerClusterOptions | undefined;

  constructor(private readonly deps: ClusterNodeDeps) {
    const { nodeId, log } = deps;
    this.links = new RedisLinks(log, describeRedisUrl(deps.redisUrl));
    this.parts = new RedisBrokerParts({ redisUrl: deps.redisUrl, redisPrefix: deps.redisPrefix, nodeId, links: this.links, log });
    this.probeEcho = new ProbeEcho(() => this.parts.mq);
    this.relay = new CommandRelay({
      nodeId,
      outbox: deps.outbox,
      bus: deps.bus,
      disconnectLocal: deps.disconnectLocal,
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      log,
    });
  }

  get nodeId(): string {
    return this.deps.nodeId;
  }

  /** Where Redis is, without its password (for /health and logs). */
  get redis(): string {
    return this.parts.description;
  }

  /**
   * What /health and /metrics show of the cluster (hub/ops/cluster-view.ts):
   * the peers the relay hears, whether Redis answers, and — when the nodes
   * elect a leader — this node's role and who leads.
   */
  view(): ClusterView {
    const alone = singleNodeView(this.nodeId);
    const { leadership } = this.deps;
    return {
      nodeId: this.nodeId,
      // The leader holds every lease, a standby none; with HUB_PARTITIONS=spread each node its share (docs/CLUSTER.md "Owners").
      partitions: (): PartitionView => (!leadership ? alone.partitions() : { total: PARTITION_COUNT, owned: leadership.partitionsHeld() }),
      peers: () => this.relay.peersSeen(),
      redis: () => (this.links.up ? 'connected' : 'unreachable'),
      role: () => (!leadership ? 'alone' : leadership.leading() ? 'leader' : 'standby'),
      leader: () => {
        const seen = leadership?.leader();
        return seen ? { nodeId: seen.nodeId, epoch: seen.epoch, since: seen.since } : null;
      },
      ...(leadership ? { databaseReachable: () => leadership.databaseReachable() } : {}),
    };
  }

  /** The broker's device-message handler, its alarms acknowledged only while Redis answers (redis-ack-gate.ts). */
  ackAlarmsOnlyWithRedis(handle: DeviceMessageHandler): DeviceMessageHandler {
    return ackAlarmsOnlyWithRedis(this.links, handle, this.deps.log);
  }

  /** The shared Redis bus (mqemitter-redis) once started: what the relays of this node publish on. */
  get mq(): RedisBrokerParts['mq'] {
    return this.parts.mq;
  }

  /** Aedes' cluster options, once started. */
  get brokerOptions(): BrokerClusterOptions | undefined {
    return this.options;
  }

  async start(): Promise<void> {
    this.options = await this.parts.open();
    this.relay.start(this.parts.mq);
    this.deps.log.info({ nodeId: this.nodeId, redis: this.redis }, 'cluster node: MQTT routing and sessions shared through Redis');
  }

  async stop(): Promise<void> {
    this.relay.stop();
    this.options = undefined;
    await this.parts.close();
  }
}
