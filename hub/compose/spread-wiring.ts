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
import type { AlertStore } from '../alerts/alert-store.js';
import type { CallbackStore } from '../callbacks/callback-store.js';
import type { Registry } from '../registry/registry.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import { DeviceStateRelay } from '../cluster/device-state-relay.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import { step, type Service } from '../core/service.js';
import type { Clock } from '../core/clock.js';
import type { RulesEngine } from '../rules/engine.js';
import type { DevicePresence } from '../ingest/presence.js';
import type { NotifyService } from '../notify/notify-service.js';
import type { OwnerRouting } from '../cluster/leader-proxy.js';
import { ownerRouter } from '../cluster/owner-router.js';
import { homeOfRequest, registryRecordOfRequest, type HomeLookups } from '../cluster/home-of-request.js';

export interface SpreadWiringDeps {
  nodeId: string;
  /** An empty hub's first admin: the leader's to create (it writes the home-less partition). */
  firstAdmin(): Promise<void>;
  role(): ClusterRole | undefined;
  fatal(reason: string): void;
  log: Logger;
}

/** What the role's spread part reads of the pipeline (the hub's services, hub/hub.ts). */
export interface SpreadPipelineParts {
  rules: Pick<RulesEngine, 'snapshot'>;
  presence: Pick<DevicePresence, 'checkpoint'>;
  registry: Pick<Registry, 'getDevice'>;
  notify: Pick<NotifyService, 'reloadWebhooks'>;
  clock: Clock;
}

/** What the front's routing is made of: where a request's home is looked up, and this node's own API. */
export interface FrontOwnerParts {
  hub: {
    alerts: Pick<AlertStore, 'get'>;
    registry: Pick<Registry, 'getDevice' | 'getResident' | 'catchUp'>;
    callbackStore: Pick<CallbackStore, 'get' | 'plan'>;
  };
  ownApi: OwnerRouting['local'];
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
      onLeading: () => void this.leads(),
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

  /** This node took the journal's lock: an empty hub's first admin is its to create, then it serves the consoles' streams. */
  private async leads(): Promise<void> {
    await this.deps.firstAdmin().catch((err: unknown) => this.log.error({ err }, 'first admin not created'));
    this.deps.role()?.spreadLeading();
  }

  /**
   * The front's routing (hub/cluster/leader-proxy.ts `owners`): a home's
   * write to its owner — this node's own API when it owns the home —, the
   * rest to the leader, or here while this node leads.
   */
  frontOwners(stores: Stores, { hub, ownApi }: FrontOwnerParts): OwnerRouting | undefined {
    const directory = stores.partitionDirectory;
    if (!directory) return undefined;
    const lookups: HomeLookups = {
      alertHome: (id) => hub.alerts.get(id)?.homeId,
      deviceHome: (id) => hub.registry.getDevice(id)?.homeId,
      residentHome: (id) => hub.registry.getResident(id)?.homeId,
      callbackHome: (id) => hub.callbackStore.get(id)?.homeId,
      planHome: (id) => hub.callbackStore.plan(id)?.homeId,
    };
    return {
      route: ownerRouter({
        nodeId: this.deps.nodeId,
        homeOf: (method, path) => homeOfRequest(method, path, lookups),
        directory,
        ownership: this.ownership,
        urlOf: (id) => directory.urlOf(id),
        leading: () => this.deps.role()?.leading === true,
      }),
      local: ownApi,
      refresh: () => directory.refresh(),
      // A home created through the leader, then given a device through its owner: the owner may not have its notice yet.
      catchUp: (method, path) => {
        const record = registryRecordOfRequest(method, path);
        return record && hub.registry.catchUp(record.kind, record.id);
      },
    };
  }

  /**
   * Devices' live state relayed between the nodes (hub/cluster/device-state-relay.ts):
   * what this node's devices do, for the homes it owns, reaches every node's
   * store and consoles; started once the Redis bus is open, before the
   * pipeline emits anything, stopped before the broker closes the bus.
   */
  stateRelay(cluster: ClusterNode, parts: { states: DeviceStateStore; bus: EventBus<HubEvents> }): Service {
    const relay = new DeviceStateRelay({
      nodeId: this.deps.nodeId,
      states: parts.states,
      bus: parts.bus,
      ownership: this.ownership,
      connected: () => cluster.links.up,
      log: this.deps.log.child({ module: 'state-relay' }),
    });
    return step('device state relay', () => relay.start(cluster.mq), () => relay.stop());
  }

  /** The snapshot the rules engine and the watchdogs restore as they hear of a gain. */
  readonly handOverSnapshot = (): PipelineSnapshot | undefined => this.handOver?.handOver();

  /** The role's part (hub/compose/cluster-role.ts), once the stores and the pipeline exist. */
  roleDeps(stores: Stores, hub: SpreadPipelineParts): SpreadRoleDeps {
    const homeOfDevice = (id: string) => hub.registry.getDevice(id)?.homeId;
    const now = () => hub.clock.now();
    const leases = stores.ownerLeases;
    if (!leases) throw new Error('HUB_PARTITIONS=spread needs HUB_DATABASE_URL and HUB_REDIS_URL');
    const store: Pick<RulesSnapshotStore, 'savePartitions' | 'readPartitions'> = stores.rulesSnapshot;
    this.handOver = new PartitionHandOver({
      store,
      ownership: this.ownership,
      snapshotOf: (partitions, savedAt) => ({ ...hub.rules.snapshot(savedAt, partitions), ...hub.presence.checkpoint(savedAt, partitions) }),
      homeOfDevice,
      fence: () => leases.held(),
      now,
      log: this.log,
    });
    const handOver = this.handOver;
    const { partitionDirectory: directory, nodeAnnouncer: announcer } = stores;
    if (!directory || !announcer) throw new Error('HUB_PARTITIONS=spread needs the PostgreSQL partition directory');
    return { ownership: this.ownership, homeOfDevice, leases, saveCheckpoint: () => handOver.save(), directory, announcer, reloadWebhooks: () => hub.notify.reloadWebhooks() };
  }
}
