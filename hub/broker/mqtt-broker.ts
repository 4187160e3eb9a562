/**
 * The embedded MQTT broker: Aedes behind a TCP server (and, with TLS material,
 * a TLS server: tls-listener.ts) that enforces what Aedes does not (DESIGN.md
 * §3): a maximum packet size and a byte budget before CONNACK (PacketGuard), a
 * per-IP connection rate, per-device publish and connect rates.
 * Device messages are consumed inside this process through the
 * authorizePublish hook, never by a second MQTT client (DESIGN.md §10).
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { deviceTopic } from '../../devices/topics.js';
import type { DeviceCommand } from '../../devices/commands.js';
import { Throttle } from '../core/log-throttle.js';
import { devicePolicy, type AccessPolicy } from './access-policy.js';
import { brokerHooks } from './aedes-hooks.js';
import { CloseQueue, DEFAULT_CLOSE_LIMITS } from './close-queue.js';
import { followCommandLinks } from './command-links.js';
import { ConnectAdmission } from './connect-admission.js';
import { GuardedConnection, type ConnectionPolicy, type UplinkRoute } from './guarded-connection.js';
import { PacketGuard, type GuardViolation } from './packet-guard.js';
import { withoutPacketNumberCache } from './packet-number-cache.js';
import { RateLimiter } from './rate-limiter.js';
import { SupersededConnections, type MessageBus } from './superseded-connections.js';
import { DEFAULT_SCHEDULER_OPTIONS, UplinkScheduler } from './uplink-scheduler.js';
import { DEFAULT_ACK_DELAY, DelayedAcks } from './delayed-acks.js';
import { UplinkTap } from './uplink-tap.js';
import { clientCertificate, createMqttTlsServer } from './tls-listener.js';

export type { CommandLinkEvents } from './command-links.js';

import type { BrokerMetricsSource, BrokerSettings, BrokerStats, BrokerTls, MqttBrokerDeps } from './broker-options.js';
export type { BrokerClusterOptions, BrokerSettings, BrokerStats, BrokerTls, MqttBrokerDeps } from './broker-options.js';

export class MqttBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private tlsServer: TlsServer | undefined;
  private tlsAddress: AddressInfo | undefined;
  private readonly sockets = new Set<Socket>();
  private scheduler: UplinkScheduler | undefined;
  private lateAcks: DelayedAcks | undefined;
  private admission: ConnectAdmission | undefined;
  private closes: CloseQueue | undefined;
  /** Connections a device replaced: their wills are dropped. */
  readonly replaced = new SupersededConnections();
  readonly stats: BrokerStats = {
    connectionsAccepted: 0,
    connectionsRateLimited: 0,
    guardViolations: 0,
    slowConsumersDropped: 0,
    tlsHandshakesFailed: 0,
    refused: { connect: 0, publish: 0, subscribe: 0, rate_limit: 0 },
  };

  constructor(private readonly deps: MqttBrokerDeps) {}

  /**
   * Listens for plain MQTT on `mqttPort` and, given TLS material, for MQTT over
   * TLS on `mqttsPort`; resolves with the plain listener's address.
   */
  async start(tls?: BrokerTls): Promise<AddressInfo> {
    const { settings } = this.deps;
    const now = this.deps.now ?? Date.now;
    const connectionLimiter = new RateLimiter(settings.connectionsPerIpPerSec, settings.connectionsPerIpPerSec * 2, now);
    // Audit every kind of refusal, but at most once per 10 s per (kind, source): a hostile
    // client must not be able to fill the journal.
    const auditThrottle = new Throttle(10_000, now);
    const policy = this.deps.access ?? devicePolicy(this.deps.registry);
    // Keyed by device id and kept across connections: reconnecting must not refill a bucket (issue 10 item 7).
    const publishLimiter = new RateLimiter(settings.publishesPerDevicePerSec, settings.publishesPerDevicePerSec * 5, now);
    this.closes = new CloseQueue({ ...DEFAULT_CLOSE_LIMITS, ...this.deps.closes }, (err) => this.deps.log.error({ err }, 'mqtt connection close failed'));
    const aedes = await this.createAedes(now, auditThrottle, policy, publishLimiter);
    this.aedes = aedes;
    this.onAuthenticated(aedes, policy, publishLimiter);

    const limits = { maxPacketBytes: settings.maxPacketBytes, preConnackBytes: settings.preConnackBytes };
    const connections = this.connectionPolicy(settings, auditThrottle);
    const sockets = this.sockets;
    // One listener function for every socket (not a closure per connection).
    function forget(this: Socket): void {
      sockets.delete(this);
    }
    /** On TCP accept (before any TLS handshake): the per-IP connection rate. */
    const admit = (socket: Socket): boolean => {
      const ip = socket.remoteAddress ?? 'unknown';
      if (!connectionLimiter.take(ip)) {
        this.stats.connectionsRateLimited++;
        const passed = auditThrottle.pass(`conn_rate:${ip}`);
        if (passed) this.deps.audit('mqtt.connection_rate_limited', `ip:${ip}`, { suppressedSinceLast: passed.suppressed });
        return false;
      }
      this.stats.connectionsAccepted++;
      sockets.add(socket);
      socket.on('close', forget);
      return true;
    };
    /** A plain socket, or a TLS socket once its handshake is done: the same guard in front of Aedes. */
    const serve = (socket: Socket): void => {
      aedes.handle(new GuardedConnection(socket, new PacketGuard(limits), connections, policy.uplink));
    };
    // noDelay: without it a QoS 1 round trip stalls ~40 ms on Nagle + delayed ACK (DESIGN.md §10).
    // Paused on accept: the admission hands a storm's connects on a few per turn (connect-admission.ts).
    const admission = new ConnectAdmission(serve, this.deps.connectsPerTurn);
    this.admission = admission;
    const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => (admit(socket) ? admission.add(socket) : socket.destroy()));
    this.server = server;
    const address = await listen(server, settings.mqttPort, settings.host);
    if (tls) await this.listenTls(tls, admit, serve);
    return address;
  }

  /** MQTT over TLS (8883 by default): the same admission and guard once the handshake is done. */
  private async listenTls(tls: BrokerTls, admit: (socket: Socket) => boolean, serve: (socket: Socket) => void): Promise<void> {
    const { settings } = this.deps;
    const tlsServer = createMqttTlsServer({
      ...tls,
      handshakeTimeoutMs: settings.connectTimeoutMs,
      admit,
      onSecureConnection: serve,
      onHandshakeFailed: (socket, err) => {
        this.stats.tlsHandshakesFailed++;
        this.deps.log.debug({ ip: socket.remoteAddress, err: err.message }, 'mqtt tls handshake failed');
      },
    });
    this.tlsServer = tlsServer;
    this.tlsAddress = await listen(tlsServer, settings.mqttsPort, settings.host);
  }

  /**
   * On CONNACK 0: the pre-authentication byte budget stops applying and, under
   * a policy with uplink topics, the connection starts handing the device's
   * uplink PUBLISH packets to the alarms-first scheduler instead of Aedes.
   */
  private onAuthenticated(aedes: Aedes, policy: AccessPolicy, publishLimiter: RateLimiter): void {
    const scheduler = new UplinkScheduler(this.deps.onDeviceMessage, { ...DEFAULT_SCHEDULER_OPTIONS, ...this.deps.scheduler }, { triage: this.deps.telemetry, timings: this.deps.timings });
    this.scheduler = scheduler;
    const { ackDelay } = this.deps;
    const lateAcks = ackDelay === false ? undefined : new DelayedAcks({ ...DEFAULT_ACK_DELAY, ...ackDelay });
    this.lateAcks = lateAcks;
    const route: UplinkRoute = { scheduler, admit: (deviceId) => publishLimiter.take(deviceId), keepAlive: refreshKeepalive, lateAcks };
    aedes.on('connackSent', (packet, client) => {
      if (packet.returnCode !== 0 || !(client.conn instanceof GuardedConnection)) return;
      client.conn.guard.markAuthenticated();
      if (policy.uplink) client.conn.takeUplink(route, new UplinkTap(client.id, policy), client);
    });
  }

  /** The limits and refusal handlers every connection of this broker shares. */
  private connectionPolicy(settings: BrokerSettings, auditThrottle: Throttle): ConnectionPolicy {
    return {
      // A client that stops reading is closed once this much output waits for it.
      maxQueuedBytes: Math.max(256 * 1024, 16 * settings.maxPacketBytes),
      onOverflow: (connection, queuedBytes) => this.onSlowConsumer(connection.remoteAddress ?? 'unknown', queuedBytes, auditThrottle),
      onViolation: (connection, violation) => this.onViolation(connection.remoteAddress ?? 'unknown', violation, auditThrottle),
      onChunk: this.deps.onChunk,
      closes: this.closes,
      onClosed: closeAedesClient,
    };
  }

  /** The MQTT-over-TLS listener's address, when TLS is on. */
  get mqttsAddress(): AddressInfo | undefined {
    return this.tlsAddress;
  }

  /** New TLS connections get this certificate; open ones keep theirs (SIGHUP reload). */
  setSecureContext(context: SecureContextOptions): void {
    this.tlsServer?.setSecureContext(context);
  }

  private createAedes(now: () => number, auditThrottle: Throttle, policy: AccessPolicy, publishLimiter: RateLimiter): Promise<Aedes> {
    const { settings, log } = this.deps;
    // A minute's worth of connects at once, then the rate: a reconnect loop cannot churn sessions.
    const deviceConnectLimiter = new RateLimiter(settings.connectsPerDevicePerMin / 60, settings.connectsPerDevicePerMin, now);
    withoutPacketNumberCache();
    const cluster = this.deps.cluster?.();
    const localClient = (clientId: string) => (this.aedes as unknown as AedesClients | undefined)?.clients?.[clientId];
    // Before Aedes registers its own listener on the bus (in its constructor): see superseded-connections.ts.
    if (cluster) this.replaced.followOtherNodes(cluster.mq as MessageBus, () => this.aedes?.id ?? '', localClient);
    const created = Aedes.createBroker({
      ...cluster,
      connectTimeout: settings.connectTimeoutMs,
      // Device topics have 4 levels; nothing legitimate goes deeper. Aedes >= 1.2 checks this
      // before any persistence side-effect (earlier versions crashed on deep topics).
      maxTopicLevels: 8,
      ...brokerHooks({
        policy,
        brokerId: () => this.aedes?.id ?? '',
        takePublishToken: (id) => publishLimiter.take(id),
        takeConnectToken: (id) => deviceConnectLimiter.take(id),
        beforeConnect: (clientId) => this.finishWaitingClose(clientId),
        onAuthenticated: (client) => {
          const previous = localClient(client.id);
          if ((previous as unknown) !== client) this.replaced.replacedBy(previous);
        },
        isWillOfReplaced: (client) => this.replaced.isWillOfReplaced(client),
        onDeviceMessage: this.deps.onDeviceMessage,
        certificateOf: (client) => (client.conn instanceof GuardedConnection && client.conn.socket instanceof TLSSocket ? clientCertificate(client.conn.socket) : undefined),
        refuse: (action, client, reason, extra) => {
          this.stats.refused[action]++;
          const ip = clientAddress(client);
          const actor = action === 'connect' ? `ip:${ip}` : `device:${client?.id ?? 'unknown'}`;
          const passed = auditThrottle.pass(`${action}:${actor}`);
          if (!passed) return;
          log.warn({ action, actor, reason, ...extra }, 'mqtt refused');
          this.deps.audit(`mqtt.${action}_refused`, actor, { reason, ip, ...extra, suppressedSinceLast: passed.suppressed });
        },
      }),
    });
    return created.then((aedes) => {
      aedes.on('clientReady', (client) => this.deps.onConnection?.(client.id, true));
      aedes.on('clientDisconnect', (client) => {
        this.deps.commandLink?.gone(client.id, client);
        this.deps.onConnection?.(client.id, false);
      });
      if (this.deps.commandLink) followCommandLinks(aedes, this.deps.commandLink, log);
      aedes.on('clientError', (client, err) => log.debug({ deviceId: client.id, err: err.message }, 'mqtt client error'));
      // A shared session store (Redis) can fail; with no listener Aedes' 'error' would end the process.
      (aedes as NodeJS.EventEmitter).on('error', (err: Error) => log.error({ err: err.message }, 'mqtt broker error'));
      return aedes;
    });
  }

  private onViolation(ip: string, violation: GuardViolation, auditThrottle: Throttle): void {
    this.stats.guardViolations++;
    const passed = auditThrottle.pass(`guard:${ip}`);
    if (!passed) return;
    this.deps.log.warn({ ip, ...violation }, 'mqtt connection dropped by packet guard');
    this.deps.audit('mqtt.packet_refused', `ip:${ip}`, { ...violation, suppressedSinceLast: passed.suppressed });
  }

  private onSlowConsumer(ip: string, queuedBytes: number, auditThrottle: Throttle): void {
    this.stats.slowConsumersDropped++;
    const passed = auditThrottle.pass(`slow:${ip}`);
    if (!passed) return;
    this.deps.log.warn({ ip, queuedBytes }, 'mqtt connection closed: it stopped reading');
    this.deps.audit('mqtt.slow_consumer_dropped', `ip:${ip}`, { queuedBytes, suppressedSinceLast: passed.suppressed });
  }

  /** Sends a command to a device's cmd topic (QoS 1). Resolves once Aedes has routed it. */
  sendCommand(deviceId: string, command: DeviceCommand): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('broker not started'));
    return new Promise((resolve, reject) => {
      aedes.publish(
        { cmd: 'publish', topic: deviceTopic(deviceId, 'cmd'), payload: Buffer.from(JSON.stringify(command)), qos: 1, retain: false, dup: false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /**
   * A CONNECT for a client id whose previous connection has closed but waits
   * in the close queue: that close is finished first, so the new connection
   * finds the device as it would have had the close not waited (its will out,
   * its session closed), not a takeover of a connection that is already gone.
   */
  private finishWaitingClose(clientId: string): void {
    const previous = (this.aedes as unknown as AedesClients | undefined)?.clients?.[clientId]?.conn;
    if (previous instanceof GuardedConnection) this.closes?.finishNow(previous);
  }

  /** Closes a device's connection at once (a revoked or rotated secret must stop working now). */
  disconnect(deviceId: string): boolean {
    const client = (this.aedes as unknown as AedesClients | undefined)?.clients?.[deviceId];
    if (!client) return false;
    client.close();
    return true;
  }

  /** Device messages the hub took itself: run at once, queued (telemetry over budget), shed on arrival, connections held back. */
  get uplinkStats(): UplinkScheduler['stats'] & { waiting: number; lateAcks: number; maxLateAcksWaiting: number } {
    const scheduler = this.scheduler;
    const late = { lateAcks: this.lateAcks?.stats.delayed ?? 0, maxLateAcksWaiting: this.lateAcks?.stats.maxPending ?? 0 };
    return scheduler
      ? { ...scheduler.stats, waiting: scheduler.waiting, ...late }
      : { immediate: 0, queued: 0, maxQueued: 0, heldConnections: 0, shed: 0, waiting: 0, ...late };
  }

  /** Plain TCP connections accepted and waiting for their turn (a reconnect storm's queue). */
  get connectsWaiting(): number {
    return this.admission?.waiting ?? 0;
  }

  /** Closed connections whose close waits for its turn (a mass disconnect's queue). */
  get closesWaiting(): number {
    return this.closes?.waiting ?? 0;
  }

  /** What /metrics shows of the broker (hub/ops/metrics.ts). */
  metricsSource(): BrokerMetricsSource {
    const { stats } = this;
    return {
      closesWaiting: this.closesWaiting,
      refused: stats.refused,
      guardViolations: stats.guardViolations,
      slowConsumersDropped: stats.slowConsumersDropped,
      connectionsRateLimited: stats.connectionsRateLimited,
      replacedWillsDropped: this.replaced.dropped,
    };
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async stop(): Promise<void> {
    const servers = [this.server, this.tlsServer].filter((s) => s !== undefined);
    const closed = servers.map((server) => new Promise((resolve) => server.close(resolve)));
    // Telemetry PUBACKs held back under overload leave before the sockets close.
    this.lateAcks?.flushAll();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(closed);
    const aedes = this.aedes;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    // Aedes has closed every client: what still waits is the streams' own end.
    this.closes?.finishAll();
    this.server = undefined;
    this.tlsServer = undefined;
    this.tlsAddress = undefined;
    this.aedes = undefined;
  }
}

/**
 * Aedes restarts a client's keepalive timer on every packet it handles
 * (aedes lib/handlers/index.js); packets the hub takes itself must do the
 * same, or a device that only publishes would be dropped after 1.5 keepalives.
 */
function refreshKeepalive(client: object): void {
  const inner = client as unknown as { _keepaliveInterval?: number; _keepaliveTimer?: NodeJS.Timeout | null };
  if ((inner._keepaliveInterval ?? 0) > 0) inner._keepaliveTimer?.refresh();
}

/** Aedes' registered clients by id (not in its types). */
interface AedesClients {
  clients?: Record<string, { conn?: unknown; closed: boolean; close(): void }>;
}

/**
 * The broker's side of a close whose turn came (close-queue.ts): Aedes'
 * client, which it hangs on the connection as `conn.client`, closes now, in
 * the queue's turn; the stream's 'close' a tick later then finds it closed.
 */
function closeAedesClient(connection: GuardedConnection): void {
  (connection as unknown as { client?: { close(): void } }).client?.close();
}

function clientAddress(client: Client | null): string {
  const conn = client?.conn as { remoteAddress?: string } | undefined;
  return conn?.remoteAddress ?? 'unknown';
}

/**
 * Connections the kernel queues until the hub accepts them. Node (libuv
 * 1.46) accepts one connection per event-loop turn, so in a reconnect storm
 * the hub takes ~2,500 a second and the rest wait here. When the queue is
 * full the kernel drops the handshake and the device's SYN is retried 1 s,
 * then 3 s later: that, not the hub's work, made the storm's CONNACK tail
 * (docs/PERFORMANCE.md, issue 14 item 4). Node's default is 511; the kernel
 * caps this at net.core.somaxconn (4,096 by default), so a host expecting
 * storms raises that (docs/DEPLOY.md) and this asks for all of it.
 */
const LISTEN_BACKLOG = 65_535;

async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  server.listen({ port, host, backlog: LISTEN_BACKLOG });
  await once(server, 'listening');
  return server.address() as AddressInfo;
}
