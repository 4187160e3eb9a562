/**
 * A cluster node's role, leader or standby (issue 12, docs/CLUSTER.md): the
 * election parts (who leads, forwarding, the leader's drain), the pipeline
 * that starts once this node takes the journal's lock, and the switch of
 * device messages from the forwarder to this node's own ingest when it does.
 * Built by the composition root (hub/hub.ts) when the nodes share
 * PostgreSQL and Redis.
 */
import type { Logger } from '../core/logger.js';
import type { PartitionOwnership } from '../core/partition-ownership.js';
import type { PartitionDirectory } from '../core/partition-directory.js';
import { devicePartition, drainsFor, type DrainsPartition } from '../cluster/owner-routing.js';
import { named, step, type Service } from '../core/service.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import { ClusterElection, type ClusterElectionDeps } from './cluster-election.js';
import { Leadership } from './leadership.js';
import { ruleCheckpoints } from './rule-checkpoints.js';
import { webhookRefresh } from './webhook-refresh.js';

export interface ClusterRoleDeps extends ClusterElectionDeps {
  /** The hub's pipeline services in start order, the journal's lock wait among them. */
  pipeline(): Service[];
  /** Saves the pipeline snapshot: rule state and watchdog silences (checkpointed every few seconds while leading). */
  saveCheckpoint(): Promise<void>;
  /** HTTP from the leader proxy to this node's own API and stream. */
  promoteHttp(): void;
  /** Ends a lock wait in progress (closing the journal). */
  abortWait(): Promise<void>;
  onLeading(): void;
  /** The node cannot go on: logged once; the process exits (hub/main.ts). */
  fatal(reason: string): void;
  /** HUB_PARTITIONS=spread: this node owns a share of the homes' partitions (docs/CLUSTER.md "Owners"). */
  spread?: SpreadRoleDeps | undefined;
  log: Logger;
}

/** What a node owning a share of the partitions adds (hub/storage/postgres/owner-leases.ts, partition-hand-over.ts). */
export interface SpreadRoleDeps {
  ownership: PartitionOwnership;
  homeOfDevice(deviceId: string): string | undefined;
  /** Its leases: the balancer's share of the home partitions, and the lock (home-less partition, leadership). */
  leases: { start(): Promise<void>; stop(): Promise<void>; readonly leading: boolean; holdsNow(partition: number): boolean };
  /** The owned partitions' rule state and watchdog silences, saved every few seconds. */
  saveCheckpoint(): Promise<void>;
  /** Who owns each partition (partition_lease), read every second: where forwarded work and consoles' writes go. */
  directory: PartitionDirectory & { start(): Promise<void>; stop(): void };
  /** This node's address in cluster_node, for the other nodes' fronts. */
  announcer: { start(): Promise<void>; stop(): void; retire(): Promise<void> };
  /** Reads the organisation's webhooks again (changed through the leader's API). */
  reloadWebhooks(): Promise<void>;
}

export class ClusterRole {
  readonly election: ClusterElection;
  private leadershipService: Leadership | undefined;
  private uplinkNow: DeviceMessageHandler;

  constructor(private readonly deps: ClusterRoleDeps) {
    this.election = new ClusterElection(deps);
    this.uplinkNow = this.election.forwarder.handle;
    if (deps.spread) this.uplinkNow = (deviceId, channel, payload, admitted) => (this.ownsDevice(deviceId) ? deps.ingest : this.election.forwarder.handle)(deviceId, channel, payload, admitted);
  }

  /**
   * The broker's device-message handler: to the leader while standing by,
   * this node's ingest once it leads. Spread: this node's ingest for the
   * homes it owns (once its pipeline runs), the owner's for the others.
   */
  readonly uplink: DeviceMessageHandler = (deviceId, channel, payload, admitted) => this.uplinkNow(deviceId, channel, payload, admitted);

  /** Whether this node holds the journal's lock (the home-less partition; spread or not). */
  get leading(): boolean {
    return this.deps.spread ? this.deps.spread.leases.leading : this.leadershipService?.leading === true;
  }

  /** Whether this node's pipeline runs: the leader's only, or every node's once started when the partitions are spread. */
  get runsPipeline(): boolean {
    return this.deps.spread ? this.leadershipService?.leading === true : this.leading;
  }

  /** Whether this node's own ingest takes the device's messages: the leader's, unless spread (then the home's owner's). */
  handlesLocally(deviceId: string): boolean {
    return this.deps.spread ? this.ownsDevice(deviceId) : this.leading;
  }

  /** A device connected or left here: its home's owner hears of it through Redis, or this node is the owner (the leader, unless spread). */
  connection(deviceId: string, connected: boolean, at: number): void {
    if (this.handlesLocally(deviceId)) this.deps.onConnection(deviceId, connected, at);
    else this.election.forwarder.connection(deviceId, connected);
  }

  /**
   * Spread: the device's partition is this node's (its home's, or -1 while
   * leading), its lease held at this instant (owner-routing.ts `drainsFor`),
   * and its pipeline runs.
   */
  private ownsDevice(deviceId: string): boolean {
    const spread = this.deps.spread!;
    this.drains ??= drainsFor(spread.ownership, () => spread.leases.leading, (partition) => spread.leases.holdsNow(partition));
    return this.runsPipeline && this.drains(devicePartition(spread.homeOfDevice, deviceId));
  }

  private drains: DrainsPartition | undefined;

  /**
   * Its broker refused something while this node stands by: the record goes to the leader's
   * journal through PostgreSQL (hub/cluster/audit-hand-off.ts). Never waits, never throws.
   */
  forwardAudit(action: string, actor: string, detail: Record<string, unknown> | undefined, at: number, target?: string): void {
    this.election.auditHandOff.hand({ action, actor, target, detail }, at);
  }

  /** The election's front service, and the leadership wait that starts the pipeline (placed last by the root). */
  services(): { front: Service; leadership: Service } {
    if (this.deps.spread) return { front: this.election.frontService(), leadership: this.spreadPipeline(this.deps.spread) };
    this.leadershipService ??= new Leadership({
      services: [
        ...this.deps.pipeline(),
        named('inbound drain', this.election.drain),
        ruleCheckpoints(this.deps.saveCheckpoint, this.deps.log.child({ module: 'rules' })),
        step('lead', () => this.lead()),
      ],
      abortWait: this.deps.abortWait,
      onLeading: this.deps.onLeading,
      onFailed: (err) => this.deps.fatal(`the pipeline did not start: ${err instanceof Error ? err.message : String(err)}`),
      log: this.deps.log,
    });
    return { front: this.election.frontService(), leadership: this.leadershipService };
  }

  /**
   * Spread: every node runs its pipeline from the start (the journal's open
   * does not wait for the lock), acting for no home until its leases say so;
   * the leases start last and stop first (partitions given up, their state
   * saved, before anything else stops). The lock comes when it comes
   * (`spreadLeading`).
   */
  private spreadPipeline(spread: SpreadRoleDeps): Service {
    this.leadershipService ??= new Leadership({
      services: [
        step('partition directory', () => spread.directory.start(), () => spread.directory.stop()),
        ...this.deps.pipeline(),
        step('node address', () => spread.announcer.start(), () => spread.announcer.stop()),
        named('inbound drain', this.election.drain),
        ruleCheckpoints(spread.saveCheckpoint, this.deps.log.child({ module: 'rules' })),
        webhookRefresh(spread.reloadWebhooks, this.deps.log.child({ module: 'notify' })),
        // Stopping: gone from the live nodes first, so the others take what it gives up at once.
        step('partition leases', () => spread.leases.start(), async () => (await spread.announcer.retire(), await spread.leases.stop())),
      ],
      abortWait: this.deps.abortWait,
      onLeading: () => this.deps.log.info({ nodeId: this.deps.nodeId }, 'pipeline running: this node acts for the partitions its leases give it'),
      onFailed: (err) => this.deps.fatal(`the pipeline did not start: ${err instanceof Error ? err.message : String(err)}`),
      log: this.deps.log,
    });
    return this.leadershipService;
  }

  /** Spread: this node took the journal's lock (owner-leases.ts): the home-less partition's work and the consoles' API are its own. */
  spreadLeading(): void {
    this.deps.promoteHttp();
    void this.election.watch.refresh();
    this.deps.onLeading();
    this.deps.log.info({ nodeId: this.deps.nodeId }, "this node leads the cluster: the home-less partition's work and the consoles' API");
  }

  /** The pipeline has just started: device messages to this node's ingest, consoles to its API. */
  private lead(): void {
    this.uplinkNow = this.deps.ingest;
    this.deps.promoteHttp();
    void this.election.watch.refresh();
    this.deps.log.info({ nodeId: this.deps.nodeId }, 'this node leads the cluster: pipeline running');
  }
}
