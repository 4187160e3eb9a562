/**
 * The uplink stream's own CPU cost, without a hub around it
 * (docs/PERFORMANCE.md "the uplink stream, one entry per turn"). The cluster
 * bench (`--nodes 2`) measures the same path among all else two nodes do, and
 * on this shared 2-core machine a difference of a few points of a core is
 * near its noise; this measures only the path, against this machine's Redis:
 *
 * - this process publishes `--rate` messages a second through
 *   UplinkPublisher, in 1 ms ticks (as the C generator sends), each message
 *   from its own callback, as a standby's broker hands over each device's
 *   message from that device's socket;
 * - a child process reads them through UplinkSubscriber, as a leader does;
 * - each prints its CPU time (user + system) per message over `--seconds`,
 *   after 2 s of warm-up.
 *
 * `--null` publishes nothing: the publisher's figure is then the harness
 * alone (building payloads, the ticks), to subtract. `--module DIR` takes
 * hub/cluster/uplink-bus.ts from another checkout (a worktree of an older
 * commit) to compare; its publisher and subscriber must have this API.
 *
 *   npx tsx bench/uplink-path.ts --rate 5000 --seconds 8 [--module /path/to/checkout] [--null]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { ForwardedMessage } from '../hub/cluster/uplink-bus.js';
import { silentLogger } from '../hub/core/logger.js';
import { REPO_ROOT } from './child.js';

const REDIS_URL = process.env.HUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const WARMUP_MS = 2_000;

interface Publisher {
  publish(message: ForwardedMessage): void;
  close(): Promise<void>;
}
interface Subscriber {
  close(): Promise<void>;
}
interface UplinkModule {
  UplinkPublisher: { open(settings: object): Promise<Publisher> };
  UplinkSubscriber: { open(settings: object, onMessage: (message: ForwardedMessage) => void): Promise<Subscriber> };
}

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '8' },
    module: { type: 'string', default: REPO_ROOT },
    null: { type: 'boolean', default: false },
    // Internal: the child's role and the stream's prefix.
    subscriber: { type: 'string' },
  },
});

const loadModule = async (): Promise<UplinkModule> => (await import(resolve(values.module, 'hub/cluster/uplink-bus.ts'))) as UplinkModule;
const settings = (prefix: string, nodeId: string) => ({ redisUrl: REDIS_URL, redisPrefix: prefix, nodeId, log: silentLogger() });
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1_000;

/** The child: reads, counts, and on 'start'/'stop' from the parent measures its CPU between the two. */
async function runSubscriber(prefix: string): Promise<void> {
  const mod = await loadModule();
  let received = 0;
  const subscriber = await mod.UplinkSubscriber.open(settings(prefix, 'bench-leader'), () => received++);
  let from = { cpu: process.cpuUsage(), received: 0 };
  process.on('message', (message) => {
    if (message === 'start') from = { cpu: process.cpuUsage(), received };
    if (message !== 'stop') return;
    const messages = received - from.received;
    process.send?.({ messages, cpuMs: cpuMs(process.cpuUsage(from.cpu)) }, () => void subscriber.close().then(() => process.exit(0)));
  });
  process.send?.('ready');
}

/** 1 ms ticks of `rate / 1000` messages, each from its own setImmediate callback; returns a stop function and a count. */
function publishInTicks(publisher: Publisher, rate: number): { stop: () => void; sent: () => number } {
  let sent = 0;
  const one = () => {
    const payload = Buffer.from(`{"seq":${sent},"ts":${Date.now()},"heartRate":${70 + (sent % 15)},"battery":90}`);
    publisher.publish({ kind: 'uplink', node: 'bench-standby', deviceId: `BENCH-${sent % 2_000}`, channel: 'telemetry', payload, receivedAt: Date.now() });
    sent++;
  };
  const timer = setInterval(() => {
    for (let k = 0; k < rate / 1_000; k++) setImmediate(one);
  }, 1);
  return { stop: () => clearInterval(timer), sent: () => sent };
}

async function runPublisher(): Promise<void> {
  const prefix = `bench:uplink-path:${randomBytes(4).toString('hex')}:`;
  const child = fork(fileURLToPath(import.meta.url), ['--subscriber', prefix, '--module', values.module], { execArgv: ['--import', 'tsx'] });
  const reply = () => new Promise<unknown>((done) => child.once('message', done));
  await reply(); // ready: the group exists before the first entry
  const mod = await loadModule();
  const publisher = await mod.UplinkPublisher.open(settings(prefix, 'bench-standby'));
  const noop: Publisher = { publish: () => undefined, close: async () => undefined };
  const ticks = publishInTicks(values.null ? noop : publisher, Number(values.rate));
  await new Promise((done) => setTimeout(done, WARMUP_MS));
  child.send('start');
  const from = { cpu: process.cpuUsage(), sent: ticks.sent() };
  await new Promise((done) => setTimeout(done, Number(values.seconds) * 1_000));
  const pub = { messages: ticks.sent() - from.sent, cpuMs: cpuMs(process.cpuUsage(from.cpu)) };
  ticks.stop();
  const stopped = reply();
  child.send('stop');
  const sub = (await stopped) as { messages: number; cpuMs: number };
  await publisher.close();
  await deleteKeys(prefix);
  const perMessage = (side: { messages: number; cpuMs: number }) => (side.messages > 0 ? Number(((side.cpuMs * 1_000) / side.messages).toFixed(1)) : null);
  console.log(JSON.stringify({ module: values.module, null: values.null, ratePerS: Math.round(pub.messages / Number(values.seconds)), publisherUsPerMessage: perMessage(pub), subscriberUsPerMessage: perMessage(sub), received: sub.messages }));
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

await (values.subscriber ? runSubscriber(values.subscriber) : runPublisher());
