/**
 * What this node knows of the cluster, for /health and /metrics (issue 12
 * item 6). A single hub owns every partition and sees no peers; the cluster
 * build (Redis, leases) replaces `singleNodeView` with its own view, and
 * nothing in /health or /metrics changes shape.
 */
import { ALL_HOME_PARTITIONS, PARTITION_COUNT } from '../core/partitions.js';

export interface PeerView {
  nodeId: string;
  /** When this node last heard from it (epoch ms). */
  lastSeenAt: number;
}

export interface PartitionView {
  /** How many partitions the homes are split into. */
  total: number;
  /** The ones this node owns now. */
  owned: readonly number[];
}

export type RedisState = 'not configured' | 'connected' | 'unreachable';

/**
 * alone: a hub without a cluster; leader: runs the pipeline for every home;
 * standby: forwards devices and consoles to the leader, ready to take over
 * (docs/CLUSTER.md "Leadership and fencing").
 */
export type NodeRole = 'alone' | 'leader' | 'standby';

export interface LeaderView {
  nodeId: string;
  epoch: number;
  since: string | undefined;
}

export interface ClusterView {
  readonly nodeId: string;
  partitions(): PartitionView;
  peers(): readonly PeerView[];
  redis(): RedisState;
  role(): NodeRole;
  /** Who leads now, as this node last read it; null alone or while nobody holds the lock. */
  leader(): LeaderView | null;
  /**
   * Whether this node reaches the shared database now, when its journal cannot
   * say (a standby's is not open). Absent: the journal's health is the answer.
   */
  databaseReachable?(): boolean;
}

/**
 * Alone: every home partition is owned here; no peers; no Redis. `held`: the
 * partitions whose leases the journal took (PostgreSQL); files own them all.
 */
export function singleNodeView(nodeId: string, held: () => readonly number[] = () => ALL_HOME_PARTITIONS): ClusterView {
  return {
    nodeId,
    partitions: () => ({ total: PARTITION_COUNT, owned: held() }),
    peers: () => [],
    redis: () => 'not configured',
    role: () => 'alone',
    leader: () => null,
  };
}
