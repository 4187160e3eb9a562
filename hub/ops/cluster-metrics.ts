/**
 * A cluster node's own series on /metrics (issue 12 item 6; docs/CLUSTER.md
 * "Forwarding to the leader"): what a standby handed to the leader (alarms
 * through PostgreSQL, the rest through Redis), what the leader took in from
 * the standbys, how long that hand-off took, the alarms still waiting in
 * `inbound_alarm`, and how often the leader changed. Registered only on a
 * node that elects a leader (HUB_DATABASE_URL and HUB_REDIS_URL); a hub
 * alone has none of them.
 *
 * Counters are read from the forwarder's, the drain's and the leader watch's
 * plain fields when Prometheus scrapes, as everywhere on /metrics. Both sides
 * are registered on every node — a standby that takes over starts draining,
 * and what it forwarded before stays counted — except the `inbound_alarm`
 * backlog, which costs a query and is shown by the leader only (one series
 * for the cluster, not one per node).
 */
import type { Histogram, Registry } from 'prom-client';
import type { UplinkChannel } from '../../devices/topics.js';
import type { ReplicaReadCounts } from '../cluster/replica-reads.js';
import { collectedMetrics } from './collected-metrics.js';

/** What passes over Redis from a standby to the leader: telemetry, status and device connects/disconnects. */
export type RedisUplinkKind = 'telemetry' | 'status' | 'connection';

export interface ClusterCounts {
  /** Alarms this node stored in `inbound_alarm` for the leader, by outcome (a standby's). */
  alarmsForwarded: Readonly<Record<'stored' | 'duplicate' | 'failed', number>>;
  /** Its broker's refusals this node, standing by, stored in `inbound_alarm` for the leader's journal, or dropped past its bound. */
  auditForwarded: Readonly<Record<'stored' | 'dropped', number>>;
  /** Published on Redis for the leader (a standby's). */
  uplinkSent: Readonly<Record<RedisUplinkKind, number>>;
  /** Not published: Redis did not take them (the publisher never queues). */
  uplinkSendFailed: number;
  /** Stream entries Redis took from this standby (each holds one event-loop turn's messages). */
  uplinkEntriesWritten: number;
  /** `inbound_alarm` rows fed into this node's pipeline, by outcome (the leader's). */
  alarmsDrained: Readonly<Record<'delivered' | 'failed', number>>;
  /** Taken off Redis from the standbys (the leader's). */
  uplinkReceived: Readonly<Record<RedisUplinkKind, number>>;
  /** Messages on the Redis channel refused as malformed. */
  uplinkRefused: number;
  /** Forwarded messages dropped as too old on arrival (a takeover's or an outage's backlog, uplink-bus.ts). */
  uplinkStale: number;
  /** Leaders this node has seen take over since it started (each new epoch once). */
  leaderChanges: number;
  /** Console reads a standby answered from its copy of the journal or passed on, and writes it held for their line (replica-reads.ts). */
  replicaReads: ReplicaReadCounts;
}

export interface ClusterMetricsSource {
  counts(): ClusterCounts;
  /** Alarms waiting in `inbound_alarm` now (one query). */
  pendingInboundAlarms(): Promise<number>;
}

/** A scrape does not wait longer than this for the backlog query; NaN is reported instead. */
const PENDING_QUERY_LIMIT_MS = 2_000;

export interface ClusterMetricsOptions {
  /** Where every node's series go. */
  registers: Registry[];
  /** Where the series go that are rendered only while this node leads. */
  leaderRegisters: Registry[];
  /** The hand-off histogram's buckets (seconds). */
  buckets: number[];
  now(): number;
}

export class ClusterMetrics {
  /** From a standby receiving a device message to the leader having taken it in. */
  readonly handOffSeconds: Histogram;
  private readonly now: () => number;

  constructor(prom: typeof import('prom-client'), { registers, leaderRegisters, buckets, now }: ClusterMetricsOptions, source: ClusterMetricsSource) {
    this.now = now;
    const metrics = collectedMetrics(prom, registers);
    const counts = () => source.counts();
    metrics.counter(
      'hub_cluster_alarms_forwarded_total',
      'Alarms this node received as a standby and stored in inbound_alarm for the leader before their PUBACK, by outcome (duplicate: a retransmission already waiting, acked without a second row; failed: not stored, no PUBACK)',
      'outcome',
      () => counts().alarmsForwarded,
    );
    metrics.counter(
      'hub_cluster_audit_forwarded_total',
      'Audit records of this node\u2019s broker refusals, made as a standby, by outcome: stored in inbound_alarm for the leader\u2019s journal, or dropped here (1,000 already waited for the database, or the node stopped with some waiting; each drop is logged)',
      'outcome',
      () => counts().auditForwarded,
    );
    metrics.counter('hub_cluster_uplink_sent_total', 'Telemetry, status messages and device connections this standby passed to the leader over Redis', 'kind', () => counts().uplinkSent);
    metrics.total('hub_cluster_uplink_send_failed_total', 'Telemetry, status and connections not passed on: Redis did not take them (never queued)', () => counts().uplinkSendFailed);
    metrics.total('hub_cluster_uplink_entries_written_total', 'Uplink stream entries Redis took from this standby, one per 10 ms of forwarded messages: sent / entries is how well they are packed', () => counts().uplinkEntriesWritten);
    metrics.counter(
      'hub_cluster_alarms_drained_total',
      'inbound_alarm rows this node, leading, fed into its pipeline, by outcome (failed: the pipeline refused it; the row stays and is tried again)',
      'outcome',
      () => counts().alarmsDrained,
    );
    metrics.counter('hub_cluster_uplink_received_total', 'Telemetry, status messages and device connections this node, leading, took off Redis from the standbys', 'kind', () => counts().uplinkReceived);
    metrics.total('hub_cluster_uplink_refused_total', 'Messages on the Redis uplink stream refused as malformed', () => counts().uplinkRefused);
    metrics.total('hub_cluster_uplink_stale_total', 'Messages on the Redis uplink stream dropped as older than 30 s on arrival (the backlog of a takeover or an outage)', () => counts().uplinkStale);
    metrics.total('hub_cluster_leader_changes_total', 'New leaders this node has seen take over since it started (each epoch once, itself included)', () => counts().leaderChanges);
    metrics.counter(
      'hub_replica_reads_total',
      'Console reads this standby took for its copy of the journal, by outcome: served here; behind (its copy had not reached the client\u2019s X-Hub-After in 1 s: the leader answered); unavailable (the session could not be read, or this node\u2019s lookups of tokens it does not hold were over their 100/s: the leader answered)',
      'outcome',
      () => {
        const { served, behind, unavailable } = counts().replicaReads;
        return { served, behind, unavailable };
      },
    );
    metrics.counter(
      'hub_replica_write_waits_total',
      'Writes this standby passed to the leader whose answer it held until its copy had the answer\u2019s journal line: reached, or not_reached (sent on after 1 s)',
      'outcome',
      () => ({ reached: counts().replicaReads.writesReached, not_reached: counts().replicaReads.writesNotReached }),
    );
    collectedMetrics(prom, leaderRegisters).gauge(
      'hub_cluster_inbound_alarms_pending',
      'Alarms stored in inbound_alarm by a node that does not run their home\u2019s pipeline, and not yet through the pipeline that does (the leader\u2019s, or with HUB_PARTITIONS=spread the home\u2019s owner\u2019s); the whole cluster\u2019s count, shown by the leader only; NaN: the database did not answer in time',
      () => withinLimit(source.pendingInboundAlarms()),
    );
    this.handOffSeconds = new prom.Histogram({
      name: 'hub_cluster_handoff_seconds',
      help: 'From a standby receiving a device message to the leader having taken it in (event: journaled durably; telemetry, status: through ingest). Two nodes\u2019 clocks: includes their skew',
      labelNames: ['channel'],
      buckets,
      registers,
    });
  }

  /**
   * Times one forwarded message on the leader: `taken` is the promise its
   * pipeline returned (an alarm's journal write), undefined when it was
   * through at once. A refused one is not timed: it is counted elsewhere.
   */
  handOff(channel: UplinkChannel, receivedAt: number, taken: Promise<unknown> | undefined): void {
    // Another node's clock may run ahead of this one's: never a negative duration.
    const observe = () => this.handOffSeconds.observe({ channel }, Math.max(0, this.now() - receivedAt) / 1000);
    if (taken) taken.then(observe, () => undefined);
    else observe();
  }
}

async function withinLimit(count: Promise<number>): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((resolve) => (timer = setTimeout(() => resolve(Number.NaN), PENDING_QUERY_LIMIT_MS)));
  try {
    return await Promise.race([count.catch(() => Number.NaN), late]);
  } finally {
    clearTimeout(timer);
  }
}
