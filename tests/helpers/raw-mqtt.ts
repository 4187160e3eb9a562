/**
 * A raw MQTT 3.1.1 session over TCP built from mqtt-packet, for tests that
 * must send what well-behaved client libraries refuse to send (empty client
 * ids with clean session 0, subscriptions that will be refused, …).
 */
import { connect, type Socket } from 'node:net';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';

export class RawMqtt {
  private readonly packets: Packet[] = [];
  private waiters: { cmd: string; resolve: (p: Packet) => void }[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet: Packet) => {
      const waiter = this.waiters.find((w) => w.cmd === packet.cmd);
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(packet);
      } else {
        this.packets.push(packet);
      }
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawMqtt(socket)));
      socket.once('error', reject);
    });
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet));
  }

  next<T extends Packet>(cmd: T['cmd'], timeoutMs = 3_000): Promise<T> {
    const queued = this.packets.find((p) => p.cmd === cmd);
    if (queued) {
      this.packets.splice(this.packets.indexOf(queued), 1);
      return Promise.resolve(queued as T);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${cmd} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        cmd,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p as T);
        },
      });
    });
  }

  /** Sends CONNECT and returns the CONNACK return code. */
  async connect(options: Partial<IConnectPacket>): Promise<number> {
    this.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: '', ...options } as IConnectPacket);
    const connack = await this.next<mqttPacket.IConnackPacket>('connack');
    return connack.returnCode ?? -1;
  }

  /** Subscribes and returns the granted QoS per topic, in order (128 = refused). */
  async subscribe(topics: string[], messageId = 1): Promise<number[]> {
    this.send({ cmd: 'subscribe', messageId, subscriptions: topics.map((topic) => ({ topic, qos: 1 as const })) });
    const suback = await this.next<mqttPacket.ISubackPacket>('suback');
    return suback.granted as number[];
  }

  close(): void {
    this.socket.destroy();
  }
}
