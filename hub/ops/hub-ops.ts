/**
 * Operations, as one service for the composition root (issue 12 items 6 and
 * 7): the node id, /health's report, /metrics, and the pipeline heartbeat
 * with its webhooks; and the heap a start or a burst leaves behind, given back
 * once the hub is quiet (idle-memory.ts, issue 14 item 3). hub.ts hands it closures over the other services (read
 * at call time, so construction order does not matter) and asks it for three
 * wrappers: the broker's access policy (the probe may connect), the
 * device-message handler (heartbeats out, counters in) and the health report.
 * Started after the broker (the probe connects to it), stopped before it.
 */
import type { HubConfig } from '../config/config.js';
import type { MetricsEndpoint } from './health-report.js';
import type { AccessPolicy } from '../broker/access-policy.js';
import type { BrokerMetricsSource } from '../broker/broker-options.js';
import type { UplinkTimings } from '../broker/uplink-scheduler.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { resolveNodeId } from '../core/node-id.js';
import type { UplinkChannel } from '../../devices/topics.js';
import type { DeviceMessageHandler } from '../ingest/journal-dedupe.js';
import { addressGuard } from '../notify/address-guard.js';
import { parseHostAllowList } from '../notify/host-allow-list.js';
import { webhookSender, type PostWebhook } from '../notify/http-sender.js';
import type { OrgWebhook } from '../notify/webhook-store.js';
import type { JournalStore } from '../storage/ports.js';
import { singleNodeView, type ClusterView } from './cluster-view.js';
import { ALL_HOME_PARTITIONS } from '../core/partitions.js';
import { healthReport, type HealthReport } from './health-report.js';
import { tapDeviceMessages } from './message-tap.js';
import type { ClusterMetricsSource } from './cluster-metrics.js';
import { eventLoopSampler } from '../ingest/load-shedder.js';
import { IdleMemory, inspectorReturnHeap } from './idle-memory.js';
import { HubMetrics, newMessageCounts, RuleLag, type MetricsSources } from './metrics.js';
import { OpsWebhooks } from './ops-webhooks.js';
import { PipelineProbe, probeAddress, type ProbeEchoPort } from './pipeline-probe.js';
import { probeIdentity, withProbe, type ProbeIdentity } from './probe-access.js';

type OpsConfig = Pick<
  HubConfig,
  'nodeId' | 'host' | 'mqttPort' | 'databaseUrl' | 'metricsToken' | 'heartbeatIntervalMs' | 'pipelineStallMs' | 'webhookAllowedHosts' | 'webhookAllowPrivate'
>;

export interface HubOpsDeps {
  config: OpsConfig;
  clock: Clock;
  bus: EventBus<HubEvents>;
  journal: JournalStore;
  log: Logger;
  /** The cluster's view of this node; default: alone. */
  cluster?: ClusterView;
  /** A cluster standby reads them from the database (hub/ops/webhook-list-cache.ts). */
  webhooks(): readonly OrgWebhook[] | Promise<readonly OrgWebhook[]>;
  /** Every open MQTT connection, the probe's included. */
  mqttClients(): number;
  /** The broker's counters and close queue, for /metrics. */
  broker?: () => BrokerMetricsSource | undefined;
  streamConnections(): number;
  dropped(): Readonly<Record<string, number>>;
  webhookQueueDepth(): number;
  load(): HealthReport['load'];
  /** A node that elects a leader: its forwarding counters for /metrics (cluster-metrics.ts). */
  clusterMetrics?: ClusterMetricsSource | undefined;
  /** Tests may replace the webhook POST. */
  post?: PostWebhook;
  /** A cluster node: false while another node leads (its heartbeats then go to that node). Alone: always true. */
  runsPipeline?: () => boolean;
  /** A cluster node: heartbeats echoed between nodes through Redis (hub/cluster/probe-echo.ts). */
  probeEcho?: ProbeEchoPort | undefined;
}

export class HubOps {
  readonly nodeId: string;
  readonly cluster: ClusterView;
  readonly probe: PipelineProbe;
  readonly webhooks: OpsWebhooks;
  /** Set once prom-client has loaded, just after start (metrics.ts says why not before). */
  private metrics: HubMetrics | undefined;
  private metricsLoading: Promise<HubMetrics> | undefined;
  private probeStarting: Promise<void> | undefined;
  /** The probe and metrics loading, scheduled by start() for the event loop's next turn. */
  private deferredStart: NodeJS.Immediate | undefined;
  private readonly sources: MetricsSources;
  private readonly identity: ProbeIdentity;
  private readonly counts = newMessageCounts();
  private readonly ruleLag: RuleLag;
  private offRuleLag: (() => void) | undefined;
  private idleMemory: IdleMemory | undefined;
  private stopped = false;

  constructor(private readonly deps: HubOpsDeps) {
    const { config, clock, log } = deps;
    this.nodeId = resolveNodeId(config.nodeId, config.mqttPort);
    const { journal } = deps;
    this.cluster = deps.cluster ?? singleNodeView(this.nodeId, () => journal.partitionsHeld ?? ALL_HOME_PARTITIONS);
    this.identity = probeIdentity(this.nodeId);
    this.ruleLag = new RuleLag(() => clock.now());
    this.webhooks = new OpsWebhooks({
      nodeId: this.nodeId,
      webhooks: deps.webhooks,
      post: deps.post ?? webhookSender({ guard: addressGuard(config.webhookAllowPrivate) }),
      allowedHosts: parseHostAllowList(config.webhookAllowedHosts),
      clock,
      log,
    });
    this.probe = new PipelineProbe({
      nodeId: this.nodeId,
      identity: this.identity,
      clock,
      intervalMs: config.heartbeatIntervalMs,
      stallMs: config.pipelineStallMs,
      journal: deps.journal,
      bus: deps.bus,
      log,
      onStalled: (report) => {
        log.error({ beat: report.beat, stage: report.stage }, `PIPELINE STALLED: ${report.reason}`);
        this.webhooks.send('hub.pipeline_stalled', { stage: report.stage, reason: report.reason, since: iso(report.since), lastHeartbeatAt: report.lastCompletedAt === undefined ? null : iso(report.lastCompletedAt) });
      },
      onRecovered: (report) => {
        log.warn({ beat: report.beat, stalledForMs: report.stalledForMs }, 'pipeline flowing again');
        this.webhooks.send('hub.pipeline_recovered', { stalledSince: iso(report.stalledSince), stalledForMs: report.stalledForMs });
      },
      onRoundTrip: (ms) => this.metrics?.heartbeatSeconds.observe(ms / 1000),
      forwarding: () => deps.runsPipeline?.() === false,
      echo: deps.probeEcho,
    });
    this.sources = {
      cluster: this.cluster,
      broker: () => deps.broker?.(),
      deviceConnections: () => this.deviceConnections(),
      streamConnections: deps.streamConnections,
      messages: this.counts,
      dropped: deps.dropped,
      ruleLag: this.ruleLag,
      webhookQueueDepth: deps.webhookQueueDepth,
      opsWebhooksPending: () => this.webhooks.pendingCount,
      pipeline: () => this.probe.monitor.status(),
      journalHealthy: () => deps.journal.healthy,
      journalLastN: () => deps.journal.lastN,
      partitionLeaseLeftMs: () => deps.journal.partitionLeaseLeftMs,
      now: () => clock.now(),
      clusterMetrics: deps.clusterMetrics,
    };
  }

  /** The broker's access policy, with the probe let in under its reserved client id. */
  access(inner: AccessPolicy): AccessPolicy {
    return withProbe(inner, this.identity);
  }

  /** The broker's device-message handler, with heartbeats taken out and messages counted. */
  tap(next: DeviceMessageHandler): DeviceMessageHandler {
    // Events in the moment before prom-client has loaded (just after start) are counted, not timed.
    const pubackSeconds = { observe: (seconds: number) => this.metrics?.pubackSeconds.observe(seconds) };
    return tapDeviceMessages({ probe: this.probe, counts: this.counts, pubackSeconds }, next);
  }

  /** The broker scheduler's timings, into /metrics once prom-client has loaded (none before). */
  uplinkTimings(): UplinkTimings {
    return {
      event: (ingestMs, durableMs) => {
        const stage = this.metrics?.alarmStageSeconds;
        stage?.observe({ stage: 'ingest' }, ingestMs / 1000);
        stage?.observe({ stage: 'durable' }, durableMs / 1000);
      },
      readPhase: (ms) => this.metrics?.readPhaseSeconds.observe(ms / 1000),
    };
  }

  isProbe(clientId: string): boolean {
    return this.probe.isProbe(clientId);
  }

  /**
   * Loads prom-client in the background (once): at start() on a node that runs
   * the pipeline, and at a standby's start, whose PUBACK times and forwarding
   * counters are observed from then on — not only from its first scrape.
   */
  loadMetrics(): Promise<HubMetrics> {
    if (!this.metricsLoading) {
      this.metricsLoading = HubMetrics.load(this.sources).then((metrics) => (this.metrics = metrics));
      this.metricsLoading.catch((err: unknown) => this.deps.log.error({ err }, 'metrics did not load'));
    }
    return this.metricsLoading;
  }

  /** The leader took in a message a standby received at `receivedAt`; `taken` settles once it is through (cluster-metrics.ts). */
  handOff(channel: UplinkChannel, receivedAt: number, taken: Promise<unknown> | undefined): void {
    this.metrics?.cluster?.handOff(channel, receivedAt, taken);
  }

  /**
   * Once the broker listens on `mqttPort`: the heartbeats start. The MQTT
   * client and prom-client load in the background, so the hub's start does
   * not wait for them (the first heartbeat waits instead). Started last, and
   * in the event loop's next turn: bundled, their "imports" are synchronous
   * code that would otherwise run before the start lines (~40 ms of the cold
   * start, issue 14 memory third pass).
   */
  start(mqttPort: number): void {
    const { log } = this.deps;
    // After the rules engine's own listener: the lag measured is "through the rules".
    this.offRuleLag = this.deps.bus.on('device.signal', (signal) => this.ruleLag.note(signal.receivedAt));
    this.deferredStart = setImmediate(() => {
      const metrics = this.loadMetrics();
      this.probeStarting = this.probe.start(probeAddress(this.deps.config.host, mqttPort)).catch((err: unknown) => log.error({ err }, 'pipeline probe did not start'));
      // Once what loads after the start lines is in, the start's heap goes back (idle-memory.ts).
      void Promise.allSettled([metrics, this.probeStarting]).then(() => this.returnIdleMemory());
    });
  }

  private async returnIdleMemory(): Promise<void> {
    const returnHeap = await inspectorReturnHeap();
    if (!returnHeap || this.stopped) return;
    this.idleMemory = new IdleMemory({ sample: eventLoopSampler(), returnHeap, log: this.deps.log });
    this.idleMemory.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.idleMemory?.stop();
    this.offRuleLag?.();
    clearImmediate(this.deferredStart);
    this.webhooks.stop();
    await this.probe.stop();
    await this.probeStarting; // a start still importing mqtt sees the stop and connects nothing
  }

  health(): HealthReport {
    const { journal } = this.deps;
    return healthReport({
      cluster: this.cluster,
      databaseKind: this.deps.config.databaseUrl ? 'postgresql' : 'files',
      journal: { healthy: journal.healthy, lastError: journal.lastError, lastN: journal.lastN, replicaCurrent: journal.replicaCurrent },
      deviceConnections: () => this.deviceConnections(),
      load: this.deps.load(),
      pipeline: this.probe.monitor.status(),
    });
  }

  /** For createApi: the /metrics endpoint and who may read it. */
  get metricsRoute() {
    const endpoint: MetricsEndpoint = {
      render: async () => {
        const metrics = this.metrics ?? (await this.loadMetrics());
        return { body: await metrics.render(), contentType: metrics.contentType };
      },
    };
    return { endpoint, token: this.deps.config.metricsToken };
  }

  /** Device connections open now: the heartbeat probe's own connection is not a device. */
  deviceConnections(): number {
    return Math.max(0, this.deps.mqttClients() - (this.probe.connected ? 1 : 0));
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
