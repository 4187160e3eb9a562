/**
 * What the embedded MQTT broker (mqtt-broker.ts) is given and what it
 * reports: its settings, TLS material, the cluster's Redis parts, the hooks
 * into the rest of the hub, and its refusal counters. Kept apart so the
 * broker's file holds only the broker.
 */
import type { SecureContextOptions } from 'node:tls';
import type { UplinkChannel } from '../../devices/topics.js';
import type { Logger } from '../core/logger.js';
import type { AccessPolicy } from './access-policy.js';
import type { CloseQueueLimits } from './close-queue.js';
import type { CommandLinkEvents } from './command-links.js';
import type { DeviceCredentialsCheck } from './device-acl.js';
import type { AckDelayOptions } from './delayed-acks.js';
import type { SchedulerOptions, TelemetryTriage, UplinkTimings } from './uplink-scheduler.js';

export interface BrokerSettings {
  host: string;
  mqttPort: number;
  maxPacketBytes: number;
  preConnackBytes: number;
  connectTimeoutMs: number;
  connectionsPerIpPerSec: number;
  publishesPerDevicePerSec: number;
  connectsPerDevicePerMin: number;
  /** MQTT over TLS; used only when start() is given TLS material. */
  mqttsPort: number;
}

/** The TLS material the MQTT TLS listener serves (hub/config/tls-certificates.ts reads it). */
export interface BrokerTls {
  context: SecureContextOptions;
  requestClientCert: boolean;
}

/**
 * Aedes' cluster options (issue 12): the node's id, a message bus and a
 * session store shared through Redis (hub/cluster/redis-broker-parts.ts).
 * Unset: one broker alone, with Aedes' in-memory defaults.
 */
export interface BrokerClusterOptions {
  id: string;
  mq: unknown;
  persistence: unknown;
  heartbeatInterval: number;
}

export interface MqttBrokerDeps {
  settings: BrokerSettings;
  registry: DeviceCredentialsCheck;
  /** Who may connect, publish and subscribe; default: the device policy over `registry`. */
  access?: AccessPolicy;
  onDeviceMessage(deviceId: string, channel: UplinkChannel, payload: Buffer): Promise<unknown> | undefined;
  /** A device's session opened (CONNACK 0 sent) or closed. */
  onConnection?(deviceId: string, connected: boolean): void;
  commandLink?: CommandLinkEvents;
  /** Read when the broker starts (the cluster's Redis connections are opened just before). */
  cluster?: () => BrokerClusterOptions | undefined;
  audit(action: string, actor: string, detail: Record<string, unknown>): void;
  log: Logger;
  now?: () => number;
  /** Plain TCP connects handed to Aedes per event-loop turn (connect-admission.ts); default 32. */
  connectsPerTurn?: number;
  /** Closes finished per event-loop turn (close-queue.ts); default 64 within 10 ms. */
  closes?: Partial<CloseQueueLimits>;
  /** Budgets of the alarms-first scheduler (uplink-scheduler.ts); tests shrink them. */
  scheduler?: Partial<SchedulerOptions>;
  /** How long telemetry PUBACKs may wait under overload (delayed-acks.ts); false: never. */
  ackDelay?: Partial<AckDelayOptions> | false;
  /** Which telemetry may be shed as it arrives once the scheduler's queue is full; none without it. */
  telemetry?: TelemetryTriage;
  /** Where alarms' time goes, and read-phase lengths (for /metrics). */
  timings?: UplinkTimings;
  /**
   * Called on every chunk read from any connection. The journal completes a write its writer
   * thread has finished (hub/storage/durable-append.ts): under load the event loop reads
   * sockets for a long time before it polls again, and alarm PUBACKs would wait for that.
   */
  onChunk?: () => void;
}

export interface BrokerStats {
  connectionsAccepted: number;
  connectionsRateLimited: number;
  guardViolations: number;
  /** Connections closed because they stopped reading (more than maxQueuedBytes unsent). */
  slowConsumersDropped: number;
  /** TLS handshakes that failed or timed out (HUB_CONNECT_TIMEOUT_MS) on the MQTT TLS listener. */
  tlsHandshakesFailed: number;
  refused: { connect: number; publish: number; subscribe: number; rate_limit: number };
}

/** What the MQTT broker counts (mqtt-broker.ts), for /metrics (hub/ops/metrics.ts), read at scrape time. */
export interface BrokerMetricsSource {
  /** Ended connections whose close waits for its turn (close-queue.ts). */
  closesWaiting: number;
  refused: Readonly<Record<string, number>>;
  guardViolations: number;
  slowConsumersDropped: number;
  connectionsRateLimited: number;
  /** Wills of connections their device had replaced, dropped (superseded-connections.ts). */
  replacedWillsDropped: number;
}
