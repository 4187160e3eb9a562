/**
 * A cluster node's role, leader or standby (issue 12, docs/CLUSTER.md): the
 * election parts (who leads, forwarding, the leader's drain), the pipeline
 * that starts once this node takes the journal's lock, and the switch of
 * device messages from the forwarder to this node's own ingest when it does.
 * Built by the composition root (hub/hub.ts) when the nodes share
 * PostgreSQL and Redis.
 */
import type { Logger } from '../core/logger.js';
import { named, step, type Service } from '../core/service.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import { ClusterElection, type ClusterElectionDeps } from './cluster-election.js';
import { Leadership } from './leadership.js';
import { ruleCheckpoints } from './rule-checkpoints.js';

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
  log: Logger;
}

export class ClusterRole {
  readonly election: ClusterElection;
  private leadershipService: Leadership | undefined;
  private uplinkNow: DeviceMessageHandler;

  constructor(private readonly deps: ClusterRoleDeps) {
    this.election = new ClusterElection(deps);
    this.uplinkNow = this.election.forwarder.handle;
  }

  /** The broker's device-message handler: to the leader while standing by, this node's ingest once it leads. */
  readonly uplink: DeviceMessageHandler = (deviceId, channel, payload, admitted) => this.uplinkNow(deviceId, channel, payload, admitted);

  get leading(): boolean {
    return this.leadershipService?.leading === true;
  }

  /** A device connected or left here: the leader hears of it through Redis, or this node is the leader. */
  connection(deviceId: string, connected: boolean, at: number): void {
    if (this.leading) this.deps.onConnection(deviceId, connected, at);
    else this.election.forwarder.connection(deviceId, connected);
  }

  /**
   * Its broker refused something while this node stands by: the record goes to the leader's
   * journal through PostgreSQL (hub/cluster/audit-hand-off.ts). Never waits, never throws.
   */
  forwardAudit(action: string, actor: string, detail: Record<string, unknown>, at: number): void {
    this.election.auditHandOff.hand({ action, actor, detail }, at);
  }

  /** The election's front service, and the leadership wait that starts the pipeline (placed last by the root). */
  services(): { front: Service; leadership: Service } {
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

  /** The pipeline has just started: device messages to this node's ingest, consoles to its API. */
  private lead(): void {
    this.uplinkNow = this.deps.ingest;
    this.deps.promoteHttp();
    void this.election.watch.refresh();
    this.deps.log.info({ nodeId: this.deps.nodeId }, 'this node leads the cluster: pipeline running');
  }
}
