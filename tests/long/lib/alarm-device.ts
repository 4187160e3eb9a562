/**
 * A bracelet that sends SOS alarms at QoS 1 with a unique seq and keeps every
 * alarm until its PUBACK: when the connection drops it reconnects (with
 * jitter) and retransmits the unacknowledged ones with the same seq and ts,
 * as docs/PROTOCOL.md "Delivery guarantees" asks of a device. Like any MQTT
 * client it keeps a bounded number of QoS 1 messages in flight (16, cf.
 * Mosquitto's max_inflight_messages 20); later alarms wait on the device.
 * The bound matters: the hub recognises a retransmission among the last 64
 * messages of a device, so a device with more than 64 unacknowledged alarms
 * could see old ones accepted twice (docs/RELIABILITY.md, crash run).
 * An alarm not acknowledged within 5 s on its connection means the
 * connection is dead though TCP holds it (a frozen node): the device closes
 * it, reconnects and retransmits, as PROTOCOL.md asks.
 */
import { RawClient, sleep } from '../../conformance/raw-client.js';
import type { Device } from './provision.js';

export interface AlarmDeviceStats {
  sent: number;
  retransmitted: number;
  reconnects: number;
  refusedConnects: number;
}

export class AlarmDevice {
  private client: RawClient | undefined;
  private connecting = false;
  private stopped = false;
  private seq = 0;
  /** seq → payload, until PUBACKed. */
  readonly pending = new Map<number, string>();
  readonly acked = new Set<number>();
  /** messageId of the current connection → seq */
  private inFlight = new Map<number, number>();
  /** seqs sent on the current connection and not yet acknowledged */
  private inFlightSeqs = new Set<number>();
  readonly stats: AlarmDeviceStats = { sent: 0, retransmitted: 0, reconnects: 0, refusedConnects: 0 };

  constructor(
    readonly device: Device,
    /** Where the hub is now (it moves to a new port after every restart). */
    private readonly port: () => number,
    private readonly onAck: (deviceId: string, seq: number, latencyMs: number) => void = () => undefined,
    private readonly maxInFlight = 16,
    /** No PUBACK this long after a send on a connection: the connection is closed (PROTOCOL.md). */
    private readonly ackTimeoutMs = 5_000,
  ) {}

  get connected(): boolean {
    return this.client !== undefined && !this.client.closed;
  }

  /** Connects (retrying until it works or stop()); retransmits whatever is pending. */
  async connect(): Promise<void> {
    if (this.connecting || this.stopped) return;
    this.connecting = true;
    try {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          const client = await RawClient.open({ port: this.port(), record: false });
          const connack = await client.connect({ clientId: this.device.id, username: this.device.id, password: Buffer.from(this.device.secret), keepalive: 60, clean: true }, 5_000);
          if (connack.returnCode !== 0) {
            this.stats.refusedConnects++;
            client.destroy();
            throw new Error(`CONNACK ${connack.returnCode}`);
          }
          this.attach(client);
          if (attempt > 0 || this.stats.sent > 0) this.stats.reconnects++;
          this.stats.retransmitted += Math.min(this.pending.size, this.maxInFlight);
          this.fillWindow();
          return;
        } catch {
          // Hub down or restarting: back off with jitter (docs/PROTOCOL.md "Reconnecting").
          await sleep(100 + Math.random() * Math.min(2_000, 200 * 2 ** Math.min(attempt, 4)));
        }
      }
    } finally {
      this.connecting = false;
    }
  }

  private attach(client: RawClient): void {
    this.client = client;
    this.inFlight = new Map();
    this.inFlightSeqs = new Set();
    const sentAt = new Map<number, number>();
    const original = client.send.bind(client);
    client.send = (packet) => {
      if (packet.cmd === 'publish' && packet.messageId) sentAt.set(packet.messageId, Date.now());
      original(packet);
    };
    client.onPacket = (p) => {
      if (p.cmd !== 'puback') return;
      const id = p.messageId!;
      const seq = this.inFlight.get(id);
      this.inFlight.delete(id);
      if (seq !== undefined) this.inFlightSeqs.delete(seq);
      if (seq !== undefined && this.pending.delete(seq)) {
        this.acked.add(seq);
        this.onAck(this.device.id, seq, Date.now() - (sentAt.get(id) ?? Date.now()));
      }
      sentAt.delete(id);
      this.fillWindow();
    };
    // The oldest unacknowledged send on this connection, checked every second.
    const watchdog = setInterval(() => {
      const oldest = Math.min(...sentAt.values());
      if (Date.now() - oldest >= this.ackTimeoutMs) client.destroy();
    }, 1_000);
    void client.closedPromise.then(() => {
      clearInterval(watchdog);
      if (this.client === client) this.client = undefined;
      if (!this.stopped) void this.connect();
    });
  }

  /** Sends a new alarm (kept until acknowledged). */
  sendAlarm(): void {
    const seq = ++this.seq;
    const payload = JSON.stringify({ type: 'sos', seq, ts: Date.now() });
    this.pending.set(seq, payload);
    this.stats.sent++;
    this.fillWindow();
  }

  /** Sends the oldest waiting alarms until `maxInFlight` are unacknowledged on this connection. */
  private fillWindow(): void {
    if (!this.connected || this.inFlightSeqs.size >= this.maxInFlight) return;
    for (const [seq, payload] of this.pending) {
      if (this.inFlightSeqs.size >= this.maxInFlight) break;
      if (!this.inFlightSeqs.has(seq)) this.transmit(seq, payload);
    }
  }

  private transmit(seq: number, payload: string): void {
    const client = this.client;
    if (!client || client.closed) return;
    const messageId = client.messageId();
    this.inFlight.set(messageId, seq);
    this.inFlightSeqs.add(seq);
    client.send({ cmd: 'publish', topic: `hc/v1/${this.device.id}/event`, payload, qos: 1, messageId, retain: false, dup: false });
  }

  stop(): void {
    this.stopped = true;
    this.client?.destroy();
  }
}
