/**
 * A bare Aedes broker on a loopback port for the simulator tests
 * (simulators.test.ts, simulator-cli.test.ts): it lets in the device ids with
 * the secrets given and records every login, subscription and authorised
 * PUBLISH (wills included), so a test sees what a device really sent, without
 * the hub.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type PublishPacket } from 'aedes';

export interface Seen {
  clientId: string | undefined;
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

export interface TestBroker {
  broker: Aedes;
  port: number;
  /** Every PUBLISH the broker authorised, wills included, in order. */
  seen: Seen[];
  logins: Array<{ clientId: string; username: string | undefined; password: string | undefined }>;
  subscriptions: Array<{ clientId: string; topic: string; qos: number }>;
  /** Lets a test hold a PUBLISH (and so its PUBACK) until it decides. */
  holdPublish?: (packet: PublishPacket, release: () => void) => void;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The broker; its closing (broker, then server) is pushed onto `cleanups`. */
export async function startBareBroker(secrets: Record<string, string>, cleanups: Array<() => Promise<void> | void>): Promise<TestBroker> {
  const state: Omit<TestBroker, 'broker' | 'port'> = { seen: [], logins: [], subscriptions: [] };
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const secret = password?.toString('utf8');
      state.logins.push({ clientId: client.id, username, password: secret });
      if (username === client.id && username !== undefined && secrets[username] !== undefined && secrets[username] === secret) {
        done(null, true);
        return;
      }
      // Aedes turns returnCode into the CONNACK return code (4 = bad user name or password).
      done(Object.assign(new Error('bad credentials'), { returnCode: 4 }) as AuthenticateError, null);
    },
    authorizePublish(client, packet, callback) {
      state.seen.push({
        clientId: client?.id,
        topic: packet.topic,
        payload: Buffer.from(packet.payload).toString('utf8'),
        qos: packet.qos,
        retain: packet.retain,
      });
      if (tb.holdPublish) tb.holdPublish(packet, () => callback(null));
      else callback(null);
    },
  });
  broker.on('subscribe', (subs, client) => {
    for (const s of subs) state.subscriptions.push({ clientId: client.id, topic: s.topic, qos: s.qos });
  });
  const sockets = new Set<Socket>();
  // noDelay: QoS 1 round trips stall ~40 ms on Nagle + delayed ACK otherwise (DESIGN.md §10).
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const tb: TestBroker = { ...state, broker, port: (server.address() as AddressInfo).port };
  cleanups.push(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await closeServer(server, sockets);
  });
  return tb;
}

export function onTopic(tb: TestBroker, topic: string): Seen[] {
  return tb.seen.filter((s) => s.topic === topic);
}
