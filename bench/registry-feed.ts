/**
 * What the registry change feed costs (issue 12, docs/CLUSTER.md "Registry
 * change feed"): two Registry instances on one fresh database, as two nodes.
 *   npx tsx bench/registry-feed.ts [homes]
 * - a single change: from the writer's commit to the other node having it in memory;
 * - a bulk install of N homes with a device each: write time, and how long after
 *   the commit the other node has every device (the notices are split under 8000 bytes);
 * - a full reload (what follows a lost feed connection): its duration and the
 *   longest the event loop was held meanwhile (the broker shares that thread).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from '../hub/registry/registry.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgRegistryStore } from '../hub/storage/postgres/registry-pg.js';
import { createPgDatabase, withClient } from '../tests/helpers/pg-server.js';

const HOMES = Number(process.argv[2] ?? 10_000);
const resident = { name: 'Bench', birthYear: 1941, conditions: [], contacts: [], specialHardship: false };
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Resolves once `registry` has been told of changes for which `count` returns a total of `wanted`. */
function told(registry: Registry, wanted: number, count: (changes: Parameters<Parameters<Registry['onExternalChange']>[0]>[0]) => number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const off = registry.onExternalChange((changes) => {
      seen += count(changes);
      if (seen >= wanted) {
        off();
        resolve();
      }
    });
  });
}

async function singleChanges(a: Registry, b: Registry, deviceId: string): Promise<void> {
  const latencies: number[] = [];
  for (let i = 1; i <= 300; i++) {
    const seen = told(b, 1, (changes) => changes.filter((c) => c.kind === 'devices' && c.after.heartbeatSec === i).length);
    await a.updateDevice(deviceId, (d) => ({ ...d, heartbeatSec: i }));
    const committed = performance.now();
    await seen;
    latencies.push(performance.now() - committed);
  }
  latencies.sort((x, y) => x - y);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  console.log(`single change, commit on A → in B's memory: p50 ${ms(at(0.5))}, p95 ${ms(at(0.95))}, max ${ms(at(1))} (300 changes)`);
}

async function bulkInstall(a: Registry, b: Registry): Promise<void> {
  const all = told(b, HOMES, (changes) => changes.filter((c) => c.kind === 'devices').length);
  const start = performance.now();
  await a.createHomes(Array.from({ length: HOMES }, (_, i) => ({ name: `H${i}`, address: 'x', resident, devices: [{ kind: 'smoke_sensor', serial: `S${i}` }] })));
  const committed = performance.now();
  await all;
  console.log(`bulk install of ${HOMES} homes + devices: written in ${ms(committed - start)}, every device in B's memory ${ms(performance.now() - committed)} after the commit`);
}

async function fullReload(store: PgRegistryStore, url: string): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The same path as after a lost connection: a `reload` notice makes the feed read everything.
  const start = performance.now();
  await withClient(url, (c) => c.query(`NOTIFY registry_changed, 'reload'`));
  // A bench may poll: it measures how long the reload took, it does not wait for an outcome.
  while (store.changeFeed.upToDate && performance.now() - start < 1_000) await new Promise((r) => setTimeout(r, 1));
  while (!store.changeFeed.upToDate) await new Promise((r) => setTimeout(r, 1));
  delay.disable();
  console.log(`full reload (${HOMES * 3} records): ${ms(performance.now() - start)}, event loop held at most ${ms(delay.max / 1e6)}`);
}

const database = await createPgDatabase('feed_bench');
try {
  const stores = [0, 1].map(() => new PgRegistryStore(new PgDatabase({ url: database.url })));
  const [a, b] = stores.map((store) => new Registry(store)) as [Registry, Registry];
  await a.start();
  await b.start();
  const { home } = await a.createHome({ name: 'H', address: 'x', resident });
  const arrived = told(b, 1, (changes) => changes.filter((c) => c.kind === 'devices').length);
  const { device } = await a.addDevice(home.id, 'bracelet', 'B1');
  await arrived;
  await singleChanges(a, b, device.id);
  await bulkInstall(a, b);
  await a.stop(); // B alone reloads: the figures are one node's
  await fullReload(stores[1]!, database.url);
  await b.stop();
} finally {
  await database.drop();
}
