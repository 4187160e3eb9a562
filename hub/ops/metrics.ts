/**
 * /metrics in the Prometheus text format (issue 12 item 6), through
 * prom-client: the exposition format, label escaping, histograms and the
 * process / event-loop metrics every Node service is expected to have, which
 * hand-written code would get subtly wrong.
 *
 * The hot path pays nothing for it: per message only plain number fields are
 * incremented (MessageCounts, RuleLag), and prom-client's objects are filled
 * from them when Prometheus scrapes (`collect`). The one per-message
 * observation is the PUBACK histogram, for events only (rare next to
 * telemetry). Every series carries `node`, so a cluster's nodes can be told
 * apart. No label carries a device, home or person (privacy, cardinality).
 *
 * prom-client is loaded with a dynamic import once the hub is up (HubMetrics.load):
 * loading it (and the OpenTelemetry API it requires) at start would cost the
 * 400 ms cold-start budget (docs/PERFORMANCE.md) tens of milliseconds.
 */
import type { Histogram, Registry } from 'prom-client';
import type { UplinkChannel } from '../../devices/topics.js';
import type { BrokerMetricsSource } from '../broker/broker-options.js';
import { ClusterMetrics, type ClusterMetricsSource } from './cluster-metrics.js';
import type { ClusterView } from './cluster-view.js';
import { collectedMetrics, type CollectedMetrics } from './collected-metrics.js';
import type { PipelineStatus } from './pipeline-monitor.js';

/** Device messages per channel since start; plain fields, incremented by message-tap.ts. */
export type MessageCounts = Record<UplinkChannel, number>;

export const newMessageCounts = (): MessageCounts => ({ event: 0, telemetry: 0, status: 0 });

/**
 * Rule lag: how long after its arrival at this node's ingest a device message
 * has been through the rules (a bus listener after the engine's). It is ~0
 * while the pipeline keeps up (it is synchronous); a message a standby passed
 * on is timed from the leader's ingest, its way there being
 * `hub_cluster_handoff_seconds` (cluster-metrics.ts). The largest since the
 * previous scrape is reported.
 */
export class RuleLag {
  private maxMs = 0;
  constructor(private readonly now: () => number) {}
  note(receivedAt: number): void {
    const lag = this.now() - receivedAt;
    if (lag > this.maxMs) this.maxMs = lag;
  }
  takeMaxMs(): number {
    const max = this.maxMs;
    this.maxMs = 0;
    return max;
  }
}

export interface MetricsSources {
  cluster: ClusterView;
  /** Undefined before the broker is built. */
  broker(): BrokerMetricsSource | undefined;
  /** Device MQTT connections (the probe's own is not one). */
  deviceConnections(): number;
  streamConnections(): number;
  messages: Readonly<MessageCounts>;
  dropped(): Readonly<Record<string, number>>;
  ruleLag: RuleLag;
  /** Alert webhook deliveries waiting to be sent. */
  webhookQueueDepth(): number;
  opsWebhooksPending(): number;
  pipeline(): PipelineStatus;
  journalHealthy(): boolean;
  /** The last journal line this node holds (a standby: the last it followed). */
  journalLastN(): number;
  /** Milliseconds until the partitions' leases run out unless renewed; undefined when this node holds none. */
  partitionLeaseLeftMs(): number | undefined;
  now(): number;
  /** A node that elects a leader: what it forwarded and drained (cluster-metrics.ts). */
  clusterMetrics?: ClusterMetricsSource | undefined;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Finer at the low end: the alarm stages and read phases are a few ms when all is well. */
const STAGE_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

type PromClient = typeof import('prom-client');

/**
 * prom-client's process metrics (CPU, memory, event-loop lag, GC), set up once
 * per process and shared by every hub in it: they describe the process, not
 * a hub, and each set starts an event-loop monitor that nothing can stop
 * (tests start hundreds of hubs in one process). Hence no `node` label on them.
 */
let processMetrics: Registry | undefined;

function processRegistry(prom: PromClient): Registry {
  if (!processMetrics) {
    processMetrics = new prom.Registry();
    prom.collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

export class HubMetrics {
  readonly registry: Registry;
  /** Time from the hub receiving a device event to releasing its PUBACK (journal durable). */
  readonly pubackSeconds: Histogram;
  readonly heartbeatSeconds: Histogram;
  /** Set on a node that elects a leader. */
  readonly cluster: ClusterMetrics | undefined;
  /** Series rendered only while this node leads (the cluster's inbound_alarm backlog). */
  private readonly leaderRegistry: Registry;
  /** An event's time in the hub by stage: `ingest` (read to ingest done), `durable` (then to its PUBACK). */
  readonly alarmStageSeconds: Histogram<'stage'>;
  /** How long one event-loop turn spent reading device messages (first message to the end of the poll phase). */
  readonly readPhaseSeconds: Histogram;

  static async load(sources: MetricsSources): Promise<HubMetrics> {
    return new HubMetrics(await import('prom-client'), sources);
  }

  private constructor(
    private readonly prom: PromClient,
    private readonly sources: MetricsSources,
  ) {
    const { Histogram } = prom;
    this.registry = new prom.Registry();
    this.leaderRegistry = new prom.Registry();
    const registers = [this.registry];
    for (const registry of [this.registry, this.leaderRegistry]) registry.setDefaultLabels({ node: sources.cluster.nodeId });
    this.pubackSeconds = new Histogram({
      name: 'hub_alarm_puback_seconds',
      help: 'Device events (alarms among them: every event waits like one) from reaching the hub to their PUBACK being released, i.e. journaled durably',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.heartbeatSeconds = new Histogram({ name: 'hub_pipeline_heartbeat_seconds', help: 'Synthetic heartbeat round trip: broker, ingest, journal, stream, PUBACK', buckets: LATENCY_BUCKETS, registers });
    this.alarmStageSeconds = new Histogram({
      name: 'hub_alarm_stage_seconds',
      help: 'Device events the hub read itself, by stage: ingest (packet read to ingest done: rules, journal append), durable (ingest done to PUBACK: the journal write)',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.readPhaseSeconds = new Histogram({
      name: 'hub_uplink_read_phase_seconds',
      help: 'Per event-loop turn: time from the first device message read to the end of reading (an alarm read in this turn waits up to this long before its durable write can be noticed)',
      buckets: STAGE_BUCKETS,
      registers,
    });
    const metrics = collectedMetrics(prom, registers);
    this.deviceCounters(metrics);
    this.brokerSeries(metrics);
    this.gauges(metrics);
    this.cluster = sources.clusterMetrics
      ? new ClusterMetrics(prom, { registers, leaderRegisters: [this.leaderRegistry], buckets: LATENCY_BUCKETS, now: sources.now }, sources.clusterMetrics)
      : undefined;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    const leading = this.sources.cluster.role() === 'leader';
    const parts = await Promise.all([processRegistry(this.prom).metrics(), this.registry.metrics(), leading ? this.leaderRegistry.metrics() : '']);
    return parts.join('');
  }

  private deviceCounters(metrics: CollectedMetrics): void {
    const { messages, dropped } = this.sources;
    metrics.counter('hub_device_messages_total', 'Device messages received, by channel (rate() gives messages per second)', 'channel', () => messages);
    metrics.counter(
      'hub_device_messages_dropped_total',
      'Device messages dropped by ingest, by reason (unknown device, not JSON, invalid payload, duplicate, bad status)',
      'reason',
      dropped,
    );
  }

  /** The broker's refusals and its close queue: a flood of bad clients or a mass disconnect shows here. */
  private brokerSeries({ gauge, counter, total }: CollectedMetrics): void {
    const broker = () => this.sources.broker();
    gauge('hub_mqtt_closes_waiting', 'Ended MQTT connections whose close (will, session clean-up) waits for its turn; high after a mass disconnect', () => broker()?.closesWaiting ?? 0);
    counter('hub_mqtt_refused_total', 'MQTT requests refused, by action (connect: wrong credentials; publish/subscribe: outside the ACL; rate_limit)', 'action', () => broker()?.refused ?? {});
    total('hub_mqtt_guard_violations_total', 'MQTT connections dropped by the packet guard (oversized or malformed packets, too many bytes before CONNACK)', () => broker()?.guardViolations ?? 0);
    total('hub_mqtt_slow_consumers_dropped_total', 'MQTT connections closed because they stopped reading', () => broker()?.slowConsumersDropped ?? 0);
    total('hub_mqtt_connections_rate_limited_total', 'TCP connections refused by the per-IP connection rate', () => broker()?.connectionsRateLimited ?? 0);
    total('hub_mqtt_replaced_wills_dropped_total', 'Wills dropped because the device had already replaced the connection with a newer one', () => broker()?.replacedWillsDropped ?? 0);
  }

  private gauges({ gauge }: CollectedMetrics): void {
    const s = this.sources;
    gauge('hub_mqtt_connections', 'Device MQTT connections open now', () => s.deviceConnections());
    gauge('hub_stream_connections', 'Console WebSocket connections open now', () => s.streamConnections());
    gauge('hub_rule_lag_seconds', 'Largest delay from a device message arriving to the rules having handled it, since the previous scrape', () => s.ruleLag.takeMaxMs() / 1000);
    gauge('hub_leader', '1 while this node runs the pipeline (a hub alone, or the cluster leader); 0 on a standby', () => (s.cluster.role() === 'standby' ? 0 : 1));
    gauge('hub_partitions_owned', 'Home partitions this node owns now (alone: all of them)', () => s.cluster.partitions().owned.length);
    gauge('hub_partitions_total', 'Home partitions in the cluster', () => s.cluster.partitions().total);
    gauge('hub_partition_lease_seconds_left', 'Seconds until the partition leases this node holds run out unless renewed (renewed every fifth of the lease; falling towards 0: renewals are late). -1: it holds none (a standby, files)', () => {
      const left = s.partitionLeaseLeftMs();
      return left === undefined ? -1 : Math.max(0, left) / 1000;
    });
    gauge('hub_peers_seen', 'Other hub nodes this node hears from', () => s.cluster.peers().length);
    gauge('hub_webhook_queue_depth', 'Alert webhook deliveries waiting to be sent (new or retrying)', () => s.webhookQueueDepth());
    gauge('hub_ops_webhooks_pending', 'hub.pipeline_* webhook sends not yet accepted', () => s.opsWebhooksPending());
    gauge('hub_journal_healthy', '1 while the journal can make lines durable (alarms are refused otherwise)', () => (s.journalHealthy() ? 1 : 0));
    gauge('hub_journal_last_line', 'The last journal line this node holds: the leader its last written, a standby the last it followed', () => s.journalLastN());
    gauge('hub_pipeline_stalled', '1 while a synthetic heartbeat is overdue (/health is 503)', () => (s.pipeline().ok ? 0 : 1));
    gauge('hub_pipeline_heartbeat_age_seconds', 'Time since a synthetic heartbeat last came through the whole pipeline (-1: none yet)', () => {
      const last = s.pipeline().lastCompleted;
      return last ? (s.now() - last.at) / 1000 : -1;
    });
  }
}
