/**
 * The parts a cluster node on PostgreSQL needs to follow a leader and to
 * become one (issue 12, docs/CLUSTER.md): who leads (LeaderWatch), the
 * forwarding of device messages to the leader (UplinkForwarder, over
 * PostgreSQL for alarms and Redis for the rest; AuditHandOff for what its
 * broker refuses), and the leader's side of it (InboundDrain). The
 * composition root (hub/hub.ts) decides when each runs: the front while it
 * stands by, the drain once it leads.
 *
 * Owners (issue 12 step 3, checklist item 4) are switched on by the optional
 * `ownership`, `directory`, `homeOfDevice` and `isLeader`: without them the
 * one leader drains every row and reads the leader's stream, as before.
 */
import { AuditHandOff } from '../cluster/audit-hand-off.js';
import { decodeForwardedAudit, isForwardedAudit, type AuditRecord } from '../cluster/forwarded-audit.js';
import { InboundDrain, type ForwardOrigin } from '../cluster/inbound-drain.js';
import { LeaderWatch } from '../cluster/leader-watch.js';
import { drainsFor, type HomeOfDevice } from '../cluster/owner-routing.js';
import { NO_REPLICA_READS, type ReplicaReadCounts } from '../cluster/replica-reads.js';
import { UplinkPublisher, UplinkSubscriber, type UplinkBusSettings } from '../cluster/uplink-bus.js';
import { UplinkForwarder } from '../cluster/uplink-forwarder.js';
import type { UplinkChannel } from '../../devices/topics.js';
import type { RedisLinks } from '../cluster/redis-links.js';
import { Throttle } from '../core/log-throttle.js';
import type { Logger } from '../core/logger.js';
import type { PartitionDirectory } from '../core/partition-directory.js';
import type { PartitionOwnership } from '../core/partition-ownership.js';
import type { Service } from '../core/service.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import type { ClusterMetricsSource } from '../ops/cluster-metrics.js';
import { isProbeClient } from '../ops/probe-access.js';
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
  /** A node's pipeline heartbeat drained from `inbound_alarm` (its probe's client id, its payload): through this leader's pipeline, then echoed. */
  heartbeatFromNode(clientId: string, payload: Buffer): Promise<unknown> | undefined;
  /** A standby's broker refusal drained from `inbound_alarm`: into this leader's audit; resolves once journaled durably. */
  auditFromNode(record: AuditRecord): Promise<unknown> | undefined;
  /** The leader took in a message a follower received at `receivedAt`; `taken` is its pipeline's promise (/metrics). */
  handOff?(channel: UplinkChannel, receivedAt: number, taken: Promise<unknown> | undefined): void;
  log: Logger;
  /**
   * Owners (all optional; absent: one leader drains everything, as before).
   * `ownership`: the drain takes only its partitions' alarm rows and messages (and wakes when one is gained);
   * `homeOfDevice` (the registry): alarm rows carry their home's partition, and a forwarded message is
   * checked against its device's home; `directory`: telemetry, status and connections go to the owner's
   * stream, and this node reads its own; `isLeader`: this node takes partition -1 and rows without a
   * partition (default: true, for a drain that runs only while leading).
   */
  ownership?: PartitionOwnership | undefined;
  directory?: PartitionDirectory | undefined;
  homeOfDevice?: HomeOfDevice | undefined;
  isLeader?: (() => boolean) | undefined;
}

export class ClusterElection {
  readonly watch: LeaderWatch;
  readonly forwarder: UplinkForwarder;
  readonly drain: InboundDrain;
  /** What this node's broker refuses while it stands by, on its way to the leader's journal. */
  readonly auditHandOff: AuditHandOff;
  private publisher: UplinkPublisher | undefined;
  private subscriber: UplinkSubscriber | undefined;
  private readonly bus: UplinkBusSettings;
  private onLeaderChanged: () => void = () => undefined;
  private readonly badAuditLog = new Throttle(10_000);

  constructor(private readonly deps: ClusterElectionDeps) {
    const { journal, log } = deps;
    const readLeader = journal.readLeader?.bind(journal);
    if (!readLeader) throw new Error('a cluster node that elects a leader needs the PostgreSQL journal (HUB_DATABASE_URL)');
    this.bus = { redisUrl: deps.redisUrl, redisPrefix: deps.redisPrefix, nodeId: deps.nodeId, links: deps.redisLinks, log };
    this.watch = new LeaderWatch(readLeader, log, () => this.onLeaderChanged());
    this.forwarder = new UplinkForwarder({
      store: deps.inboundAlarms,
      // Opened by the front service before the broker takes a device.
      publisher: { publish: (message, toNode) => this.publisher?.publish(message, toNode) },
      nodeId: deps.nodeId,
      maxPayloadBytes: deps.maxPayloadBytes,
      log,
      homeOfDevice: deps.homeOfDevice,
      directory: deps.directory,
    });
    const isLeader = deps.isLeader ?? (() => true);
    const { ownership } = deps;
    this.auditHandOff = new AuditHandOff({ store: deps.inboundAlarms, nodeId: deps.nodeId, log });
    this.drain = new InboundDrain({
      store: deps.inboundAlarms,
      // Ingest stamps its own receive time (presence, readings, alerts): the follower's comes from
      // another clock, and a row drained after a failover would move a device's last sign of life
      // back. The follower's time measures the hand-off instead.
      handle: (deviceId, channel, payload, origin) => {
        // A node's pipeline heartbeat (hub/ops/pipeline-probe.ts) comes this way but is not a device message.
        if (isProbeClient(deviceId)) return deps.heartbeatFromNode(deviceId, payload);
        if (isForwardedAudit(deviceId)) return this.auditFromNode(payload, origin);
        const taken = deps.ingest(deviceId, channel, payload);
        deps.handOff?.(channel, origin.receivedAt, taken);
        return taken;
      },
      subscribe: async (onMessage) =>
        (this.subscriber = await UplinkSubscriber.open(this.bus, onMessage, Date.now, deps.directory ? { own: true, leader: isLeader } : undefined)),
      onConnection: deps.onConnection,
      log,
      drains: ownership ? drainsFor(ownership, isLeader) : undefined,
      homeOfDevice: deps.homeOfDevice,
      onGained: ownership ? (listener) => ownership.onGained(listener) : undefined,
    });
  }

  /** A standby's audit row: journaled with the node that saw it; a row this version cannot read is logged and let go. */
  private auditFromNode(payload: Buffer, origin: ForwardOrigin): Promise<unknown> | undefined {
    const record = decodeForwardedAudit(payload, origin);
    if (record) return this.deps.auditFromNode(record);
    const passed = this.badAuditLog.pass('bad');
    if (passed) this.deps.log.error({ node: origin.receivedBy, bytes: payload.length, suppressedSinceLast: passed.suppressed }, 'forwarded audit record not readable; dropped');
    return undefined;
  }

  /** What this node forwarded as a standby and drained as the leader, for /metrics (hub/ops/cluster-metrics.ts). */
  metricsSource(): ClusterMetricsSource {
    const { forwarder, drain, watch } = this;
    const store = this.deps.inboundAlarms;
    return {
      counts: () => ({
        alarmsForwarded: { stored: forwarder.stats.alarmsStored, duplicate: forwarder.stats.alarmDuplicates, failed: forwarder.stats.alarmFailures },
        auditForwarded: this.auditHandOff.stats,
        uplinkSent: forwarder.sent,
        uplinkSendFailed: this.publisher?.dropped ?? 0,
        uplinkEntriesWritten: this.publisher?.written.entries ?? 0,
        alarmsDrained: { delivered: drain.stats.alarmsDelivered, failed: drain.stats.alarmsFailed },
        uplinkReceived: drain.received,
        uplinkRefused: this.subscriber?.refused ?? 0,
        uplinkStale: this.subscriber?.stale ?? 0,
        leaderChanges: watch.changes,
        replicaReads: this.replicaCounts(),
      }),
      pendingInboundAlarms: () => store.pending(),
    };
  }

  /** The standby's front, told when the leader changes (streams to a former leader end; consoles reconnect). */
  front<T extends { leaderChanged(): void; readonly replicaCounts?: ReplicaReadCounts | undefined }>(front: T): T {
    this.onLeaderChanged = () => front.leaderChanged();
    this.replicaCounts = () => front.replicaCounts ?? NO_REPLICA_READS;
    return front;
  }

  private replicaCounts: () => ReplicaReadCounts = () => NO_REPLICA_READS;

  /** What every node runs from start to stop, leading or not: who leads, and the Redis publisher. */
  frontService(): Service {
    return {
      name: 'cluster election',
      start: async () => {
        this.publisher = await UplinkPublisher.open(this.bus);
        await this.watch.start();
      },
      stop: async () => {
        this.auditHandOff.stop();
        await this.watch.stop();
        await this.publisher?.close();
        this.publisher = undefined;
      },
    };
  }
}
