/**
 * Baseline 1: bare Aedes in its own process, no hub logic — no
 * authentication, no ACL, no validation, no rules, no journal. A subscriber
 * inside the broker process (as the hub consumes messages, DESIGN.md §10)
 * counts every message and forwards alarms to a WebSocket. Same noDelay TCP
 * server as the hub, so the difference measured is the hub's own work.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { sosOf, startAlarmPush } from './alarm-push.js';

const push = await startAlarmPush();
const aedes = await Aedes.createBroker();
const onMessage = (packet: { topic: string; payload: Buffer | string }, done: () => void) => {
  push.countDelivered();
  const sos = sosOf(packet.topic, Buffer.from(packet.payload));
  if (sos) push.alarm(sos.deviceId, sos.seq);
  done();
};
await new Promise<void>((resolve) => aedes.subscribe('hc/v1/+/telemetry', onMessage, resolve));
await new Promise<void>((resolve) => aedes.subscribe('hc/v1/+/event', onMessage, resolve));

const server = createServer({ noDelay: true }, (socket) => aedes.handle(socket));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const port = (server.address() as { port: number }).port;
process.stdout.write(`MQTT broker listening on mqtt://127.0.0.1:${port}\nalarm push listening on ws://127.0.0.1:${push.port}\n`);

const shutdown = () => {
  push.close();
  server.close();
  aedes.close(() => process.exit(0));
  // Thousands of bench sockets may still be open: do not wait for them.
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
