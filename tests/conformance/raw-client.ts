/**
 * A raw MQTT 3.1.1 client over TCP built from mqtt-packet, for the conformance
 * suite and the long-run harnesses: it sends exactly the packets it is told
 * to, records everything the broker sends, and answers QoS 1/2 deliveries
 * only when asked to (autoAck), so redelivery can be observed.
 */
import { connect, type Socket } from 'node:net';
import mqttPacket, { type IConnackPacket, type IConnectPacket, type IPublishPacket, type Packet } from 'mqtt-packet';

export interface RawOptions {
  port: number;
  host?: string;
  /** Source address (127.0.0.x) so floods from "many hosts" are not one IP's rate. */
  localAddress?: string;
  /** Answer QoS 1 with PUBACK and QoS 2 with PUBREC/PUBCOMP. Default true. */
  autoAck?: boolean;
  /** Keep every received packet in `received` (default true; long runs turn it off). */
  record?: boolean;
}

export class RawClient {
  readonly received: Packet[] = [];
  private waiters: { match: (p: Packet) => boolean; resolve: (p: Packet) => void }[] = [];
  private nextId = 1;
  closed = false;
  closedAt = 0;
  readonly closedPromise: Promise<void>;
  autoAck: boolean;
  private readonly record: boolean;
  /** Called for every packet received, in order. */
  onPacket: ((packet: Packet) => void) | undefined;

  private constructor(readonly socket: Socket, options: RawOptions) {
    this.autoAck = options.autoAck ?? true;
    this.record = options.record ?? true;
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet: Packet) => this.handle(packet));
    parser.on('error', () => socket.destroy());
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.closedAt = Date.now();
        resolve();
      }),
    );
  }

  static open(options: RawOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port: options.port, host: options.host ?? '127.0.0.1', noDelay: true, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket, options));
      });
      socket.once('error', reject);
    });
  }

  private handle(packet: Packet): void {
    this.onPacket?.(packet);
    if (this.autoAck && packet.cmd === 'publish' && packet.qos === 1) this.send({ cmd: 'puback', messageId: packet.messageId! });
    if (this.autoAck && packet.cmd === 'publish' && packet.qos === 2) this.send({ cmd: 'pubrec', messageId: packet.messageId! });
    if (this.autoAck && packet.cmd === 'pubrel') this.send({ cmd: 'pubcomp', messageId: packet.messageId! });
    const waiter = this.waiters.find((w) => w.match(packet));
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(packet);
    }
    if (this.record) this.received.push(packet);
  }

  send(packet: Packet): void {
    if (!this.socket.destroyed) this.socket.write(mqttPacket.generate(packet));
  }

  /** Waits for a packet matching `match` that arrives from now on (or is already received and unconsumed, when `seen` is true). */
  wait<T extends Packet = Packet>(match: (p: Packet) => boolean, timeoutMs = 3_000, seen = false): Promise<T> {
    if (seen) {
      const found = this.received.find(match);
      if (found) return Promise.resolve(found as T);
    }
    const promise = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching packet within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (p: Packet) => {
          clearTimeout(timer);
          resolve(p as T);
        },
      };
      this.waiters.push(waiter);
    });
    // A wait abandoned because an earlier step failed must not become an unhandled rejection.
    promise.catch(() => undefined);
    return promise;
  }

  async connect(options: Partial<IConnectPacket> = {}, timeoutMs = 3_000): Promise<IConnackPacket> {
    const connack = this.wait<IConnackPacket>((p) => p.cmd === 'connack', timeoutMs);
    this.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: '', ...options } as IConnectPacket);
    return connack;
  }

  messageId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId % 65_535) + 1;
    return id;
  }

  /** Subscribes; returns the granted QoS per filter (128 = refused). */
  async subscribe(filters: { topic: string; qos: 0 | 1 | 2 }[] | string, qos: 0 | 1 | 2 = 1): Promise<number[]> {
    const subscriptions = typeof filters === 'string' ? [{ topic: filters, qos }] : filters;
    const messageId = this.messageId();
    const suback = this.wait<mqttPacket.ISubackPacket>((p) => p.cmd === 'suback' && p.messageId === messageId);
    this.send({ cmd: 'subscribe', messageId, subscriptions });
    return (await suback).granted as number[];
  }

  async unsubscribe(topics: string[]): Promise<number> {
    const messageId = this.messageId();
    const unsuback = this.wait<mqttPacket.IUnsubackPacket>((p) => p.cmd === 'unsuback' && p.messageId === messageId);
    this.send({ cmd: 'unsubscribe', messageId, unsubscriptions: topics });
    return (await unsuback).messageId!;
  }

  /** Publishes and completes the QoS handshake (PUBACK, or PUBREC → PUBREL → PUBCOMP). */
  async publish(topic: string, payload: string | Buffer, options: { qos?: 0 | 1 | 2; retain?: boolean } = {}, timeoutMs = 3_000): Promise<void> {
    const qos = options.qos ?? 0;
    const messageId = qos > 0 ? this.messageId() : undefined;
    const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos, retain: options.retain ?? false, dup: false, ...(messageId ? { messageId } : {}) };
    if (qos === 0) return this.send(packet);
    if (qos === 1) {
      const ack = this.wait((p) => p.cmd === 'puback' && p.messageId === messageId, timeoutMs);
      this.send(packet);
      await ack;
      return;
    }
    const rec = this.wait((p) => p.cmd === 'pubrec' && p.messageId === messageId, timeoutMs);
    this.send(packet);
    await rec;
    const comp = this.wait((p) => p.cmd === 'pubcomp' && p.messageId === messageId, timeoutMs);
    this.send({ cmd: 'pubrel', messageId: messageId! });
    await comp;
  }

  publishes(topicPrefix = ''): IPublishPacket[] {
    return this.received.filter((p): p is IPublishPacket => p.cmd === 'publish' && p.topic.startsWith(topicPrefix));
  }

  disconnect(): void {
    this.send({ cmd: 'disconnect' });
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves with the ms until the broker closed the connection, or rejects after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<number> {
    const start = Date.now();
    if (this.closed) return 0;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.closedAt - start;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
