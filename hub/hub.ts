/**
 * The composition root: builds every service, starts them in order and stops
 * them in reverse (zigbee2mqtt lib/controller.ts). Nothing else wires services
 * together. Start order matters: the journal is replayed before the broker
 * accepts a single device, so dedupe and alert state are complete.
 */
import type { AddressInfo } from 'node:net';
import type { HubOptions, HubStarted } from './compose/hub-options.js';
import { fileURLToPath } from 'node:url';
import type { AlertIntake } from './alerts/alert-intake.js';
import { AlertLifecycle } from './alerts/alert-lifecycle.js';
import type { AlertLocations } from './alerts/alert-location.js';
import type { EmergencyHomes } from './alerts/emergency-homes.js';
import type { AlertStore } from './alerts/alert-store.js';
import type { Escalation } from './alerts/escalation.js';
import type { FollowUp } from './alerts/follow-up.js';
import type { CallbackService } from './callbacks/callback-service.js';
import type { CallbackStore } from './callbacks/callback-store.js';
import { deviceMessageKeyOf } from './alerts/message-key.js';
import { AuditLog } from './audit/audit-log.js';
import type { SessionStore } from './auth/sessions.js';
import type { MqttBroker } from './broker/mqtt-broker.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import { AlertCommands } from './commands/alert-commands.js';
import { CommandOutbox } from './commands/command-outbox.js';
import { DeviceConfig } from './commands/device-config.js';
import { TlsCertificates } from './config/tls-certificates.js';
import { systemClock, type Clock } from './core/clock.js';
import type { DrillService } from './drills/drill-service.js';
import { ensureWritableDir } from './core/data-dir.js';
import { EventBus } from './core/event-bus.js';
import type { HubEvents } from './core/hub-events.js';
import { silentLogger, type Logger } from './core/logger.js';
import { resolveNodeId } from './core/node-id.js';
import { OWNS_EVERYTHING, type PartitionOwnership } from './core/partition-ownership.js';
import { SpreadWiring } from './compose/spread-wiring.js';
import { named, ServiceList, step, type Service } from './core/service.js';
import { reportDataDirModes } from './compose/first-start.js';
import { firstAdmin, pipelineServices, pipelineSnapshot } from './compose/pipeline-services.js';
import { advertisedUrl } from './compose/advertised-url.js';
import { buildHubApp } from './compose/hub-app.js';
import type { ClusterRole } from './compose/cluster-role.js';
import { buildAlertServices } from './compose/alert-services.js';
import { buildBroker } from './compose/broker-wiring.js';
import { buildClusterParts, type ClusterParts, type ClusterWiringDeps } from './compose/cluster-wiring.js';
import { buildPeopleServices, type PeopleServices } from './compose/people-services.js';
import { standbyFront } from './compose/standby-front.js';
import { HttpListener, type HubApp } from './compose/http-listener.js';
import type { Commissioning } from './homes/commissioning.js';
import type { DeviceService } from './homes/device-service.js';
import type { HomeService } from './homes/home-service.js';
import { DeviceStateStore } from './ingest/device-state.js';
import { Ingest } from './ingest/ingest.js';
import { eventLoopSampler, LoadShedder } from './ingest/load-shedder.js';
import type { DeviceMessageHandler } from './ingest/journal-dedupe.js';
import { localIngestOf } from './compose/local-ingest.js';
import { DevicePresence } from './ingest/presence.js';
import { SeqWindow } from './ingest/seq-window.js';
import type { NotifyService } from './notify/notify-service.js';
import type { HubOps } from './ops/hub-ops.js';
import { buildOps } from './compose/ops-wiring.js';
import { Registry } from './registry/registry.js';
import { RULES } from './rules/catalog/index.js';
import { RulesEngine } from './rules/engine.js';
import { TelemetryLimitsCache } from './rules/telemetry-limits.js';
import type { ReportService } from './reports/report-service.js';
import type { AlertFeed } from './realtime/alert-feed.js';
import type { StreamServer } from './realtime/stream-server.js';
import type { JournalStore, RulesSnapshotStore } from './storage/ports.js';
import { selectStores, type Stores } from './storage/select-stores.js';
import type { VisitService } from './visits/visit-service.js';
import { OperatorPresence, PRESENCE_ROLES } from './shifts/presence.js';
import type { VisitStore } from './visits/visit-store.js';

/** The built console: relative to this file, which the bundle (dist/hub.mjs) keeps one level down too. */
const CONSOLE_DIR = fileURLToPath(new URL('../dashboard/dist/', import.meta.url));

export type { HubOptions, HubStarted } from './compose/hub-options.js';

export class Hub {
  readonly bus: EventBus<HubEvents>;
  readonly registry: Registry;
  readonly journal: JournalStore;
  readonly audit: AuditLog;
  readonly alerts: AlertStore;
  readonly intake: AlertIntake;
  readonly lifecycle: AlertLifecycle;
  readonly locations: AlertLocations;
  readonly emergencyHomes: EmergencyHomes;
  readonly outbox: CommandOutbox;
  readonly alertCommands: AlertCommands;
  readonly deviceConfig: DeviceConfig;
  readonly escalation: Escalation;
  readonly followUp: FollowUp;
  readonly callbackStore: CallbackStore;
  readonly callbacks: CallbackService;
  readonly operators: OperatorPresence;
  readonly states = new DeviceStateStore();
  /** Which homes this node acts for: all of them, unless HUB_PARTITIONS=spread gives it a share (hub/core/partition-ownership.ts). */
  readonly ownership: PartitionOwnership;
  private readonly spread: SpreadWiring | undefined;
  readonly seqWindow = new SeqWindow();
  readonly presence: DevicePresence;
  readonly ingest: Ingest;
  readonly rules: RulesEngine;
  readonly broker: MqttBroker;
  /** Set with HUB_REDIS_URL: this hub is one node of a cluster (issue 12). */
  readonly cluster: ClusterNode | undefined;
  readonly sessions: SessionStore;
  readonly load: LoadShedder;
  readonly homes: HomeService;
  readonly commissioning: Commissioning;
  readonly devices: DeviceService;
  readonly stream: StreamServer;
  /** Alert events by journal line: what a reconnecting console missed, on any node (issue 12 item 4). */
  readonly alertFeed: AlertFeed;
  readonly notify: NotifyService;
  readonly visitStore: VisitStore;
  readonly visits: VisitService;
  readonly reports: ReportService;
  readonly drills: DrillService;
  readonly http: HttpListener;
  /** Node id, /health, /metrics, the pipeline heartbeat (issue 12 items 6, 7). */
  readonly ops: HubOps;
  /** Set on a cluster node sharing PostgreSQL: leader or standby, it runs the pipeline only while it leads (issue 12). */
  readonly role: ClusterRole | undefined;
  private readonly services: ServiceList;
  private readonly rulesSnapshot: RulesSnapshotStore;
  /** Set by start() when TLS is configured; SIGHUP reloads it (reloadTls). */
  private tls: TlsCertificates | undefined;
  /** True between a completed start and the next stop (a failed start saves no rule state). */
  private started = false;
  private mqttAddress: AddressInfo | undefined;
  private generatedAdminPassword: string | undefined;
  private replayedJournalLines = 0;
  private readonly log: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: HubOptions) {
    const { config } = options;
    const clock = (this.clock = options.clock ?? systemClock);
    const log = (this.log = options.log ?? silentLogger());
    const now = () => clock.now();
    this.bus = new EventBus<HubEvents>(log.child({ module: 'bus' }));
    const nodeId = resolveNodeId(config.nodeId, config.mqttPort);
    // Nodes sharing PostgreSQL and Redis elect one leader to run the pipeline (docs/CLUSTER.md).
    const electsLeader = Boolean(config.redisUrl && config.databaseUrl);
    // HUB_PARTITIONS=spread: each node owns a share of the homes instead (docs/CLUSTER.md "Owners").
    const spread = (this.spread = electsLeader && config.partitions === 'spread' ? this.spreadWiring(nodeId) : undefined);
    this.ownership = spread?.ownership ?? OWNS_EVERYTHING;
    const stores = this.openStores(nodeId, electsLeader, spread);
    this.journal = stores.journal;
    this.journal.onLeadershipLost((err) => this.fatal(`LEADERSHIP LOST: ${err.message}; this node writes nothing more and exits, for its supervisor to restart it (a standby, in a cluster)`));
    this.registry = new Registry(stores.registry, now);
    this.rulesSnapshot = stores.rulesSnapshot;
    this.audit = new AuditLog(this.journal, log.child({ module: 'audit' }), spread?.auditRoute(this.registry, () => this.role, now));
    ({ alertFeed: this.alertFeed, alerts: this.alerts, locations: this.locations, emergencyHomes: this.emergencyHomes, intake: this.intake, escalation: this.escalation, followUp: this.followUp, callbackStore: this.callbackStore, callbacks: this.callbacks } =
      buildAlertServices({ config, journal: this.journal, bus: this.bus, audit: this.audit, registry: this.registry, clock, log, ownership: this.ownership }));
    this.operators = new OperatorPresence(this.bus, now);
    const handOver = spread?.handOverSnapshot;
    const partitions = { ownership: this.ownership, devices: () => this.registry.listDevices(), handOver };
    this.presence = new DevicePresence(this.states, this.bus, clock, (device) => this.deviceConfig.watchdogHeartbeatSec(device), partitions);
    this.load = new LoadShedder(options.loadSampler ?? eventLoopSampler(), (shedding, utilisation) =>
      log.warn({ module: 'load', utilisation, shedTelemetry: this.load.shedTelemetry }, shedding ? 'OVERLOAD: shedding routine telemetry; alarms still processed' : 'load back to normal'),
    );
    const telemetryLimits = new TelemetryLimitsCache(this.registry);
    this.ingest = new Ingest(
      { registry: this.registry, states: this.states, seqWindow: this.seqWindow, watchdog: this.presence.watchdog, bus: this.bus },
      { journal: this.journal, load: this.load },
      log.child({ module: 'ingest' }),
      now,
      { limitsOf: (device) => telemetryLimits.of(device), inEmergency: (homeId) => this.emergencyHomes.has(homeId) },
    );
    this.rules = new RulesEngine({ rules: RULES, bus: this.bus, registry: this.registry, alerts: this.intake, clock, timezone: config.timezone, log: log.child({ module: 'rules' }), ownership: this.ownership, handOver });
    this.outbox = new CommandOutbox({ journal: this.journal, homeOfDevice: (id) => this.registry.getDevice(id)?.homeId, bus: this.bus, transport: { sendCommand: (id, cmd) => this.broker.sendCommand(id, cmd) }, clock, log: log.child({ module: 'commands' }), ownership: this.ownership });
    const localIngest = localIngestOf(this.journal, this.ingest, clock);
    const deviceConnection = (deviceId: string, connected: boolean, at: number) => this.bus.emit('device.connection', { deviceId, connected, at });
    ({ cluster: this.cluster, role: this.role } = this.clusterParts(nodeId, electsLeader, stores, localIngest, deviceConnection, spread));
    this.ops = buildOps({
      config,
      clock,
      bus: this.bus,
      stores,
      ingest: this.ingest,
      load: this.load,
      cluster: this.cluster,
      role: this.role,
      log,
      later: { notify: () => this.notify, mqttClients: () => this.broker.connectedClients, streamConnections: () => this.stream.connections, broker: () => this.broker?.metricsSource() },
    });
    this.broker = buildBroker({ config, registry: this.registry, journal: this.journal, audit: this.audit, ingest: this.ingest, localIngest, ops: this.ops, outbox: this.outbox, cluster: this.cluster, role: this.role, deviceConnection, scheduler: options.scheduler, clock, log });
    const alertLog = log.child({ module: 'alerts' });
    this.alertCommands = new AlertCommands({ store: this.alerts, outbox: this.outbox, bus: this.bus, clock, registry: this.registry, whenDurable: () => this.journal.whenDurable(), log: alertLog, ownership: this.ownership });
    this.lifecycle = new AlertLifecycle({ store: this.alerts, commands: this.alertCommands, now, log: alertLog, mayHold: (username) => this.mayHold(username) });
    this.deviceConfig = new DeviceConfig({ registry: this.registry, outbox: this.outbox, bus: this.bus, audit: this.audit, retime: (d) => this.presence.retime(d), log: log.child({ module: 'commands' }) });
    const people = this.peopleServices(stores);
    ({ sessions: this.sessions, commissioning: this.commissioning, homes: this.homes, devices: this.devices, stream: this.stream } = people);
    ({ notify: this.notify, visitStore: this.visitStore, visits: this.visits, reports: this.reports, drills: this.drills } = people);
    this.http = this.buildHttp(nodeId, stores);
    this.services = new ServiceList(this.serviceOrder(), log);
  }

  /** Files, or PostgreSQL with HUB_DATABASE_URL (hub/storage/select-stores.ts); on a cluster, the journal is the leader's lock. */
  private openStores(nodeId: string, electsLeader: boolean, spread: SpreadWiring | undefined): Stores {
    const { config, journalFileOpener } = this.options;
    return selectStores({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      now: () => this.clock.now(),
      log: this.log,
      messageKeyOf: deviceMessageKeyOf,
      journalFileOpener,
      leadership: { leaseMs: config.leaderLeaseMs, waitForLeadership: electsLeader, identity: () => ({ nodeId, httpUrl: advertisedUrl(config, this.http.address?.port, this.tls !== undefined) }), spread: spread?.leaseSettings() },
    });
  }

  /** HTTP and the stream; a cluster standby's front forwards to the leader until it leads. */
  private buildHttp(nodeId: string, stores: Stores): HttpListener {
    const { config } = this.options;
    const { clock, log } = this;
    const makeApp = () => buildHubApp(this, { config, clock, log, mqttEndpoint: () => this.mqttEndpoint(), consoleDir: CONSOLE_DIR });
    const leaderUrl = () => this.role?.election.watch.current()?.httpUrl;
    const replica = { journal: this.journal, sessions: this.sessions, buildApp: makeApp };
    return new HttpListener({
      host: config.host,
      port: config.httpPort,
      makeApp,
      stream: this.stream,
      tls: () => this.tls,
      front: this.role?.election.front(standbyFront({ nodeId, ops: this.ops, leaderUrl, replica, owners: this.spread?.frontOwners(stores, { hub: this, ownApi: (req, res) => this.http.ownApi(req, res) }), log: log.child({ module: 'front' }) })),
      log: log.child({ module: 'http' }),
    });
  }

  /** The cluster parts (hub/compose/cluster-wiring.ts); the parts built after them are reached lazily. */
  private clusterParts(nodeId: string, electsLeader: boolean, stores: Stores, localIngest: DeviceMessageHandler, deviceConnection: ClusterWiringDeps['deviceConnection'], spread: SpreadWiring | undefined): ClusterParts {
    const { config } = this.options;
    return buildClusterParts({
      spread: spread?.roleDeps(stores, { rules: this.rules, presence: this.presence, registry: this.registry, notify: { reloadWebhooks: () => this.notify.reloadWebhooks() }, clock: this.clock }),
      config,
      nodeId,
      electsLeader,
      inboundAlarms: stores.inboundAlarms,
      journal: this.journal,
      outbox: this.outbox,
      bus: this.bus,
      localIngest,
      deviceConnection,
      disconnectLocal: (id) => this.broker.disconnect(id),
      handOff: (channel, receivedAt, taken) => this.ops.handOff(channel, receivedAt, taken),
      heartbeatFromNode: (clientId, payload) => this.ops.probe.arriveFromPeer(clientId, payload),
      auditFromNode: (r) => this.audit.record(r.action, r.actor, r.target, r.detail),
      pipeline: () => this.pipelineServices(),
      saveCheckpoint: () => this.rulesSnapshot.save(pipelineSnapshot(this, this.clock.now())),
      promoteHttp: () => (this.spread ? this.http.serveStreamsHere() : this.http.promote()),
      onLeading: () => this.options.onLeading?.({ generatedAdminPassword: this.generatedAdminPassword, journal: this.journal.standbyTail }),
      fatal: (reason) => this.fatal(reason),
      log: this.log,
    });
  }

  /** The services people use (hub/compose/people-services.ts). */
  private peopleServices(stores: Stores): PeopleServices {
    const { config } = this.options;
    const alertParts = { journal: this.journal, bus: this.bus, audit: this.audit, registry: this.registry, clock: this.clock, log: this.log };
    return buildPeopleServices({
      config,
      stores,
      ...alertParts,
      states: this.states,
      presence: this.presence,
      alerts: this.alerts,
      alertFeed: this.alertFeed,
      intake: this.intake,
      callbackStore: this.callbackStore,
      operators: this.operators,
      disconnectHere: (id) => this.broker.disconnect(id),
      disconnectAnywhere: (id) => (this.cluster ? this.cluster.relay.disconnect(id) : this.broker.disconnect(id)),
      runsPipeline: () => !this.role || this.role.runsPipeline,
      ownership: this.ownership,
    });
  }

  /** HUB_PARTITIONS=spread: the node's share of the homes (hub/compose/spread-wiring.ts). */
  private spreadWiring(nodeId: string): SpreadWiring {
    const firstAdminCtx = { adminPassword: this.options.config.adminPassword, onFirstAdmin: (generated: string | undefined) => (this.generatedAdminPassword = generated) };
    return new SpreadWiring({
      nodeId,
      firstAdmin: () => firstAdmin(this, firstAdminCtx),
      role: () => this.role,
      fatal: (reason) => this.fatal(reason),
      log: this.log,
    });
  }

  /**
   * Every service in start order; stop runs it in reverse. Alone: the
   * pipeline (replayed first), then the broker, HTTP and operations. A cluster node
   * that elects a leader starts its front first and its pipeline only once it
   * leads (hub/compose/leadership.ts).
   */
  private serviceOrder(): Service[] {
    const { config } = this.options;
    const front = [
      // First: a wrong certificate path is a one-line error before anything is opened.
      step('tls', async () => (this.tls = await TlsCertificates.open(config, this.log))),
      step('data dir', () => ensureWritableDir(config.dataDir, (result) => reportDataDirModes(this.log, config.dataDir, result))),
      named('registry', this.registry),
    ];
    const broker = step(
      'broker',
      async () => {
        this.mqttAddress = await this.broker.start(this.tls?.material);
        this.tls?.use(this.broker);
      },
      () => this.broker.stop(),
    );
    const operations = step('operations', () => this.ops.start(this.mqttAddress!.port), () => this.ops.stop());
    // Redis is reached before the broker accepts a device: a wrong HUB_REDIS_URL is a one-line error.
    const cluster = this.cluster ? [named('cluster', this.cluster)] : [];
    // Operations last: its probe and metrics load after the start lines (HubOps.start).
    if (!this.role) return [...front, ...this.pipelineServices(), ...cluster, broker, this.http, operations];
    // A node that must lead first: its front serves (forwarding to the leader) while it waits.
    const role = this.role.services();
    // Operations from the start on a standby too: its /metrics counts from then, and its pipeline
    // heartbeat goes through the leader (pipeline-probe.ts). After the leadership: stopped before it.
    // Spread: devices' live state relayed between the owners (after the broker: the Redis bus is open).
    const relay = this.spread && this.cluster ? [this.spread.stateRelay(this.cluster, this)] : [];
    return [...front, ...cluster, role.front, broker, ...relay, this.http, role.leadership, operations];
  }

  /** The pipeline (hub/compose/pipeline-services.ts): all of it alone, on a cluster node once it leads. */
  private pipelineServices(): Service[] {
    return pipelineServices(this, {
      adminPassword: this.options.config.adminPassword,
      rulesSnapshot: this.rulesSnapshot,
      now: () => this.clock.now(),
      log: this.log,
      completedStart: () => this.started,
      onReplayed: (lines) => (this.replayedJournalLines = lines),
      onFirstAdmin: (generated) => (this.generatedAdminPassword = generated),
      spread: this.spread !== undefined,
    });
  }

  async start(): Promise<HubStarted> {
    try {
      await this.services.start();
    } catch (err) {
      // Release whatever did start (a listening port, an open journal) before reporting.
      await this.stop().catch(() => undefined);
      throw err;
    }
    const started: HubStarted = {
      mqtt: this.mqttAddress!,
      mqtts: this.broker.mqttsAddress,
      http: this.http.address!,
      https: this.tls !== undefined,
      generatedAdminPassword: this.generatedAdminPassword,
      replayedJournalLines: this.replayedJournalLines,
    };
    this.log.info({ ...started, generatedAdminPassword: undefined, nodeId: this.ops.nodeId }, 'hub started');
    this.started = true;
    return started;
  }

  /** The HTTP app once started (tests enumerate its routes). */
  get httpApp(): HubApp | undefined {
    return this.http.app;
  }

  /**
   * SIGHUP (hub/main.ts): re-reads HUB_TLS_CERT / HUB_TLS_KEY / HUB_TLS_CA and
   * serves them to new MQTT and HTTPS connections; open connections stay up.
   * A bad new file keeps the certificate in use and logs one line. False when
   * nothing was reloaded.
   */
  async reloadTls(): Promise<boolean> {
    if (!this.tls) {
      this.log.info({ module: 'tls' }, 'TLS reload requested, but HUB_TLS_CERT is not set: nothing to reload');
      return false;
    }
    return this.tls.reload();
  }

  async stop(): Promise<void> {
    // A failed start also comes through here; its one-line reason is all the user should see.
    const wasStarted = this.started;
    await this.services.stop();
    this.started = false;
    if (wasStarted) this.log.info('hub stopped');
  }

  /** Where devices reach MQTT, for the installer's QR codes and the device page. */
  private mqttEndpoint(): { host: string; port: number; tlsPort?: number } {
    const { config } = this.options;
    return {
      host: config.publicMqttHost ?? config.host,
      port: this.mqttAddress?.port ?? config.mqttPort,
      ...(this.tls ? { tlsPort: this.broker.mqttsAddress?.port ?? config.mqttsPort } : {}),
    };
  }

  /** Alerts can be handed over only to an enabled operator, supervisor or admin. */
  private mayHold(username: string): boolean {
    const user = this.registry.findUser(username);
    return user !== undefined && !user.disabled && PRESENCE_ROLES.has(user.role);
  }

  /** One line, then the caller's exit (hub/main.ts); tests without onFatal only log it. */
  private fatal(reason: string): void {
    this.log.fatal({ nodeId: this.ops.nodeId }, reason);
    this.options.onFatal?.(reason);
  }
}
