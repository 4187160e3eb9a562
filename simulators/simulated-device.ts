/**
 * A simulated device speaking the real protocol (docs/PROTOCOL.md) over real
 * MQTT with mqtt.js: credentials, retained status with a last will, heartbeat
 * telemetry from its kind's behaviour, battery drain, validated events that
 * resolve on PUBACK, and commands from the hub — each carried out once per
 * `cmdId` and confirmed with a `cmd_ack` event every time it arrives (the hub
 * resends a command at every subscribe until it is confirmed).
 */
import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { CMD_ACK_EVENT } from '../devices/capabilities.js';
import type { DeviceEventPayload, DeviceKind, TelemetryPayload } from '../devices/catalog.js';
import type { DeviceCommand } from '../devices/commands.js';
import { COMMAND_CHANNEL, deviceTopic, isValidDeviceId, type Channel, type UplinkChannel } from '../devices/topics.js';
import { drainBattery, reportedBattery, type BatteryState } from './battery.js';
import { ConnackRefusedError, connackRefusal } from './connack.js';
import { behaviourFor, type KindBehaviour, type Random } from './kinds/index.js';
import { processUtcOffsetMin } from './kinds/behaviour.js';
import { buildEventPayload, buildTelemetryPayload, type CommonFields } from './payloads.js';
import { CommandInbox, type InvalidCommand } from './command-inbox.js';
import { connectDevice, DEFAULT_EVENT_ACK_TIMEOUT_MS, type SimulatedDeviceOptions } from './device-connection.js';

export type { InvalidCommand } from './command-inbox.js';
export type { BrokerAddress, SimulatedDeviceOptions } from './device-connection.js';

export interface SentMessage<P> {
  topic: string;
  seq: number;
  payload: P;
}

export interface SimulatedDeviceEvents {
  /** CONNACK 0 received (again after every reconnect). */
  connect: [];
  close: [];
  /** A command carried out (once per cmdId, however often it arrives). */
  command: [DeviceCommand];
  /** A `cmd_ack` for this cmdId was PUBACKed by the hub. */
  confirmed: [string];
  'invalid-command': [InvalidCommand];
  /** A connection or CONNACK error; mqtt.js keeps retrying network errors, not refusals. */
  'connect-error': [Error];
  /** A background send (heartbeat, status, low_battery) failed; also kept in `lastError`. */
  'send-error': [Error];
  /** An event's PUBACK did not come within `eventAckTimeoutMs` (given): the connection is closed, to reconnect and resend. */
  'ack-overdue': [number];
}

export class SimulatedDevice extends EventEmitter<SimulatedDeviceEvents> {
  readonly deviceId: string;
  readonly kind: DeviceKind;
  /** The last error seen from the connection or a background send. */
  lastError: Error | undefined;

  private readonly options: SimulatedDeviceOptions;
  private readonly behaviour: KindBehaviour;
  private readonly random: Random;
  private readonly now: () => number;
  private client: MqttClient | undefined;
  private refusal: ConnackRefusedError | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatMs: number;
  private behaviourState: unknown;
  private battery: BatteryState;
  private lastStepAt: number;
  private nextSeq: number;
  /** Commands from the hub, each carried out once however often it arrives. */
  private readonly inbox = new CommandInbox();
  /** When the current connection got its CONNACK (performance.now()). */
  private connectedAt = 0;

  constructor(options: SimulatedDeviceOptions) {
    super();
    if (!isValidDeviceId(options.deviceId)) {
      throw new Error(`invalid device id "${options.deviceId}": 1–23 characters A–Z a–z 0–9 _ -`);
    }
    this.options = options;
    this.deviceId = options.deviceId;
    this.kind = options.kind;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.behaviour = behaviourFor(options.kind.kind);
    const now = this.now();
    this.heartbeatMs = (options.heartbeatSec ?? options.kind.heartbeatSec) * 1000;
    this.behaviourState = this.behaviour.init(now, this.random, {
      utcOffsetMin: options.utcOffsetMin ?? processUtcOffsetMin(now),
    });
    this.battery = { percent: options.batteryStart ?? 100, lowReported: false };
    this.lastStepAt = now;
    this.nextSeq = options.seqStart ?? Math.floor(now / 1000);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** The `seq` the next message will carry. */
  get seq(): number {
    return this.nextSeq;
  }

  get batteryPercent(): number {
    return this.battery.percent;
  }

  topic(channel: Channel): string {
    return deviceTopic(this.deviceId, channel);
  }

  /** Connects (and keeps reconnecting on network errors); see `waitForConnect` for the outcome. */
  start(): void {
    if (this.client) throw new Error(`${this.deviceId}: already started`);
    const client = connectDevice(this.options, this.topic('status'), this.random);
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('close', () => {
      this.stopHeartbeats();
      this.emit('close');
    });
    client.on('error', (err) => this.onConnectionError(err));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  /**
   * Resolves once connected. Rejects with a `ConnackRefusedError` (`code` 2, 4, 5…) if the broker refused
   * the connection, with the socket error (e.g. ECONNREFUSED) if one occurs while waiting, or on timeout.
   */
  waitForConnect(timeoutMs = this.options.connectTimeoutMs ?? 10_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.refusal) return Promise.reject(this.refusal);
    if (!this.client) return Promise.reject(new Error(`${this.deviceId}: start() was not called`));
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.off('connect', onConnect);
        this.off('connect-error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => done();
      const onError = (err: Error) => done(err);
      const timer = setTimeout(() => done(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      this.on('connect', onConnect);
      this.on('connect-error', onError);
    });
  }

  /** Publishes one event with QoS 1; resolves when the PUBACK arrives. Throws `PayloadError` if the schema refuses it. */
  async sendEvent(type: string, fields: Readonly<Record<string, unknown>> = {}): Promise<SentMessage<DeviceEventPayload>> {
    const seq = this.nextSeq;
    const payload = buildEventPayload(this.kind, type, fields, this.common(seq));
    this.nextSeq = Math.max(this.nextSeq, (payload.seq ?? seq) + 1);
    const topic = await this.watchAck(this.publish('event', JSON.stringify(payload), 1));
    return { topic, seq: payload.seq ?? seq, payload };
  }

  /** Publishes one telemetry message (QoS 0 by default); resolves when written (QoS 0) or acknowledged (QoS 1). */
  async sendTelemetry(
    fields: Readonly<Record<string, unknown>> = {},
    { qos = this.options.telemetryQos ?? 0 }: { qos?: 0 | 1 } = {},
  ): Promise<SentMessage<TelemetryPayload>> {
    const seq = this.nextSeq;
    const payload = buildTelemetryPayload(this.kind, fields, this.common(seq));
    this.nextSeq = Math.max(this.nextSeq, (payload.seq ?? seq) + 1);
    const topic = await this.publish('telemetry', JSON.stringify(payload), qos);
    return { topic, seq: payload.seq ?? seq, payload };
  }

  /** Publishes bytes unchecked, for tests of what the hub does with malformed data. */
  async sendRaw(channel: UplinkChannel, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
    await this.publish(channel, payload, qos);
  }

  /**
   * One heartbeat: advances battery and behaviour to now, sends their telemetry and, the first time the
   * battery is low, `low_battery`. Called by the timer; public so tests can step it. `overrides`
   * replace fields of the behaviour's telemetry: a household model that knows the resident is out
   * walking sends its own heart rate and location, with the battery still drained as usual.
   */
  async heartbeat(overrides: Readonly<Record<string, unknown>> = {}): Promise<void> {
    const now = this.now();
    const drained = drainBattery(
      this.battery,
      now - this.lastStepAt,
      this.options.batteryDrainPerHour ?? this.behaviour.batteryDrainPerHour,
    );
    this.battery = drained.state;
    const step = this.behaviour.step(this.behaviourState, now, this.random);
    this.behaviourState = step.state;
    this.lastStepAt = now;
    await this.sendTelemetry({ ...step.telemetry, ...overrides });
    if (drained.reportLow && this.kind.eventTypes.includes('low_battery')) await this.sendEvent('low_battery');
  }

  /** Clean shutdown: retained `offline` first (a DISCONNECT discards the will), then DISCONNECT. */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.stopHeartbeats();
    if (client.connected && (this.options.announceStatus ?? true)) {
      await withTimeout(
        client.publishAsync(this.topic('status'), 'offline', { qos: 1, retain: true }),
        2_000,
      ).catch((err: unknown) => this.recordSendError(err));
    }
    // Unacknowledged messages could hold a graceful end forever; a device being switched off does not wait.
    await withTimeout(client.endAsync(!client.connected), 2_000).catch(() => client.end(true));
  }

  /** Power cut: the socket closes without DISCONNECT, so the broker publishes the will. No reconnect. */
  kill(): void {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.stopHeartbeats();
    client.end(true);
  }

  private common(seq: number): CommonFields {
    const common: CommonFields = { seq, ts: this.now() };
    if (this.options.reportBattery ?? true) common.battery = reportedBattery(this.battery);
    return common;
  }

  private publish(channel: UplinkChannel, body: string | Buffer, qos: 0 | 1, retain = false): Promise<string> {
    const client = this.client;
    if (!client) return Promise.reject(new Error(`${this.deviceId}: not started`));
    const topic = this.topic(channel);
    // mqtt.js calls back on PUBACK for QoS 1 and once written for QoS 0; offline, it queues and resends on reconnect.
    return new Promise((resolve, reject) =>
      client.publish(topic, body, { qos, retain }, (err) => (err ? reject(err) : resolve(topic))),
    );
  }

  /**
   * Until `sent` settles, a connection that has carried it for
   * `eventAckTimeoutMs` without its PUBACK is closed: mqtt.js reconnects (to
   * the next broker of `servers`) and resends the unacknowledged packet, the
   * same seq and ts, as PROTOCOL.md asks of a device.
   */
  private watchAck<T>(sent: Promise<T>): Promise<T> {
    const ms = this.options.eventAckTimeoutMs ?? DEFAULT_EVENT_ACK_TIMEOUT_MS;
    if (ms <= 0 || this.options.reconnectPeriodMs === 0) return sent;
    const timer = setInterval(() => {
      const client = this.client;
      if (!client?.connected || performance.now() - this.connectedAt < ms) return;
      this.emit('ack-overdue', ms);
      client.stream.destroy();
    }, ms);
    return sent.finally(() => clearInterval(timer));
  }

  private onConnect(client: MqttClient): void {
    this.refusal = undefined;
    this.connectedAt = performance.now();
    this.emit('connect');
    const announce = this.options.announceStatus ?? true;
    const online = announce
      ? client.publishAsync(this.topic('status'), 'online', { qos: 1, retain: true })
      : Promise.resolve(undefined);
    const subscribed = client.subscribeAsync(this.topic(COMMAND_CHANNEL), { qos: 1 }).then((granted) => {
      // A refused subscription (SUBACK 0x80) means the ACL disagrees with our id: surface it, it is a setup bug.
      if (granted.some((g) => g.qos === 128)) throw new Error(`subscription to ${this.topic(COMMAND_CHANNEL)} refused (SUBACK 0x80)`);
    });
    Promise.all([online, subscribed]).catch((err: unknown) => this.recordSendError(err));
    this.startHeartbeats();
  }

  private onConnectionError(err: Error): void {
    this.lastError = err;
    const refusal = connackRefusal(err);
    // mqtt.js does not retry after a refusal; remember it so a later waitForConnect still learns why.
    if (refusal) this.refusal = refusal;
    this.emit('connect-error', refusal ?? err);
  }

  private onMessage(topic: string, raw: Buffer): void {
    if (topic !== this.topic(COMMAND_CHANNEL)) return;
    const read = this.inbox.read(raw);
    if ('invalid' in read) {
      this.emit('invalid-command', read.invalid);
      return;
    }
    const { command, fresh } = read;
    if (fresh) {
      if (command.cmd === 'configure') this.setHeartbeatSec(command.heartbeatSec);
      this.emit('command', command);
    }
    this.confirm(command.cmdId);
  }

  /** `cmd_ack` after acting, as PROTOCOL.md asks; a failed send is retried by the hub's resend. */
  private confirm(cmdId: string): void {
    if (this.options.confirmCommands === false || !this.kind.eventTypes.includes(CMD_ACK_EVENT)) return;
    this.sendEvent(CMD_ACK_EVENT, { cmdId }).then(
      () => this.emit('confirmed', cmdId),
      (err: unknown) => this.recordSendError(err),
    );
  }

  /** What a real device does on `configure`: use the new interval from now on. */
  private setHeartbeatSec(sec: number): void {
    this.heartbeatMs = sec * 1000;
    if (this.heartbeatTimer) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = setInterval(() => this.backgroundHeartbeat(), this.heartbeatMs);
    }
  }

  private startHeartbeats(): void {
    this.stopHeartbeats();
    if (this.options.heartbeats === false) return;
    // First one right away: the hub learns the device's state as soon as it is back.
    this.backgroundHeartbeat();
    this.heartbeatTimer = setInterval(() => this.backgroundHeartbeat(), this.heartbeatMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private backgroundHeartbeat(): void {
    this.heartbeat().catch((err: unknown) => this.recordSendError(err));
  }

  private recordSendError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.lastError = error;
    this.emit('send-error', error);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
