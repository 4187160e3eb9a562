/**
 * The heartbeat probe's MQTT client: MQTT 3.1.1 over loopback TCP, clean
 * session, QoS 1 publishes only (the probe subscribes to nothing).
 *
 * Why not mqtt.js: importing it alone kept ~10 MB more resident in the hub
 * (1,000 homes, nothing connected: 102–105 MB without it, 112–116 MB with
 * the import), a tenth of the issue-14 budget of 100 MB, for one connection
 * that sends a packet every 10 s. The packets are encoded and parsed by
 * mqtt-packet, the codec Aedes already has loaded, so this costs a few
 * objects.
 *
 * It keeps what the probe relied on mqtt.js for: reconnecting after a close
 * (every `reconnectMs`), giving up a connect attempt after
 * `connectTimeoutMs`, PINGREQ every `keepaliveS` (and a new connection when
 * the previous PINGREQ went unanswered), and publishes made while
 * disconnected or left unacknowledged by a lost connection are (re)sent once
 * connected, so a heartbeat that cannot get in stays "sent".
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { withoutPacketNumberCache } from '../broker/packet-number-cache.js';

export interface ProbeClientOptions {
  host: string;
  port: number;
  clientId: string;
  username: string;
  password: string;
  reconnectMs: number;
  connectTimeoutMs: number;
  keepaliveS: number;
  /** A connection that failed or was refused; the client tries again by itself. */
  onError(err: Error): void;
}

type Acked = (err?: Error) => void;
interface Outgoing {
  topic: string;
  payload: string;
  acked: Acked;
}

const MAX_PACKET_ID = 0xffff;

export class ProbeClient {
  private socket: Socket | undefined;
  private up = false;
  private ended = false;
  private nextId = 1;
  private pingUnanswered = false;
  private readonly timers: { connect?: NodeJS.Timeout; reconnect?: NodeJS.Timeout; ping?: NodeJS.Timeout } = {};
  /** QoS 1 publishes without PUBACK yet, by packet id, in the order they were made. */
  private readonly outgoing = new Map<number, Outgoing>();

  constructor(private readonly options: ProbeClientOptions) {
    // The broker has thrown the switch already in a hub; a client on its own must not build the cache either.
    withoutPacketNumberCache();
    this.open();
  }

  /** CONNACK 0 received and the connection not lost since. */
  get connected(): boolean {
    return this.up;
  }

  publish(topic: string, payload: string, acked: Acked): void {
    if (this.outgoing.size === MAX_PACKET_ID) this.dropOldest();
    const messageId = this.freeId();
    this.outgoing.set(messageId, { topic, payload, acked });
    if (this.up) this.write({ cmd: 'publish', topic, payload, qos: 1, messageId, dup: false, retain: false });
  }

  /** Closes at once (no wait for PUBACKs): what is unacknowledged is told it will not be. */
  async end(): Promise<void> {
    this.ended = true;
    this.clearTimers();
    for (const { acked } of this.outgoing.values()) acked(new Error('probe client closed'));
    this.outgoing.clear();
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (this.up) socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
    else socket.destroy();
    await closed;
  }

  private open(): void {
    const { host, port, connectTimeoutMs } = this.options;
    const socket = tcpConnect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet: Packet) => this.received(packet));
    parser.on('error', (err: Error) => socket.destroy(err));
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('connect', () => this.sendConnect());
    socket.on('error', (err) => this.options.onError(err));
    socket.on('close', () => this.closed(socket));
    this.timers.connect = setTimeout(() => socket.destroy(new Error(`probe connect timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
  }

  private sendConnect(): void {
    const { clientId, username, password, keepaliveS } = this.options;
    this.write({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: keepaliveS, clientId, username, password: Buffer.from(password) });
  }

  private received(packet: Packet): void {
    if (packet.cmd === 'connack') return this.connack(packet.returnCode ?? 0);
    if (packet.cmd === 'pingresp') return void (this.pingUnanswered = false);
    if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
    const out = this.outgoing.get(packet.messageId);
    this.outgoing.delete(packet.messageId);
    out?.acked();
  }

  private connack(returnCode: number): void {
    clearTimeout(this.timers.connect);
    if (returnCode !== 0) {
      // The broker closes a refused connection; the close schedules the next attempt.
      this.options.onError(new Error(`probe connection refused: CONNACK return code ${returnCode}`));
      return void this.socket?.destroy();
    }
    this.up = true;
    this.pingUnanswered = false;
    this.timers.ping = setInterval(() => this.ping(), this.options.keepaliveS * 1000);
    // A clean session: the broker has seen none of these in this session, so no DUP flag.
    for (const [messageId, { topic, payload }] of this.outgoing) {
      this.write({ cmd: 'publish', topic, payload, qos: 1, messageId, dup: false, retain: false });
    }
  }

  private ping(): void {
    // No PINGRESP within a keep-alive period: the connection is dead even if TCP has not noticed.
    if (this.pingUnanswered) return void this.socket?.destroy(new Error('probe keep-alive timed out'));
    this.pingUnanswered = true;
    this.write({ cmd: 'pingreq' });
  }

  private closed(socket: Socket): void {
    if (socket !== this.socket) return;
    this.up = false;
    this.clearTimers();
    if (!this.ended) this.timers.reconnect = setTimeout(() => this.open(), this.options.reconnectMs);
  }

  private write(packet: Packet): void {
    this.socket?.write(mqttPacket.generate(packet));
  }

  /** Called with fewer than MAX_PACKET_ID ids in use, so it finds one. */
  private freeId(): number {
    while (this.outgoing.has(this.nextId)) this.nextId = this.nextId === MAX_PACKET_ID ? 1 : this.nextId + 1;
    const id = this.nextId;
    this.nextId = id === MAX_PACKET_ID ? 1 : id + 1;
    return id;
  }

  /** Every packet id taken (a week without the broker, one heartbeat per 10 s): the oldest, long reported stalled, goes. */
  private dropOldest(): void {
    const [oldestId, oldest] = this.outgoing.entries().next().value!;
    this.outgoing.delete(oldestId);
    oldest.acked(new Error('probe client: too many publishes unacknowledged'));
  }

  private clearTimers(): void {
    clearTimeout(this.timers.connect);
    clearTimeout(this.timers.reconnect);
    clearInterval(this.timers.ping);
  }
}
