/**
 * The composition root: builds every service, starts them in order and stops
 * them in reverse (zigbee2mqtt lib/controller.ts). Nothing else wires services
 * together. Start order matters: the journal is replayed before the broker
 * accepts a single device, so dedupe and alert state are complete.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AlertIntake } from './alerts/alert-intake.js';
import { AlertLifecycle } from './alerts/alert-lifecycle.js';
import { AlertLocations } from './alerts/alert-location.js';
import { AlertStore } from './alerts/alert-store.js';
import { Escalation } from './alerts/escalation.js';
import { FollowUp } from './alerts/follow-up.js';
import { CallbackService } from './callbacks/callback-service.js';
import { CallbackStore } from './callbacks/callback-store.js';
import { deviceMessageKeyOf } from './alerts/message-key.js';
import { AuditLog } from './audit/audit-log.js';
import { SessionStore } from './auth/sessions.js';
import { devicePolicy } from './broker/access-policy.js';
import { MqttBroker } from './broker/mqtt-broker.js';
import type { SchedulerOptions } from './broker/uplink-scheduler.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { AlertCommands } from './commands/alert-commands.js';
import { CommandOutbox } from './commands/command-outbox.js';
import { DeviceConfig } from './commands/device-config.js';
import type { HubConfig } from './config/config.js';
import { TlsCertificates } from './config/tls-certificates.js';
import { systemClock, type Clock } from './core/clock.js';
import { DrillService } from './drills/drill-service.js';
import { ensureWritableDir } from './core/data-dir.js';
import { EventBus } from './core/event-bus.js';
import type { HubEvents } from './core/hub-events.js';
import { silentLogger, type Logger } from './core/logger.js';
import { resolveNodeId } from './core/node-id.js';
import { named, ServiceList, step, type Service } from './core/service.js';
import { reportDataDirModes } from './compose/first-start.js';
import { pipelineServices } from './compose/pipeline-services.js';
import { advertisedUrl } from './compose/advertised-url.js';
import { buildHubApp } from './compose/hub-app.js';
import { ClusterRole } from './compose/cluster-role.js';
import { standbyFront } from './compose/standby-front.js';
import { HttpListener, type HubApp } from './compose/http-listener.js';
import { Commissioning } from './homes/commissioning.js';
import { DeviceService } from './homes/device-service.js';
import { followRegistryChanges } from './homes/follow-registry-changes.js';
import { HomeService } from './homes/home-service.js';
import { DeviceStateStore } from './ingest/device-state.js';
import { Ingest } from './ingest/ingest.js';
import { eventLoopSampler, LoadShedder, type UtilisationSampler } from './ingest/load-shedder.js';
import { dedupeAgainstJournal } from './ingest/journal-dedupe.js';
import { DevicePresence } from './ingest/presence.js';
import { SeqWindow } from './ingest/seq-window.js';
import { addressGuard } from './notify/address-guard.js';
import { parseHostAllowList } from './notify/host-allow-list.js';
import { NotifyService } from './notify/notify-service.js';
import { HubOps } from './ops/hub-ops.js';
import { Registry } from './registry/registry.js';
import { RULES } from './rules/catalog/index.js';
import { RulesEngine } from './rules/engine.js';
import { ReportService } from './reports/report-service.js';
import { AlertFeed } from './realtime/alert-feed.js';
import { StreamServer } from './realtime/stream-server.js';
import type { OpenJournalFile } from './storage/journal.js';
import type { JournalStore, RulesSnapshotStore } from './storage/ports.js';
import { selectStores } from './storage/select-stores.js';
import { VisitService } from './visits/visit-service.js';
import { OperatorPresence, PRESENCE_ROLES } from './shifts/presence.js';
import { VisitStore } from './visits/visit-store.js';

/** The built console: relative to this file, which the bundle (dist/hub.mjs) keeps one level down too. */
const CONSOLE_DIR = fileURLToPath(new URL('../dashboard/dist/', import.meta.url));

export interface HubOptions {
  config: HubConfig;
  clock?: Clock;
  log?: Logger;
  /** Tests only: wrap the journal's files (e.g. to hold an fsync and prove the PUBACK waits for it). */
  journalFileOpener?: OpenJournalFile;
  /** Tests only: the event-loop utilisation the load shedder sees. */
  loadSampler?: UtilisationSampler;
  /** Tests only: the alarms-first scheduler's budgets and bounds (hub/broker/uplink-scheduler.ts). */
  scheduler?: Partial<SchedulerOptions>;
  /** A cluster node now leads (hub/main.ts prints it, with a generated admin password). */
  onLeading?: (info: { generatedAdminPassword: string | undefined }) => void;
  /** The node cannot go on (leadership lost, its pipeline failed to start): hub/main.ts exits so the supervisor restarts it. */
  onFatal?: (reason: string) => void;
}

export interface HubStarted {
  mqtt: AddressInfo;
  /** MQTT over TLS, when HUB_TLS_CERT and HUB_TLS_KEY are set. */
  mqtts: AddressInfo | undefined;
  http: AddressInfo;
  /** True when `http` serves HTTPS and wss. */
  https: boolean;
  /** Set only on the first start of an empty data dir without HUB_ADMIN_PASSWORD: print it once. */
  generatedAdminPassword: string | undefined;
  replayedJournalLines: number;
}

export class Hub {
  readonly bus: EventBus<HubEvents>;
  readonly registry: Registry;
  readonly journal: JournalStore;
  readonly audit: AuditLog;
  readonly alerts: AlertStore;
  readonly intake: AlertIntake;
  readonly lifecycle: AlertLifecycle;
  readonly locations: AlertLocations;
  readonly outbox: CommandOutbox;
  readonly alertCommands: AlertCommands;
  readonly deviceConfig: DeviceConfig;
  readonly escalation: Escalation;
  readonly followUp: FollowUp;
  readonly callbackStore: CallbackStore;
  readonly callbacks: CallbackService;
  readonly operators: OperatorPresence;
  readonly states = new DeviceStateStore();
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
    const stores = selectStores({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      now,
      log,
      messageKeyOf: deviceMessageKeyOf,
      journalFileOpener: options.journalFileOpener,
      leadership: { leaseMs: config.leaderLeaseMs, waitForLeadership: electsLeader, identity: () => ({ nodeId, httpUrl: advertisedUrl(config, this.http.address?.port, this.tls !== undefined) }) },
    });
    this.journal = stores.journal;
    this.journal.onLeadershipLost((err) => this.fatal(`LEADERSHIP LOST: ${err.message}; this node writes nothing more and exits, for its supervisor to restart it (a standby, in a cluster)`));
    this.registry = new Registry(stores.registry, now);
    this.rulesSnapshot = stores.rulesSnapshot;
    this.audit = new AuditLog(this.journal, log.child({ module: 'audit' }));
    const alertLog = log.child({ module: 'alerts' });
    this.alertFeed = new AlertFeed({ now, chainId: () => this.journal.chainId });
    this.alerts = new AlertStore(this.journal, this.bus, this.audit, alertLog, this.alertFeed);
    this.locations = new AlertLocations({ bus: this.bus, store: this.alerts, registry: this.registry, now, log: alertLog });
    this.intake = new AlertIntake({ store: this.alerts, journal: this.journal, bus: this.bus, homes: this.registry, log: alertLog, locate: (homeId, deviceId) => this.locations.locate(homeId, deviceId) });
    this.escalation = new Escalation(this.alerts, this.bus, clock);
    this.followUp = new FollowUp(this.alerts, this.bus, clock, { followUp: config.followUpMinutes, onScene: config.onSceneMinutes });
    this.callbackStore = new CallbackStore(this.journal, this.audit, log.child({ module: 'callbacks' }));
    const callbackDeps = { store: this.callbackStore, alerts: this.alerts, bus: this.bus, homes: this.registry, intake: this.intake };
    this.callbacks = new CallbackService({ ...callbackDeps, now, timezone: config.timezone, log: log.child({ module: 'callbacks' }) });
    this.operators = new OperatorPresence(this.bus, now);
    this.presence = new DevicePresence(this.states, this.bus, clock, (device) => this.deviceConfig.watchdogHeartbeatSec(device));
    this.load = new LoadShedder(options.loadSampler ?? eventLoopSampler(), (shedding, utilisation) =>
      log.warn({ module: 'load', utilisation, shedTelemetry: this.load.shedTelemetry }, shedding ? 'OVERLOAD: shedding routine telemetry; alarms still processed' : 'load back to normal'),
    );
    this.ingest = new Ingest(
      { registry: this.registry, states: this.states, seqWindow: this.seqWindow, watchdog: this.presence.watchdog, bus: this.bus },
      { journal: this.journal, load: this.load },
      log.child({ module: 'ingest' }),
      now,
    );
    this.rules = new RulesEngine({ rules: RULES, bus: this.bus, registry: this.registry, alerts: this.intake, clock, timezone: config.timezone, log: log.child({ module: 'rules' }) });
    this.outbox = new CommandOutbox({ journal: this.journal, bus: this.bus, transport: { sendCommand: (id, cmd) => this.broker.sendCommand(id, cmd) }, clock, log: log.child({ module: 'commands' }) });
    this.cluster = config.redisUrl
      ? new ClusterNode({
          nodeId,
          redisUrl: config.redisUrl,
          redisPrefix: config.redisPrefix,
          outbox: this.outbox,
          bus: this.bus,
          disconnectLocal: (id) => this.broker.disconnect(id),
          leadership: electsLeader
            ? { leading: () => this.role?.leading === true, leader: () => this.role?.election.watch.current(), databaseReachable: () => this.role?.election.watch.reachable !== false }
            : undefined,
          log: log.child({ module: 'cluster' }),
        })
      : undefined;
    // With PostgreSQL, an event already journaled (its unique message key) is acked without a second run.
    const ingest = dedupeAgainstJournal(
      {
        isJournaled: this.journal.isJournaled?.bind(this.journal),
        isSurelyNew: this.journal.isSurelyNew?.bind(this.journal),
        onDuplicate: () => this.ingest.dropped.duplicate++,
      },
      (deviceId, channel, payload, admitted) => this.ingest.accept(deviceId, channel, payload, clock.now(), admitted),
    );
    const deviceConnection = (deviceId: string, connected: boolean, at: number) => this.bus.emit('device.connection', { deviceId, connected, at });
    this.role =
      electsLeader && config.redisUrl && stores.inboundAlarms
        ? new ClusterRole({
            nodeId,
            redisUrl: config.redisUrl,
            redisPrefix: config.redisPrefix,
            redisLinks: this.cluster?.links,
            maxPayloadBytes: config.maxPacketBytes,
            inboundAlarms: stores.inboundAlarms,
            journal: this.journal,
            ingest,
            onConnection: deviceConnection,
            handOff: (channel, receivedAt, taken) => this.ops.handOff(channel, receivedAt, taken),
            pipeline: () => this.pipelineServices(),
            saveRules: () => this.rulesSnapshot.save(this.rules.snapshot(clock.now())),
            operations: step('operations', () => this.ops.start(this.mqttAddress!.port), () => this.ops.stop()),
            promoteHttp: () => this.http.promote(),
            abortWait: () => this.journal.close(),
            onLeading: () => options.onLeading?.({ generatedAdminPassword: this.generatedAdminPassword }),
            fatal: (reason) => this.fatal(reason),
            log: log.child({ module: 'cluster' }),
          })
        : undefined;
    this.ops = new HubOps({
      config,
      clock,
      bus: this.bus,
      journal: this.journal,
      log: log.child({ module: 'ops' }),
      webhooks: () => this.notify.webhookStore.list(),
      mqttClients: () => this.broker.connectedClients,
      streamConnections: () => this.stream.connections,
      dropped: () => this.ingest.dropped,
      webhookQueueDepth: () => this.notify.stats.pending,
      // A cluster node reports the peers it hears and whether Redis answers; alone, the defaults.
      ...(this.cluster ? { cluster: this.cluster.view() } : {}),
      clusterMetrics: this.role?.election.metricsSource(),
      load: () => ({ shedding: this.load.shedding, eventLoopUtilisation: Math.round(this.load.utilisation * 100) / 100, shedTelemetry: this.load.shedTelemetry }),
    });
    // A standby forwards what its devices send to the leader (ClusterRole switches when it leads);
    // a cluster node stores alarms but acknowledges none while it cannot reach Redis.
    const routed = this.role?.uplink ?? ingest;
    const uplink = this.ops.tap(this.cluster?.ackAlarmsOnlyWithRedis(routed) ?? routed);
    this.broker = new MqttBroker({
      settings: config,
      registry: this.registry,
      access: this.ops.access(devicePolicy(this.registry)),
      // With PostgreSQL, an event already journaled (its unique message key) is acked without a second run.
      onDeviceMessage: uplink,
      ...(options.scheduler ? { scheduler: options.scheduler } : {}),
      timings: this.ops.uplinkTimings(),
      ...(this.journal.noticeDurable ? { onChunk: this.journal.noticeDurable.bind(this.journal) } : {}),
      // Routine telemetry past the scheduler queue's bound is acknowledged and shed as it arrives (uplink-scheduler.ts).
      telemetry: {
        routine: (deviceId, payload) => this.ingest.routine(deviceId, payload),
        // A standby keeps no device state: what it sheds still goes on to the leader (a Redis publish).
        shed: (deviceId, payload) => (!this.role || this.role.leading ? this.ingest.shed(deviceId, clock.now()) : void uplink(deviceId, 'telemetry', payload)),
      },
      onConnection: (deviceId, connected) => {
        if (this.ops.isProbe(deviceId)) return;
        // A standby tells the leader (ClusterRole); this node's own pipeline hears it on the bus.
        if (this.role) this.role.connection(deviceId, connected, clock.now());
        else deviceConnection(deviceId, connected, clock.now());
      },
      // In a cluster the relay tells the outbox of devices subscribed on every node.
      commandLink: this.cluster?.relay ?? this.outbox,
      cluster: () => this.cluster?.brokerOptions,
      audit: (action, actor, detail) => this.audit.record(action, actor, undefined, detail),
      log: log.child({ module: 'broker' }),
      now,
    });
    this.alertCommands = new AlertCommands({ store: this.alerts, outbox: this.outbox, bus: this.bus, clock, registry: this.registry, whenDurable: () => this.journal.whenDurable(), log: alertLog });
    this.lifecycle = new AlertLifecycle({ store: this.alerts, commands: this.alertCommands, now, log: alertLog, mayHold: (username) => this.mayHold(username) });
    this.deviceConfig = new DeviceConfig({ registry: this.registry, outbox: this.outbox, bus: this.bus, audit: this.audit, retime: (d) => this.presence.retime(d), log: log.child({ module: 'commands' }) });
    this.sessions = new SessionStore({ store: stores.sessions, now });
    this.commissioning = new Commissioning({ registry: this.registry, journal: this.journal, bus: this.bus, states: this.states, clock });
    this.homes = new HomeService(this.registry, this.presence, this.audit, this.commissioning, this.sessions);
    this.devices = new DeviceService({
      registry: this.registry,
      presence: this.presence,
      states: this.states,
      audit: this.audit,
      disconnect: (id) => (this.cluster ? this.cluster.relay.disconnect(id) : this.broker.disconnect(id)),
      now,
    });
    // Records other nodes commit reach this registry through the store's change feed (PostgreSQL);
    // this node reacts as the writing node did: revoked/rotated devices cut off here, sessions of
    // changed users ended. Watchdogs only where the pipeline runs (a standby has none running).
    const runsPipeline = () => !this.role || this.role.leading;
    followRegistryChanges(
      this.registry,
      {
        disconnect: (id) => this.broker.disconnect(id),
        watch: (d) => runsPipeline() && this.presence.watch(d),
        unwatch: (id) => runsPipeline() && this.presence.unwatch(id),
        retime: (d) => runsPipeline() && this.presence.retime(d),
        rehome: (id, homeId) => this.states.rehome(id, homeId),
        revokeSessions: (id, reason) => this.sessions.revokeUser(id, reason),
      },
      log.child({ module: 'registry' }),
    );
    this.stream = new StreamServer({
      sessions: this.sessions,
      alerts: this.alerts,
      feed: this.alertFeed,
      states: this.states,
      bus: this.bus,
      log: log.child({ module: 'stream' }),
      userHomes: (id) => this.registry.getUser(id)?.homeIds,
      now,
      presence: this.operators,
    });
    this.notify = new NotifyService({
      webhooks: stores.webhooks,
      deliveryLog: stores.deliveries,
      bus: this.bus,
      registry: this.registry,
      audit: this.audit,
      clock,
      timezone: config.timezone,
      defaultSecret: config.webhookSecret,
      allowedHosts: parseHostAllowList(config.webhookAllowedHosts),
      addressGuard: addressGuard(config.webhookAllowPrivate),
      log: log.child({ module: 'notify' }),
      recentAlerts: () => this.alerts.list(),
    });
    this.visitStore = new VisitStore(stores.visits);
    this.visits = new VisitService({ store: this.visitStore, registry: this.registry, intake: this.intake, audit: this.audit, now, timezone: config.timezone });
    this.reports = new ReportService({ alerts: this.alerts, registry: this.registry, states: this.states, visits: this.visits, callbacks: this.callbackStore, now, timezone: config.timezone });
    this.drills = new DrillService({ alerts: this.alerts, journal: this.journal, homes: this.registry, audit: this.audit, now });
    this.http = new HttpListener({
      host: config.host,
      port: config.httpPort,
      makeApp: () => buildHubApp(this, { config, clock, log, mqttEndpoint: () => this.mqttEndpoint(), consoleDir: CONSOLE_DIR }),
      stream: this.stream,
      tls: () => this.tls,
      front: this.role?.election.front(standbyFront({ nodeId, ops: this.ops, leaderUrl: () => this.role?.election.watch.current()?.httpUrl, log: log.child({ module: 'front' }) })),
      log: log.child({ module: 'http' }),
    });
    this.services = new ServiceList(this.serviceOrder(), log);
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
    // A standby's /metrics counts from its start too (its PUBACKs, what it forwards), not from its first scrape.
    const metrics = step('metrics', () => void this.ops.loadMetrics());
    return [...front, ...cluster, role.front, broker, metrics, this.http, role.leadership];
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
