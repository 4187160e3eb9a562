/**
 * The services people use, as the composition root (hub/hub.ts) builds them:
 * sessions, installers' homes and devices, the live stream, notifications,
 * visits, reports and drills. Split out of hub.ts so that file keeps to the
 * order of things; each service still gets its parts passed in explicitly.
 * Also subscribes this node to registry changes other nodes commit.
 */
import type { AlertIntake } from '../alerts/alert-intake.js';
import type { AlertStore } from '../alerts/alert-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { SessionStore } from '../auth/sessions.js';
import type { CallbackStore } from '../callbacks/callback-store.js';
import type { HubConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { DrillService } from '../drills/drill-service.js';
import { Commissioning } from '../homes/commissioning.js';
import { DeviceService } from '../homes/device-service.js';
import { followRegistryChanges } from '../homes/follow-registry-changes.js';
import { HomeService } from '../homes/home-service.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import type { DevicePresence } from '../ingest/presence.js';
import { addressGuard } from '../notify/address-guard.js';
import { parseHostAllowList } from '../notify/host-allow-list.js';
import { NotifyService } from '../notify/notify-service.js';
import type { AlertFeed } from '../realtime/alert-feed.js';
import { StreamServer } from '../realtime/stream-server.js';
import type { Registry } from '../registry/registry.js';
import { ReportService } from '../reports/report-service.js';
import type { OperatorPresence } from '../shifts/presence.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from '../core/partition-ownership.js';
import type { Stores } from '../storage/select-stores.js';
import { VisitService } from '../visits/visit-service.js';
import { VisitStore } from '../visits/visit-store.js';

export interface PeopleServiceDeps {
  config: Pick<HubConfig, 'timezone' | 'webhookSecret' | 'webhookAllowedHosts' | 'webhookAllowPrivate'>;
  stores: Pick<Stores, 'sessions' | 'webhooks' | 'deliveries' | 'visits'>;
  registry: Registry;
  journal: Stores['journal'];
  bus: EventBus<HubEvents>;
  audit: AuditLog;
  states: DeviceStateStore;
  presence: DevicePresence;
  alerts: AlertStore;
  alertFeed: AlertFeed;
  intake: AlertIntake;
  callbackStore: CallbackStore;
  operators: OperatorPresence;
  clock: Clock;
  log: Logger;
  /** Cuts a device off on this node only (a registry change another node made). */
  disconnectHere(deviceId: string): void;
  /** Cuts a device off wherever it is connected (a revocation made here). */
  disconnectAnywhere(deviceId: string): void;
  /** Watchdogs run only where the pipeline runs (a cluster standby has none). */
  runsPipeline(): boolean;
  /** Which homes' webhooks this node sends (hub/core/partition-ownership.ts). */
  ownership: PartitionOwnership;
}

export interface PeopleServices {
  sessions: SessionStore;
  commissioning: Commissioning;
  homes: HomeService;
  devices: DeviceService;
  stream: StreamServer;
  notify: NotifyService;
  visitStore: VisitStore;
  visits: VisitService;
  reports: ReportService;
  drills: DrillService;
}

export function buildPeopleServices(deps: PeopleServiceDeps): PeopleServices {
  const { config, registry, bus, audit, states, presence, alerts, clock, log } = deps;
  const now = () => clock.now();
  const sessions = new SessionStore({ store: deps.stores.sessions, now });
  const commissioning = new Commissioning({ registry, journal: deps.journal, bus, states, clock });
  followChanges(deps, sessions);
  const visitStore = new VisitStore(deps.stores.visits);
  const visits = new VisitService({ store: visitStore, registry, intake: deps.intake, audit, now, timezone: config.timezone });
  return {
    sessions,
    commissioning,
    homes: new HomeService(registry, presence, audit, commissioning, sessions),
    devices: new DeviceService({ registry, presence, states, audit, disconnect: deps.disconnectAnywhere, now }),
    stream: new StreamServer({
      sessions,
      alerts,
      feed: deps.alertFeed,
      states,
      bus,
      log: log.child({ module: 'stream' }),
      userHomes: (id) => registry.getUser(id)?.homeIds,
      now,
      presence: deps.operators,
    }),
    notify: new NotifyService({
      webhooks: deps.stores.webhooks,
      deliveryLog: deps.stores.deliveries,
      bus,
      registry,
      audit,
      clock,
      timezone: config.timezone,
      defaultSecret: config.webhookSecret,
      allowedHosts: parseHostAllowList(config.webhookAllowedHosts),
      addressGuard: addressGuard(config.webhookAllowPrivate),
      log: log.child({ module: 'notify' }),
      recentAlerts: () => alerts.list(),
      ownership: deps.ownership,
    }),
    visitStore,
    visits,
    reports: new ReportService({ alerts, registry, states, visits, callbacks: deps.callbackStore, now, timezone: config.timezone }),
    drills: new DrillService({
      alerts,
      journal: deps.journal,
      homes: registry,
      audit,
      now,
      // Only a share that moves (HUB_PARTITIONS=spread) makes other nodes' drill lines this node's work.
      ownership: deps.ownership === OWNS_EVERYTHING ? undefined : deps.ownership,
      onError: (err) => log.warn({ module: 'drills', err }, 'a drill alert of a home this node owns was not raised or resolved here; its next owner does it'),
    }),
  };
}

/**
 * Records other nodes commit reach this registry through the store's change feed (PostgreSQL);
 * this node reacts as the writing node did: revoked/rotated devices cut off here, sessions of
 * changed users ended, watchdogs kept in step where the pipeline runs.
 */
function followChanges({ registry, presence, states, runsPipeline, disconnectHere, log }: PeopleServiceDeps, sessions: SessionStore): void {
  followRegistryChanges(
    registry,
    {
      disconnect: disconnectHere,
      watch: (d) => runsPipeline() && presence.watch(d),
      unwatch: (id) => runsPipeline() && presence.unwatch(id),
      retime: (d) => runsPipeline() && presence.retime(d),
      rehome: (id, homeId) => {
        states.rehome(id, homeId);
        // Watched by the new home's owner, no longer by the old one's (HUB_PARTITIONS=spread; a no-op for a node that owns both).
        const device = registry.getDevice(id);
        if (device && runsPipeline()) presence.moved(device);
      },
      revokeSessions: (id, reason) => sessions.revokeUser(id, reason),
    },
    log.child({ module: 'registry' }),
  );
}
