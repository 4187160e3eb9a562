/**
 * The journal writer's keep-alive (hub/storage/postgres/writer-lease.ts)
 * decides "no answer within the lease" only after the event loop has read its
 * sockets: a leader whose own loop stalled past the lease, while the
 * database's answer was already on the wire, keeps its leadership.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { KeepAlive, MIN_LEASE_MS } from '../hub/storage/postgres/writer-lease.js';

const LEASE_MS = MIN_LEASE_MS;
let server: Server | undefined;
let client: Socket | undefined;
let keepAlive: KeepAlive | undefined;

afterEach(async () => {
  keepAlive?.stop();
  client?.destroy();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = client = keepAlive = undefined;
});

/** A loopback connection: the hub's end, and the "database's" end that answers. */
async function connectionPair(): Promise<{ hubEnd: Socket; databaseEnd: Socket }> {
  server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  client = connect(address.port, '127.0.0.1');
  const [[databaseEnd]] = await Promise.all([accepted, once(client, 'connect')]);
  return { hubEnd: client, databaseEnd };
}

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    /* the hub's own loop, stalled */
  }
}

describe('writer keep-alive', () => {
  it('a statement whose answer arrived during a stall of the event loop longer than the lease is not taken for a lost session', async () => {
    const { hubEnd, databaseEnd } = await connectionPair();
    let sentAt: number | undefined;
    hubEnd.on('data', () => (sentAt = undefined));
    const verdicts: string[] = [];
    keepAlive = new KeepAlive({
      leaseMs: LEASE_MS,
      idleFor: () => (sentAt === undefined ? 0 : undefined),
      unansweredFor: () => (sentAt === undefined ? 0 : Date.now() - sentAt),
      ping: async () => undefined,
      onNoAnswer: () => verdicts.push('no answer'),
    });
    keepAlive.start();
    sentAt = Date.now();
    // The answer is in the hub end's kernel buffer at once (a loopback write is synchronous), but
    // the loop does not read it for 1.5 leases: the keep-alive's timer is due before the socket is read.
    const answered = once(hubEnd, 'data');
    databaseEnd.write('1');
    blockEventLoop(LEASE_MS * 1.5);
    await answered;
    // Two more of the keep-alive's ticks, each with its own check phase.
    await new Promise((resolve) => setTimeout(resolve, (LEASE_MS / 5) * 2 + 50));
    expect(sentAt).toBeUndefined();
    expect(verdicts).toEqual([]);
  });

  it('a statement that really gets no answer within the lease is declared lost, and no sooner than the lease', async () => {
    const startedAt = Date.now();
    const lost = new Promise<number>((resolve) => {
      keepAlive = new KeepAlive({
        leaseMs: LEASE_MS,
        idleFor: () => undefined,
        unansweredFor: () => Date.now() - startedAt,
        ping: async () => undefined,
        onNoAnswer: () => resolve(Date.now()),
      });
    });
    keepAlive!.start();
    const at = await lost;
    expect(at - startedAt).toBeGreaterThanOrEqual(LEASE_MS);
  });
});
