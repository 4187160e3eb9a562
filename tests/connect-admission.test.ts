/**
 * Reconnect storms (issue 14 item 4): accepted sockets stay unread until the
 * admission hands them on, a few per event-loop turn, and every one is
 * handed on in the end. Real TCP on 127.0.0.1.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectAdmission } from '../hub/broker/connect-admission.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('ConnectAdmission', () => {
  it('hands accepted sockets on at most perTurn per turn, and reads none before', async () => {
    const total = 40;
    const batches: number[] = [];
    let batch = 0;
    const received: Buffer[] = [];
    let readBeforeServed = 0;
    const served = new Set<Socket>();
    let allReceived!: () => void;
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    const admission = new ConnectAdmission((socket) => {
      // A batch is what one admission turn serves: it ends with the turn's microtasks.
      if (batch === 0) queueMicrotask(() => (batches.push(batch), (batch = 0)));
      batch++;
      served.add(socket);
      socket.on('data', (chunk: Buffer) => received.push(chunk) === total && allReceived());
    }, 4);
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      socket.on('data', () => !served.has(socket) && readBeforeServed++);
      admission.add(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const clients = Array.from({ length: total }, () => connect(port, '127.0.0.1', function (this: Socket) {
      this.write('x');
    }));
    cleanups.push(() => {
      for (const c of clients) c.destroy();
      server.close();
    });
    await done;
    expect(batches.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...batches)).toBeLessThanOrEqual(4);
    expect(readBeforeServed).toBe(0);
    expect(admission.waiting).toBe(0);
  });
});
