/**
 * A worker's share of load devices: connects them (a bounded number at a
 * time), then sends telemetry round-robin and SOS alarms on request, counting
 * every publish and its acknowledgement. Alarms record their send and PUBACK
 * times so the coordinator can match them with what the operator saw.
 */
import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '../../devices/topics.js';
import { connectLoadClient, type LoadCredentials, type LoadEndpoint } from './load-client.js';
import { kindOfDeviceId, sosPayload, telemetryPayload } from './load-payloads.js';

export interface AlarmRecord {
  deviceId: string;
  seq: number;
  /** 1 for the device's first alarm in this pool's life, 2 for the second… (the hub counts occurrences the same way). */
  ordinal: number;
  /** Epoch ms with sub-ms precision (performance.timeOrigin + now), comparable across processes. */
  sentAt: number;
  ackAt?: number;
}

export interface PoolCounters {
  connected: number;
  sent: number;
  acked: number;
  failed: number;
  /** Telemetry not offered because too many publishes were unacknowledged (the generator's own back-pressure). */
  throttled: number;
  alarmsSent: number;
  alarmsAcked: number;
  /** Connections the target closed after CONNACK. */
  dropped: number;
}

export interface PoolOptions {
  endpoints: readonly LoadEndpoint[];
  qos: 0 | 1;
  /** Unacknowledged telemetry allowed before the pool holds back; alarms are never held back. */
  maxInflight: number;
}

export const wallClock = (): number => performance.timeOrigin + performance.now();

interface Slot extends LoadCredentials {
  kind: string;
  client?: MqttClient;
  seq: number;
  alarms: number;
  battery: number;
}

export class LoadDevicePool {
  readonly counters: PoolCounters = { connected: 0, sent: 0, acked: 0, failed: 0, throttled: 0, alarmsSent: 0, alarmsAcked: 0, dropped: 0 };
  private readonly slots: Slot[];
  private readonly bracelets: Slot[];
  private nextTelemetry = 0;
  private nextAlarm = 0;
  private finishedAlarms: AlarmRecord[] = [];

  constructor(
    devices: readonly LoadCredentials[],
    private readonly options: PoolOptions,
  ) {
    const seqBase = Math.floor(Date.now() / 1000);
    this.slots = devices.map((d, i) => ({ ...d, kind: kindOfDeviceId(d.deviceId) ?? 'unknown', seq: seqBase, alarms: 0, battery: 40 + (i % 60) }));
    this.bracelets = this.slots.filter((s) => s.kind === 'bracelet');
  }

  get size(): number {
    return this.slots.length;
  }

  /** Connects every device, `concurrency` handshakes at a time; resolves with what happened. */
  async connectAll(concurrency: number): Promise<{ connected: number; failed: number; ms: number; firstError?: string }> {
    const started = performance.now();
    let next = 0;
    let failed = 0;
    let firstError: string | undefined;
    const { endpoints } = this.options;
    const lane = async () => {
      while (next < this.slots.length) {
        const index = next++;
        const slot = this.slots[index]!;
        try {
          slot.client = await connectLoadClient(endpoints[index % endpoints.length]!, slot);
          this.counters.connected++;
          slot.client.once('close', () => {
            this.counters.connected--;
            this.counters.dropped++;
          });
        } catch (err) {
          failed++;
          firstError ??= `${slot.deviceId}: ${(err as Error).message}`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.slots.length) }, lane));
    return { connected: this.counters.connected, failed, ms: performance.now() - started, ...(firstError ? { firstError } : {}) };
  }

  /** One telemetry message from the next connected device; false if held back or nobody is connected. */
  sendTelemetry(): boolean {
    const c = this.counters;
    if (this.options.qos === 1 && c.sent - c.acked - c.failed >= this.options.maxInflight) {
      c.throttled++;
      return false;
    }
    for (let tries = 0; tries < this.slots.length; tries++) {
      const slot = this.slots[this.nextTelemetry++ % this.slots.length]!;
      if (!slot.client?.connected) continue;
      const seq = ++slot.seq;
      c.sent++;
      slot.client.publish(deviceTopic(slot.deviceId, 'telemetry'), telemetryPayload(slot.kind, seq, Date.now(), slot.battery), { qos: this.options.qos }, (err) => {
        if (err) c.failed++;
        else c.acked++;
      });
      return true;
    }
    return false;
  }

  /** One SOS (QoS 1) from the next connected bracelet, its send and PUBACK times recorded. */
  sendAlarm(): boolean {
    for (let tries = 0; tries < this.bracelets.length; tries++) {
      const slot = this.bracelets[this.nextAlarm++ % this.bracelets.length]!;
      if (!slot.client?.connected) continue;
      const seq = ++slot.seq;
      const record: AlarmRecord = { deviceId: slot.deviceId, seq, ordinal: ++slot.alarms, sentAt: wallClock() };
      this.counters.alarmsSent++;
      slot.client.publish(deviceTopic(slot.deviceId, 'event'), sosPayload(seq, Date.now(), slot.battery), { qos: 1 }, (err) => {
        if (!err) {
          record.ackAt = wallClock();
          this.counters.alarmsAcked++;
        }
        this.finishedAlarms.push(record);
      });
      return true;
    }
    return false;
  }

  /** Alarms acknowledged (or failed) since the last call. */
  takeAlarms(): AlarmRecord[] {
    const out = this.finishedAlarms;
    this.finishedAlarms = [];
    return out;
  }

  /** Closes every connection without DISCONNECT handshakes (a power cut for all of them). */
  closeAll(): void {
    for (const slot of this.slots) {
      slot.client?.removeAllListeners('close');
      slot.client?.end(true);
      slot.client = undefined;
    }
    this.counters.connected = 0;
  }
}
