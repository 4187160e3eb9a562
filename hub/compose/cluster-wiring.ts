/**
 * The cluster parts of the composition root (hub/hub.ts, issue 12): the
 * Redis node (routing, sessions, the command relay) when HUB_REDIS_URL is
 * set, and — when the nodes also share PostgreSQL — the role that elects one
 * leader to run the pipeline. Parts of the hub built after these (the broker,
 * operations, HTTP) are reached through the thunks in the deps.
 */
import { ClusterNode } from '../cluster/cluster-node.js';
import type { CommandOutbox } from '../commands/command-outbox.js';
import type { HubConfig } from '../config/config.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { Service } from '../core/service.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import type { Stores } from '../storage/select-stores.js';
import { ClusterRole, type ClusterRoleDeps, type SpreadRoleDeps } from './cluster-role.js';

export interface ClusterWiringDeps {
  config: Pick<HubConfig, 'redisUrl' | 'redisPrefix' | 'maxPacketBytes'>;
  nodeId: string;
  /** The nodes share PostgreSQL and Redis: they elect one leader (docs/CLUSTER.md). */
  electsLeader: boolean;
  inboundAlarms: Stores['inboundAlarms'];
  journal: Stores['journal'];
  outbox: CommandOutbox;
  bus: EventBus<HubEvents>;
  /** This node's own entry for device messages (ingest behind the journal's dedupe). */
  localIngest: DeviceMessageHandler;
  deviceConnection(deviceId: string, connected: boolean, at: number): void;
  disconnectLocal(deviceId: string): boolean;
  handOff: ClusterRoleDeps['handOff'];
  heartbeatFromNode: ClusterRoleDeps['heartbeatFromNode'];
  auditFromNode: ClusterRoleDeps['auditFromNode'];
  pipeline(): Service[];
  saveCheckpoint(): Promise<void>;
  promoteHttp(): void;
  onLeading(): void;
  fatal(reason: string): void;
  /** HUB_PARTITIONS=spread (hub/compose/spread-wiring.ts). */
  spread?: ClusterRoleDeps['spread'];
  log: Logger;
}

export interface ClusterParts {
  /** Set with HUB_REDIS_URL: this hub is one node of a cluster. */
  cluster: ClusterNode | undefined;
  /** Set when the nodes also share PostgreSQL: leader or standby. */
  role: ClusterRole | undefined;
}

export function buildClusterParts(deps: ClusterWiringDeps): ClusterParts {
  const { config, nodeId, journal } = deps;
  const log = deps.log.child({ module: 'cluster' });
  let role: ClusterRole | undefined;
  const cluster = config.redisUrl
    ? new ClusterNode({
        nodeId,
        redisUrl: config.redisUrl,
        redisPrefix: config.redisPrefix,
        outbox: deps.outbox,
        bus: deps.bus,
        disconnectLocal: deps.disconnectLocal,
        leadership: deps.electsLeader
          ? {
              leading: () => role?.leading === true,
              leader: () => role?.election.watch.current(),
              databaseReachable: () => role?.election.watch.reachable !== false,
              partitionsHeld: () => journal.partitionsHeld ?? [],
            }
          : undefined,
        log,
      })
    : undefined;
  if (!deps.electsLeader || !config.redisUrl || !deps.inboundAlarms) return { cluster, role };
  role = new ClusterRole({
    nodeId,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    redisLinks: cluster?.links,
    maxPayloadBytes: config.maxPacketBytes,
    inboundAlarms: deps.inboundAlarms,
    journal,
    ingest: deps.localIngest,
    onConnection: deps.deviceConnection,
    handOff: deps.handOff,
    heartbeatFromNode: deps.heartbeatFromNode,
    auditFromNode: deps.auditFromNode,
    pipeline: deps.pipeline,
    saveCheckpoint: deps.saveCheckpoint,
    promoteHttp: deps.promoteHttp,
    abortWait: () => journal.close(),
    onLeading: deps.onLeading,
    fatal: deps.fatal,
    spread: deps.spread,
    // Spread: the forwarder sends to each home's owner, the drain takes this node's partitions (owner-routing.ts).
    ...(deps.spread ? spreadElection(deps.spread) : {}),
    log,
  });
  return { cluster, role };
}

function spreadElection(spread: SpreadRoleDeps): Pick<ClusterRoleDeps, 'ownership' | 'directory' | 'homeOfDevice' | 'isLeader'> {
  return { ownership: spread.ownership, directory: spread.directory, homeOfDevice: spread.homeOfDevice, isLeader: () => spread.leases.leading };
}
