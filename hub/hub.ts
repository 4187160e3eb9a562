/**
 * The composition root: builds every service, starts them in order and stops
 * them in reverse (zigbee2mqtt lib/controller.ts). Nothing else wires services
 * together. Start order matters: the journal is replayed before the broker
 * accepts a single device, so dedupe and alert state are complete.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { AlertIntake } from './alerts/alert-intake.js';
import { AlertLifecycle } from './alerts/alert-lifecycle.js';
import { ALERT_RECORD_TYPES, type AlertRecordData } from './alerts/alert-reducer.js';
import { AlertStore } from './alerts/alert-store.js';
import { Escalation } from './alerts/escalation.js';
import { createApi } from './api/app.js';
import { guardHttpServer } from './api/http-server-guard.js';
import { AuditLog } from './audit/audit-log.js';
import { generatePassword, hashPassword } from './auth/passwords.js';
import { LoginGuard } from './auth/login-guard.js';
import { SessionStore } from './auth/sessions.js';
import { MqttBroker } from './broker/mqtt-broker.js';
import type { HubConfig } from './config/config.js';
import { systemClock, type Clock } from './core/clock.js';
import { ensureWritableDir } from './core/data-dir.js';
import { EventBus } from './core/event-bus.js';
import type { HubEvents, TestEventRecord } from './core/hub-events.js';
import { silentLogger, type Logger } from './core/logger.js';
import { Commissioning, type CommissioningTick } from './homes/commissioning.js';
import { DeviceService } from './homes/device-service.js';
import { HomeService } from './homes/home-service.js';
import { RuleSettingsService } from './homes/rule-settings.js';
import { DeviceStateStore } from './ingest/device-state.js';
import { Ingest } from './ingest/ingest.js';
import { eventLoopSampler, LoadShedder, type UtilisationSampler } from './ingest/load-shedder.js';
import { DevicePresence } from './ingest/presence.js';
import { SeqWindow } from './ingest/seq-window.js';
import { parseHostAllowList } from './notify/host-allow-list.js';
import { NotifyService } from './notify/notify-service.js';
import { Registry } from './registry/registry.js';
import { RULES } from './rules/catalog/index.js';
import { RulesEngine } from './rules/engine.js';
import { saveRulesSnapshot, takeRulesSnapshot } from './storage/rules-snapshot-file.js';
import { ReportService } from './reports/report-service.js';
import { StreamServer } from './realtime/stream-server.js';
import { Journal, type JournalEntry, type OpenJournalFile } from './storage/journal.js';
import { VisitService } from './visits/visit-service.js';
import { VisitStore } from './visits/visit-store.js';

export interface HubOptions {
  config: HubConfig;
  clock?: Clock;
  log?: Logger;
  /** Tests only: wrap the journal's files (e.g. to hold an fsync and prove the PUBACK waits for it). */
  journalFileOpener?: OpenJournalFile;
  /** Tests only: the event-loop utilisation the load shedder sees. */
  loadSampler?: UtilisationSampler;
}

export interface HubStarted {
  mqtt: AddressInfo;
  http: AddressInfo;
  /** Set only on the first start of an empty data dir without HUB_ADMIN_PASSWORD: print it once. */
  generatedAdminPassword: string | undefined;
  replayedJournalLines: number;
}

export class Hub {
  readonly bus: EventBus<HubEvents>;
  readonly registry: Registry;
  readonly journal: Journal;
  readonly audit: AuditLog;
  readonly alerts: AlertStore;
  readonly intake: AlertIntake;
  readonly lifecycle: AlertLifecycle;
  readonly escalation: Escalation;
  readonly states = new DeviceStateStore();
  readonly seqWindow = new SeqWindow();
  readonly presence: DevicePresence;
  readonly ingest: Ingest;
  readonly rules: RulesEngine;
  readonly broker: MqttBroker;
  readonly sessions: SessionStore;
  readonly load: LoadShedder;
  readonly homes: HomeService;
  readonly commissioning: Commissioning;
  readonly devices: DeviceService;
  readonly stream: StreamServer;
  readonly notify: NotifyService;
  readonly visitStore: VisitStore;
  readonly visits: VisitService;
  readonly reports: ReportService;
  private httpServer: Server | undefined;
  /** True between a completed start and the next stop (a failed start saves no rule state). */
  private started = false;
  /** The HTTP app once started (tests enumerate its routes). */
  httpApp: ReturnType<typeof createApi> | undefined;
  private mqttAddress: AddressInfo | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: HubOptions) {
    const { config } = options;
    const clock = (this.clock = options.clock ?? systemClock);
    const log = (this.log = options.log ?? silentLogger());
    const now = () => clock.now();
    this.bus = new EventBus<HubEvents>(log.child({ module: 'bus' }));
    this.registry = new Registry(join(config.dataDir, 'registry'), now);
    this.journal = new Journal({
      dir: join(config.dataDir, 'journal'),
      now,
      onError: (err) => log.fatal({ err }, 'JOURNAL WRITE FAILED: alarms are refused (no PUBACK) until the hub is restarted with a writable data dir'),
      onWarning: (msg) => log.warn({ module: 'journal' }, msg),
      ...(options.journalFileOpener ? { openFile: options.journalFileOpener } : {}),
    });
    this.audit = new AuditLog(this.journal, log.child({ module: 'audit' }));
    const alertLog = log.child({ module: 'alerts' });
    this.alerts = new AlertStore(this.journal, this.bus, this.audit, alertLog);
    this.intake = new AlertIntake({ store: this.alerts, journal: this.journal, bus: this.bus, homes: this.registry, log: alertLog });
    this.escalation = new Escalation(this.alerts, this.bus, clock);
    this.presence = new DevicePresence(this.states, this.bus, clock);
    this.ingest = new Ingest(
      { registry: this.registry, states: this.states, seqWindow: this.seqWindow, watchdog: this.presence.watchdog, bus: this.bus },
      log.child({ module: 'ingest' }),
      now,
    );
    this.rules = new RulesEngine({ rules: RULES, bus: this.bus, registry: this.registry, alerts: this.intake, clock, timezone: config.timezone, log: log.child({ module: 'rules' }) });
    this.broker = new MqttBroker({
      settings: config,
      registry: this.registry,
      onDeviceMessage: (deviceId, channel, topic, payload) => {
        // The device lookup only under overload: in normal running this costs nothing per message.
        if (channel === 'telemetry' && this.load.shedding && this.load.mayShed(this.registry.getDevice(deviceId)?.kind, payload)) {
          this.ingest.touch(deviceId, clock.now());
          return;
        }
        const linesBefore = this.journal.lastN;
        this.ingest.handle(topic, payload, clock.now());
        // PUBACK only once everything this message caused (alert, occurrence, test record) is
        // fsync'd: Aedes acks QoS 1 right after this hook (DESIGN.md §6). Every event waits — a
        // retransmitted alarm must not be acked before the original's line is on disk — and so
        // does telemetry that raised something (gas LEL, 0 bpm); plain telemetry does not.
        if (channel === 'event' || this.journal.lastN !== linesBefore) return this.journal.whenDurable();
      },
      onConnection: (deviceId, connected) => this.bus.emit('device.connection', { deviceId, connected, at: clock.now() }),
      audit: (action, actor, detail) => this.audit.record(action, actor, undefined, detail),
      log: log.child({ module: 'broker' }),
      now,
    });
    this.lifecycle = new AlertLifecycle({ store: this.alerts, sendCommand: (id, cmd) => this.broker.sendCommand(id, cmd), now, log: alertLog });
    this.sessions = new SessionStore(undefined, now);
    this.load = new LoadShedder(options.loadSampler ?? eventLoopSampler(), (shedding, utilisation) =>
      log.warn({ module: 'load', utilisation, shedTelemetry: this.load.shedTelemetry }, shedding ? 'OVERLOAD: shedding routine telemetry; alarms still processed' : 'load back to normal'),
    );
    this.commissioning = new Commissioning({ registry: this.registry, journal: this.journal, bus: this.bus, states: this.states, clock });
    this.homes = new HomeService(this.registry, this.presence, this.audit, this.commissioning, this.sessions);
    this.devices = new DeviceService({
      registry: this.registry,
      presence: this.presence,
      states: this.states,
      audit: this.audit,
      disconnect: (id) => this.broker.disconnect(id),
      now,
    });
    this.stream = new StreamServer({ sessions: this.sessions, alerts: this.alerts, states: this.states, bus: this.bus, log: log.child({ module: 'stream' }) });
    this.notify = new NotifyService({
      dir: join(config.dataDir, 'notifications'),
      bus: this.bus,
      registry: this.registry,
      audit: this.audit,
      clock,
      timezone: config.timezone,
      defaultSecret: config.webhookSecret,
      allowedHosts: parseHostAllowList(config.webhookAllowedHosts),
      log: log.child({ module: 'notify' }),
      recentAlerts: () => this.alerts.list(),
    });
    this.visitStore = new VisitStore(join(config.dataDir, 'registry', 'visits.json'));
    this.visits = new VisitService({ store: this.visitStore, registry: this.registry, intake: this.intake, audit: this.audit, now, timezone: config.timezone });
    this.reports = new ReportService({ alerts: this.alerts, registry: this.registry, states: this.states, visits: this.visits, now, timezone: config.timezone });
  }

  async start(): Promise<HubStarted> {
    try {
      return await this.startInOrder();
    } catch (err) {
      // Release whatever did start (a listening port, an open journal) before reporting.
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  private get rulesSnapshotPath(): string {
    return join(this.options.config.dataDir, 'rules-state.json');
  }

  private async startInOrder(): Promise<HubStarted> {
    const { config } = this.options;
    await ensureWritableDir(config.dataDir);
    await this.registry.start();
    await this.visitStore.start();
    const replayed = await this.journal.open((entry) => this.replay(entry));
    // Listening before escalation starts: an alert that passed 180 s while the hub was down escalates at once.
    await this.notify.start();
    const generatedAdminPassword = await this.ensureAdmin();
    for (const device of this.registry.listDevices()) this.presence.watch(device);
    this.rules.start();
    const snapshot = await takeRulesSnapshot(this.rulesSnapshotPath, this.clock.now());
    if (snapshot) this.rules.restore(snapshot);
    this.commissioning.start();
    this.escalation.start();
    this.load.start();
    this.mqttAddress = await this.broker.start();
    const http = await this.startHttp();
    this.log.info({ mqtt: this.mqttAddress, http, replayed }, 'hub started');
    this.started = true;
    return { mqtt: this.mqttAddress, http, generatedAdminPassword, replayedJournalLines: replayed };
  }

  async stop(): Promise<void> {
    // A failed start also comes through here; its one-line reason is all the user should see.
    const wasStarted = this.started;
    this.stream.stop();
    const http = this.httpServer;
    if (http) {
      const closed = new Promise((resolve) => http.close(resolve));
      http.closeAllConnections();
      await closed;
    }
    await this.broker.stop();
    this.load.stop();
    this.escalation.stop();
    this.commissioning.stop();
    if (this.started) {
      this.started = false;
      await saveRulesSnapshot(this.rulesSnapshotPath, this.rules.snapshot(this.clock.now())).catch((err: unknown) => this.log.error({ err }, 'rule state not saved'));
    }
    this.rules.stop();
    this.presence.stop();
    await this.notify.stop();
    await this.journal.close();
    if (wasStarted) this.log.info('hub stopped');
  }

  private replay(entry: JournalEntry): void {
    if (entry.type === 'audit') {
      this.audit.applyJournalLine(entry.at, entry.data as Parameters<AuditLog['applyJournalLine']>[1]);
      return;
    }
    if (entry.type === 'commissioning.tick') {
      this.commissioning.replay(entry.data as CommissioningTick);
      return;
    }
    if (entry.type === 'device.test_event') {
      const record = entry.data as TestEventRecord;
      this.rememberSeq(record.deviceId, record.seq, record.ts);
      return;
    }
    if (!ALERT_RECORD_TYPES.has(entry.type)) return;
    const trigger =
      entry.type === 'alert.raised'
        ? (entry.data as AlertRecordData['alert.raised']).alert.trigger
        : (entry.data as { trigger?: AlertRecordData['alert.occurrence']['trigger'] }).trigger;
    if (trigger?.deviceId) this.rememberSeq(trigger.deviceId, trigger.seq, trigger.ts);
    this.alerts.replay(entry.n, entry.at, entry.type, entry.data);
  }

  /** A retransmission after a restart must still be recognised as a duplicate. */
  private rememberSeq(deviceId: string, seq: number | undefined, ts: number | undefined): void {
    if (seq !== undefined) this.seqWindow.remember(deviceId, seq, ts);
  }

  private async ensureAdmin(): Promise<string | undefined> {
    if (this.registry.userCount() > 0) return undefined;
    const generated = this.options.config.adminPassword ? undefined : generatePassword();
    const password = this.options.config.adminPassword ?? generated!;
    await this.registry.createUser({ username: 'admin', displayName: 'Administrator', role: 'admin', passwordHash: await hashPassword(password) });
    this.audit.record('user.created', 'system', 'admin', { role: 'admin', passwordGenerated: generated !== undefined });
    return generated;
  }

  private async startHttp(): Promise<AddressInfo> {
    const { config } = this.options;
    const app = createApi({
      registry: this.registry,
      homes: this.homes,
      commissioning: this.commissioning,
      devices: this.devices,
      alerts: this.alerts,
      lifecycle: this.lifecycle,
      rules: RULES,
      ruleSettings: new RuleSettingsService(RULES, this.registry, this.audit),
      sessions: this.sessions,
      loginGuard: new LoginGuard(() => this.clock.now()),
      audit: this.audit,
      notifications: this.notify,
      now: () => this.clock.now(),
      states: this.states,
      visits: this.visits,
      reports: this.reports,
      mqttEndpoint: () => ({ host: config.publicMqttHost ?? config.host, port: this.mqttAddress?.port ?? config.mqttPort }),
      health: () => ({
        ok: this.journal.healthy,
        journal: { healthy: this.journal.healthy, lastError: this.journal.lastError },
        mqtt: { connectedClients: this.broker.connectedClients },
        load: { shedding: this.load.shedding, eventLoopUtilisation: Math.round(this.load.utilisation * 100) / 100, shedTelemetry: this.load.shedTelemetry },
      }),
      log: this.log.child({ module: 'api' }),
      consoleDir: fileURLToPath(new URL('../dashboard/dist/', import.meta.url)),
      bodyLimits: { maxBodyBytes: config.httpMaxBodyBytes, maxBatchBodyBytes: config.httpMaxBatchBodyBytes },
      serveSourceMaps: config.serveSourceMaps,
    });
    this.httpApp = app;
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    guardHttpServer(server, this.log.child({ module: 'http' }));
    this.stream.attach(server);
    server.listen(config.httpPort, config.host);
    await once(server, 'listening');
    this.httpServer = server;
    return server.address() as AddressInfo;
  }
}
