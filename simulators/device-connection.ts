/**
 * How a simulated device connects: its options (simulated-device.ts reads the
 * rest of them) and the mqtt.js client they make — credentials, clean session,
 * the last will, the jittered reconnect, and a cluster's brokers tried in turn.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { DeviceKind } from '../devices/catalog.js';
import type { Random } from './kinds/index.js';

export interface SimulatedDeviceOptions {
  /** `mqtt://host:port`; alternatively `host` + `port`. */
  url?: string;
  host?: string;
  port?: number;
  /**
   * Brokers of a cluster to try in turn, the first one first: after a lost connection mqtt.js
   * reconnects to the next one, as a device behind a load balancer lands on a live node when
   * its node dies. Overrides url / host / port.
   */
  servers?: readonly BrokerAddress[];
  deviceId: string;
  secret: string;
  kind: DeviceKind;
  /** Overrides the kind's heartbeat; fractions allowed so tests and demos can run fast. */
  heartbeatSec?: number;
  /** Percent at start (default 100). */
  batteryStart?: number;
  /** Overrides the behaviour's drain. */
  batteryDrainPerHour?: number;
  random?: Random;
  now?: () => number;
  /** Local time of the simulated home, for night-time behaviour (default: this process's zone). */
  utcOffsetMin?: number;
  /** First `seq`. Default: seconds since the epoch, so a restarted simulator keeps counting up (PROTOCOL.md, `seq`). */
  seqStart?: number;
  /** Periodic telemetry while connected (default true); a one-shot sender turns it off. */
  heartbeats?: boolean;
  /** Retained `online` / `offline` and the last will (default true). */
  announceStatus?: boolean;
  /** Put `battery` in every message (default true); a one-shot sender does not know the charge. */
  reportBattery?: boolean;
  telemetryQos?: 0 | 1;
  keepaliveSec?: number;
  connectTimeoutMs?: number;
  /** Delay between reconnect attempts; 0 never reconnects. Default 2–5 s, jittered. */
  reconnectPeriodMs?: number;
  /** Confirm commands with `cmd_ack` (default true); false plays an old firmware or a device that lost it. */
  confirmCommands?: boolean;
  /**
   * An event (an alarm) whose PUBACK has not come this long after it was sent
   * on a connection: the connection is taken for dead though TCP still holds
   * it (its node frozen, a half-open path), and closed, so that the device
   * reconnects (to the next of `servers`) and resends the event with the same
   * seq and ts (docs/PROTOCOL.md, "Delivery guarantees"). Default 5,000 ms;
   * 0 waits for the keepalive instead.
   */
  eventAckTimeoutMs?: number;
}

/** docs/PROTOCOL.md: an alarm's PUBACK takes milliseconds; five seconds without one is a dead connection. */
export const DEFAULT_EVENT_ACK_TIMEOUT_MS = 5_000;

export interface BrokerAddress {
  host: string;
  port: number;
}

/** Starts connecting (mqtt.js keeps reconnecting on network errors); `statusTopic` carries the will. */
export function connectDevice(o: SimulatedDeviceOptions, statusTopic: string, random: Random): MqttClient {
  const announce = o.announceStatus ?? true;
  const clientOptions: IClientOptions = {
    clientId: o.deviceId,
    username: o.deviceId,
    password: o.secret,
    protocolVersion: 4,
    clean: true,
    keepalive: o.keepaliveSec ?? 60,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    // Jitter: after a hub restart a whole neighbourhood reconnects, and the hub rate-limits connections per IP.
    reconnectPeriod: o.reconnectPeriodMs ?? 2_000 + Math.floor(random() * 3_000),
    // We subscribe after every CONNACK ourselves (clean session: the broker forgot us), so mqtt.js must not too.
    resubscribe: false,
    ...(announce ? { will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true } } : {}),
  };
  return o.servers?.length
    ? mqtt.connect({ ...clientOptions, protocol: 'mqtt', servers: o.servers.map((s) => ({ ...s })) })
    : o.url
      ? mqtt.connect(o.url, clientOptions)
      : mqtt.connect({ ...clientOptions, protocol: 'mqtt', host: o.host ?? '127.0.0.1', port: o.port ?? 1883 });
}
