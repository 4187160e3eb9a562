/**
 * HUB_PARTITIONS=spread (issue 12 step 3, docs/CLUSTER.md "Owners"): the
 * composition root's part for a node that owns a share of the homes'
 * partitions. It holds the node's `OwnedPartitions` (what every gated
 * service asks), tells the stores how the leases report to it
 * (owner-leases.ts), and hands rule state and watchdog silences over with
 * the partitions (partition-hand-over.ts).
 */
import type { Logger } from '../core/logger.js';
import { OwnedPartitions } from '../core/partition-ownership.js';
import type { PipelineSnapshot, RulesSnapshotStore } from '../storage/ports.js';
import type { SpreadLeaseSettings, Stores } from '../storage/select-stores.js';
import type { ClusterRole, SpreadRoleDeps } from './cluster-role.js';
import type { AuditRoute } from '../audit/audit-log.js';
import { homeOfAuditedAction, type AuditedHomeLookup } from '../audit/audited-home.js';
import { PartitionHandOver } from './partition-hand-over.js';
import type { PartitionDirectory } from '../core/partition-directory.js';
import type { OwnerRouting } from '../cluster/leader-proxy.js';
import { ownerRouter } from '../cluster/owner-router.js';
import { homeOfRequest, type HomeLookups } from '../cluster/home-of-request.js';

export interface SpreadWiringDeps {
  nodeId: string;
  /** This node took the journal's lock. */
  onLeading(): void;
  fatal(reason: string): void;
  log: Logger;
}

/** What the role's spread part reads of the pipeline (hub/hub.ts). */
export interface SpreadPipelineParts {
  snapshotOf(partitions: readonly number[], savedAt: number): PipelineSnapshot;
  homeOfDevice(id: string): string | undefined;
  now(): number;
  reloadWebhooks(): Promise<void>;
}

/** What the front's routing is made of (hub/hub.ts builds it from its services). */
export interface FrontOwnerParts {
  directory: PartitionDirectory & { urlOf(nodeId: string): string | undefined; refresh(): Promise<void> };
  lookups: HomeLookups;
  leading(): boolean;
  ownApi: OwnerRouting['local'];
  sessions: OwnerRouting['sessions'];
}

export class SpreadWiring {
  readonly ownership = new OwnedPartitions();
  private handOver: PartitionHandOver | undefined;
  private readonly log: Logger;

  constructor(private readonly deps: SpreadWiringDeps) {
    this.log = deps.log.child({ module: 'partitions' });
  }

  /** What the stores' owner leases report to (hub/storage/select-stores.ts `leadership.spread`). */
  leaseSettings(): SpreadLeaseSettings {
    const { deps, log } = this;
    return {
      nodeId: deps.nodeId,
      ownership: this.ownership,
      beforeGain: (partitions) => this.handOver?.beforeGain(partitions) ?? Promise.resolve(),
      saveBeforeRelease: (partitions) => this.handOver?.save(partitions) ?? Promise.resolve(),
      onLeading: () => deps.onLeading(),
      onWaitingForLock: (holder, leader) => log.info({ epoch: leader.epoch }, `leader is ${leader.nodeId ?? 'unknown'} (${holder}); this node owns its share of the homes meanwhile`),
      onLeadershipLost: (err) => deps.fatal(`LEADERSHIP LOST: ${err.message}; this node writes nothing more and exits, for its supervisor to restart it`),
      onLost: (partitions, reason) => log.warn({ partitions, reason }, `partitions lost (${reason}): another node acts for their homes now`),
      onError: (err) => log.warn({ err }, 'partition leases: a round failed; nothing assumed'),
    };
  }

  /** Audit lines into the owned home's partition, the leader's, or handed to the leader (hub/audit/audit-log.ts). */
  auditRoute(lookup: AuditedHomeLookup, role: () => ClusterRole | undefined, now: () => number): AuditRoute {
    return {
      ownedHomeOf: (action, target, detail) => {
        const homeId = homeOfAuditedAction(lookup, action, target, detail);
        return homeId !== undefined && this.ownership.owns(homeId) ? homeId : undefined;
      },
      writesHomeless: () => role()?.leading === true,
      handOff: ({ action, actor, target, detail }) => role()?.forwardAudit(action, actor, detail, now(), target),
    };
  }

  /**
   * The front's routing (hub/cluster/leader-proxy.ts `owners`): a home's
   * write to its owner — this node's own API when it owns the home —, the
   * rest to the leader, or here while this node leads.
   */
  frontOwners(parts: FrontOwnerParts): OwnerRouting {
    const { directory, lookups } = parts;
    return {
      route: ownerRouter({
        nodeId: this.deps.nodeId,
        homeOf: (method, path) => homeOfRequest(method, path, lookups),
        directory,
        ownership: this.ownership,
        urlOf: (id) => directory.urlOf(id),
        leading: parts.leading,
      }),
      local: parts.ownApi,
      sessions: parts.sessions,
      refresh: () => directory.refresh(),
    };
  }

  /** The snapshot the rules engine and the watchdogs restore as they hear of a gain. */
  readonly handOverSnapshot = (): PipelineSnapshot | undefined => this.handOver?.handOver();

  /** The role's part (hub/compose/cluster-role.ts), once the stores and the pipeline exist. */
  roleDeps(stores: Stores, pipeline: SpreadPipelineParts): SpreadRoleDeps {
    const leases = stores.ownerLeases;
    if (!leases) throw new Error('HUB_PARTITIONS=spread needs HUB_DATABASE_URL and HUB_REDIS_URL');
    const store: Pick<RulesSnapshotStore, 'savePartitions' | 'readPartitions'> = stores.rulesSnapshot;
    this.handOver = new PartitionHandOver({
      store,
      ownership: this.ownership,
      snapshotOf: pipeline.snapshotOf,
      homeOfDevice: pipeline.homeOfDevice,
      fence: () => leases.held(),
      now: pipeline.now,
      log: this.log,
    });
    const handOver = this.handOver;
    const { partitionDirectory: directory, nodeAnnouncer: announcer } = stores;
    if (!directory || !announcer) throw new Error('HUB_PARTITIONS=spread needs the PostgreSQL partition directory');
    return { ownership: this.ownership, homeOfDevice: pipeline.homeOfDevice, leases, saveCheckpoint: () => handOver.save(), directory, announcer, reloadWebhooks: pipeline.reloadWebhooks };
  }
}
