/**
 * What GET /api/v1/health answers (issue 12 item 6): whether this node can
 * take alarms now and, if not, why in one line; its node id, the partitions
 * it owns and the peers it sees (alone: all of them, none), the database and
 * Redis, the journal, MQTT, load, and the synthetic heartbeat (item 7).
 * `ok` is false — HTTP 503 — while the journal cannot make lines durable, the
 * database or (in a cluster) Redis does not answer — alarms get no PUBACK
 * here then — or the pipeline is stalled. Nothing here is secret: no URL, no
 * credential.
 */
import type { ClusterView, LeaderView, NodeRole, RedisState } from './cluster-view.js';
import type { PipelineStatus } from './pipeline-monitor.js';

export interface HealthReport {
  ok: boolean;
  /** Why `ok` is false, one line; absent when healthy. */
  reason?: string;
  node: { id: string };
  /** alone, leader (runs the pipeline) or standby (forwards to the leader). */
  role: NodeRole;
  leader: LeaderView | null;
  partitions: { total: number; owned: number[]; all: boolean };
  peers: { nodeId: string; lastSeenAt: string }[];
  database: { kind: 'files' | 'postgresql'; state: 'ok' | 'failing' };
  redis: { state: RedisState };
  /**
   * `lastN`: the last journal line this node holds (a standby: the last it followed; compare with the leader's for its lag).
   * `answersReads`: a standby whose copy is current enough to answer console reads itself (docs/CLUSTER.md "Reads on any node");
   * false while it catches up or cannot read the journal, and on a leader or a hub alone (which answer everything).
   */
  journal: { healthy: boolean; lastError?: string | undefined; lastN: number; answersReads: boolean };
  mqtt: { connectedClients: number };
  /** Overload: routine telemetry being shed (alarms never are). */
  load: { shedding: boolean; eventLoopUtilisation: number; shedTelemetry: number };
  pipeline: {
    ok: boolean;
    intervalMs: number;
    stallMs: number;
    lastHeartbeatAt: string | null;
    lastRoundTripMs: number | null;
    stalled?: { beat: number; stage: string; reason: string; since: string };
  };
}

export interface HealthSources {
  cluster: ClusterView;
  databaseKind: 'files' | 'postgresql';
  journal: { healthy: boolean; lastError: string | undefined; lastN: number; replicaCurrent?: boolean | undefined };
  deviceConnections(): number;
  load: HealthReport['load'];
  pipeline: PipelineStatus;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function healthReport(s: HealthSources): HealthReport {
  const { cluster, journal, pipeline } = s;
  const partitions = cluster.partitions();
  const stalled = pipeline.stalled;
  const databaseLost = cluster.databaseReachable?.() === false;
  const redis = cluster.redis();
  const reason = !journal.healthy
    ? `journal cannot make lines durable: ${journal.lastError ?? 'unknown error'}`
    : databaseLost
      ? 'the database does not answer: alarms are not acknowledged here until it does'
      : redis === 'unreachable'
        ? 'Redis does not answer: alarms are stored, but not acknowledged here until it does (commands cannot reach devices through other nodes)'
        : stalled
          ? `pipeline stalled: ${stalled.reason}`
          : undefined;
  return {
    ok: reason === undefined,
    ...(reason !== undefined ? { reason } : {}),
    node: { id: cluster.nodeId },
    role: cluster.role(),
    leader: cluster.leader(),
    partitions: { total: partitions.total, owned: [...partitions.owned], all: partitions.owned.length === partitions.total },
    peers: cluster.peers().map((p) => ({ nodeId: p.nodeId, lastSeenAt: iso(p.lastSeenAt) })),
    database: { kind: s.databaseKind, state: journal.healthy && !databaseLost ? 'ok' : 'failing' },
    redis: { state: redis },
    journal: { healthy: journal.healthy, lastError: journal.lastError, lastN: journal.lastN, answersReads: journal.replicaCurrent === true },
    mqtt: { connectedClients: s.deviceConnections() },
    load: s.load,
    pipeline: {
      ok: pipeline.ok,
      intervalMs: pipeline.intervalMs,
      stallMs: pipeline.stallMs,
      lastHeartbeatAt: pipeline.lastCompleted ? iso(pipeline.lastCompleted.at) : null,
      lastRoundTripMs: pipeline.lastCompleted?.roundTripMs ?? null,
      ...(stalled ? { stalled: { beat: stalled.beat, stage: stalled.stage, reason: stalled.reason, since: iso(stalled.since) } } : {}),
    },
  };
}

/** What GET /metrics serves (the Prometheus text from metrics.ts); the API decides who may read it. */
export interface MetricsEndpoint {
  render(): Promise<{ body: string; contentType: string }>;
}
