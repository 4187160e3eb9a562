/**
 * What forwarding an alarm to the leader costs the follower before its PUBACK
 * (docs/CLUSTER.md "Forwarding to the leader"): the UplinkForwarder storing
 * alarms in a fresh PostgreSQL database (synchronous_commit on), no broker.
 * One device sending one alarm after another (latency: one group commit), and
 * 1,000 alarms from 100 devices at once (throughput: group commit batches).
 *
 *   npx tsx bench/forwarding.ts      (PostgreSQL on 127.0.0.1:5432, as the tests)
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { UplinkForwarder } from '../hub/cluster/uplink-forwarder.js';
import { silentLogger } from '../hub/core/logger.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgInboundAlarms } from '../hub/storage/postgres/inbound-alarms-pg.js';
import { createPgDatabase } from '../tests/helpers/pg-server.js';

const sos = (seq: number) => Buffer.from(JSON.stringify({ type: 'sos', seq, ts: seq }));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

const created = await createPgDatabase('hub_bench_fwd');
const store = new PgInboundAlarms(new PgDatabase({ url: created.url }));
try {
  const forwarder = new UplinkForwarder({ store, publisher: { publish() {} }, nodeId: 'bench', maxPayloadBytes: 16 * 1024, log: silentLogger() });
  await forwarder.handle('warm-up', 'event', sos(0)); // migrations, first connection
  const times: number[] = [];
  for (let seq = 1; seq <= 300; seq++) {
    const started = performance.now();
    await forwarder.handle('one-device', 'event', sos(seq));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const started = performance.now();
  await Promise.all(Array.from({ length: 1_000 }, (_, i) => forwarder.handle(`device-${i % 100}`, 'event', sos(i))));
  const perSecond = 1_000 / ((performance.now() - started) / 1_000);
  console.log(`one device, 300 alarms in a row: p50 ${percentile(times, 0.5).toFixed(1)} ms, p99 ${percentile(times, 0.99).toFixed(1)} ms`);
  console.log(`100 devices, 1,000 alarms at once: ${Math.round(perSecond)} alarms/s stored`);
  console.log(`load average ${loadavg()[0]!.toFixed(1)}`);
} finally {
  await store.close();
  await created.drop();
}
