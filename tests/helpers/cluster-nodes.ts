/**
 * Hub nodes of one cluster, in-process, each on ports 0 with its own data
 * dir and journal, sharing Redis (HUB_REDIS_URL + a test prefix).
 *
 * The registry (homes, devices, users) is provisioned on the first node and
 * copied to the others' data dirs before they start, so every node knows the
 * same devices and the same admin. Not one shared database: the journal's
 * single-writer lock (issue 11) refuses a second hub on one PostgreSQL
 * database until partitions have their own writers (docs/CLUSTER.md).
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Keep } from './cleanup.js';
import type { RedisNamespace } from './redis-namespace.js';
import { makeTempDir } from './temp-dir.js';
import { startTestHub, type TestHub } from './test-hub.js';

export async function startClusterNodes<T>(
  keep: Keep,
  redis: RedisNamespace,
  names: string[],
  provision: (first: TestHub) => Promise<T>,
): Promise<{ nodes: TestHub[]; fixture: T }> {
  const env = (name: string) => ({ HUB_REDIS_URL: redis.url, HUB_REDIS_PREFIX: redis.prefix, HUB_NODE_ID: name });
  const [firstName, ...others] = names;
  if (!firstName) throw new Error('startClusterNodes: no node names');
  // Files, whatever HUB_TEST_STORE says: the registry is shared by copying its directory.
  const first = keep(await startTestHub({ env: env(firstName), store: 'files' }), (h) => h.stop());
  const fixture = await provision(first);
  const nodes = [first];
  for (const name of others) {
    const temp = keep(await makeTempDir(), (t) => t.remove());
    await cp(join(first.dataDir, 'registry'), join(temp.path, 'registry'), { recursive: true });
    nodes.push(keep(await startTestHub({ env: env(name), dataDir: temp.path, store: 'files' }), (h) => h.stop()));
  }
  return { nodes, fixture };
}
