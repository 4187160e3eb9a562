/**
 * One load-generator process. The coordinator forks several of these so that
 * the generator is not limited to one core or to one process's file
 * descriptors (ulimit -n 20000 here): each holds a share of the devices.
 */
import { performance } from 'node:perf_hooks';
import { LoadDevicePool } from '../simulators/load/device-pool.js';
import { driveAtRate } from '../simulators/load/rate-driver.js';
import type { FromWorker, ToWorker, WindowFigures } from './worker-protocol.js';

/** After the last publish, wait this long at most for outstanding PUBACKs. */
const DRAIN_MS = 5_000;

let pool: LoadDevicePool | undefined;

const send = (message: FromWorker) => process.send?.(message);

async function run(current: LoadDevicePool, message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const progress = setInterval(() => send({ type: 'progress', counters: { ...current.counters } }), 1_000);
  const c = current.counters;
  let start = { acked: 0, sent: 0, throttled: 0, at: performance.now() };
  const warm = setTimeout(() => (start = { acked: c.acked + c.alarmsAcked, sent: c.sent + c.alarmsSent, throttled: c.throttled, at: performance.now() }), message.warmupMs);
  const driven = await driveAtRate(current, { ...message.plan, durationMs: message.plan.durationMs + message.warmupMs });
  clearTimeout(warm);
  const window: WindowFigures = {
    acked: c.acked + c.alarmsAcked - start.acked,
    sent: c.sent + c.alarmsSent - start.sent,
    throttled: c.throttled - start.throttled,
    ms: performance.now() - start.at,
  };
  const deadline = performance.now() + DRAIN_MS;
  while (c.sent + c.alarmsSent > c.acked + c.alarmsAcked + c.failed && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(progress);
  send({
    type: 'ran',
    planned: driven.planned,
    offered: driven.offered,
    window,
    counters: { ...c },
    alarms: current.takeAlarms(),
    unackedAlarms: c.alarmsSent - c.alarmsAcked,
  });
}

process.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'connect':
      pool = new LoadDevicePool(message.devices, { endpoints: message.endpoints, qos: message.qos, maxInflight: message.maxInflight });
      void pool.connectAll(message.concurrency).then((r) => send({ type: 'connected', ...r }));
      return;
    case 'run':
      if (pool) void run(pool, message);
      return;
    case 'close':
      pool?.closeAll();
      pool = undefined;
      send({ type: 'closed' });
      return;
  }
});

// The coordinator going away (Ctrl-C, crash) must not leave thousands of sockets behind.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
