/**
 * The heartbeat probe's own MQTT client against a real Aedes on loopback:
 * what the probe relied on mqtt.js for (reconnect, publishes kept while
 * disconnected, refused credentials retried) and that no packet-number
 * cache is built (hub/broker/packet-number-cache.ts).
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeClient } from '../hub/ops/probe-client.js';

interface TestBroker {
  port: number;
  sockets: Set<Socket>;
  published: string[];
  close(): Promise<void>;
}

async function startBroker(password: string): Promise<TestBroker> {
  const published: string[] = [];
  const broker = await Aedes.createBroker({
    authenticate(_client, _username, given, done) {
      if (given?.toString('utf8') === password) return done(null, true);
      done(Object.assign(new Error('bad credentials'), { returnCode: 4 }) as AuthenticateError, null);
    },
    authorizePublish(_client, packet, callback) {
      published.push(Buffer.from(packet.payload).toString('utf8'));
      callback(null);
    },
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    published,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

function probe(port: number, password: string, errors: Error[] = []): ProbeClient {
  return new ProbeClient({ host: '127.0.0.1', port, clientId: 'hub.probe.t', username: 'hub.probe.t', password, reconnectMs: 20, connectTimeoutMs: 2_000, keepaliveS: 60, onError: (e) => errors.push(e) });
}

const acked = (client: ProbeClient, payload: string) => new Promise<Error | undefined>((resolve) => client.publish('hub/probe/t', payload, resolve));

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the probe client', () => {
  it('publishes QoS 1 and is told of the PUBACK; a publish made while the connection is lost is sent after the reconnect', async () => {
    const broker = await startBroker('secret');
    cleanups.push(() => broker.close());
    const client = probe(broker.port, 'secret');
    cleanups.push(() => client.end());
    expect(await acked(client, '{"beat":1}')).toBeUndefined();
    expect(client.connected).toBe(true);
    for (const socket of broker.sockets) socket.destroy();
    await until(() => !client.connected);
    const second = acked(client, '{"beat":2}');
    expect(await second).toBeUndefined();
    expect(broker.published).toEqual(['{"beat":1}', '{"beat":2}']);
  });

  it('keeps trying when the broker refuses it, and a publish waits unacknowledged meanwhile', async () => {
    const broker = await startBroker('other');
    cleanups.push(() => broker.close());
    const errors: Error[] = [];
    const client = probe(broker.port, 'secret', errors);
    let settled: Error | undefined | 'pending' = 'pending';
    client.publish('hub/probe/t', '{"beat":1}', (err) => (settled = err));
    await until(() => errors.filter((e) => /return code 4/.test(e.message)).length >= 2);
    expect(client.connected).toBe(false);
    expect(settled).toBe('pending');
    expect(broker.published).toEqual([]);
    await client.end();
    expect((settled as unknown as Error).message).toMatch(/closed/);
  });

  it('writes packets without mqtt-packet building its cache of 65,536 number buffers', async () => {
    const broker = await startBroker('secret');
    cleanups.push(() => broker.close());
    const client = probe(broker.port, 'secret');
    cleanups.push(() => client.end());
    for (let beat = 0; beat < 3; beat++) expect(await acked(client, `{"beat":${beat}}`)).toBeUndefined();
    const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  });
});
