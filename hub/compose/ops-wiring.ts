/**
 * Operations of one node (issue 12 items 6 and 7: /health, /metrics, the
 * pipeline heartbeat), as the composition root (hub/hub.ts) wires it over the
 * services built before it. The parts built after it (broker, stream,
 * notifications) are read through `later` when asked, never at build time.
 */
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { HubConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { Ingest } from '../ingest/ingest.js';
import type { LoadShedder } from '../ingest/load-shedder.js';
import type { NotifyService } from '../notify/notify-service.js';
import { HubOps } from '../ops/hub-ops.js';
import type { BrokerMetricsSource } from '../broker/broker-options.js';
import { WebhookListCache } from '../ops/webhook-list-cache.js';
import type { Stores } from '../storage/select-stores.js';
import type { ClusterRole } from './cluster-role.js';

export interface OpsWiringDeps {
  config: HubConfig;
  clock: Clock;
  bus: EventBus<HubEvents>;
  stores: Pick<Stores, 'journal' | 'webhooks'>;
  ingest: Ingest;
  load: LoadShedder;
  cluster: ClusterNode | undefined;
  role: ClusterRole | undefined;
  log: Logger;
  /** Built after operations: read when a report or a heartbeat needs them. */
  later: { notify(): NotifyService; mqttClients(): number; streamConnections(): number; broker(): BrokerMetricsSource | undefined };
}

export function buildOps({ config, clock, bus, stores, ingest, load, cluster, role, log, later }: OpsWiringDeps): HubOps {
  const runsPipeline = () => !role || role.runsPipeline;
  // A standby runs no notification service: it reads the webhooks from the database when its heartbeat stalls.
  const standbyWebhooks = new WebhookListCache(() => stores.webhooks.load());
  return new HubOps({
    config,
    clock,
    bus,
    journal: stores.journal,
    log: log.child({ module: 'ops' }),
    webhooks: () => (runsPipeline() ? later.notify().webhookStore.list() : standbyWebhooks.list()),
    runsPipeline,
    probeEcho: cluster?.probeEcho,
    mqttClients: later.mqttClients,
    broker: later.broker,
    streamConnections: later.streamConnections,
    dropped: () => ingest.dropped,
    webhookQueueDepth: () => later.notify().stats.pending,
    // A cluster node reports the peers it hears and whether Redis answers; alone, the defaults.
    ...(cluster ? { cluster: cluster.view() } : {}),
    clusterMetrics: role?.election.metricsSource(),
    load: () => ({ shedding: load.shedding, eventLoopUtilisation: Math.round(load.utilisation * 100) / 100, shedTelemetry: load.shedTelemetry }),
  });
}
