/**
 * What every cluster test file sets up the same way (issue 12's tests): each
 * test gets a fresh PostgreSQL database, dropped after its nodes (cleanup runs
 * last-kept first, and the database is kept before any node), the file gets a
 * Redis namespace of its own, and nodes run with a short leader lease so a
 * failover does not wait the production 10 s.
 */
import { beforeEach } from 'vitest';
import { useCleanup, type Keep } from './cleanup.js';
import type { ClusterOptions } from './cluster-processes.js';
import { createPgDatabase } from './pg-server.js';
import { useRedisNamespace, type RedisNamespace } from './redis-namespace.js';

export interface ClusterTestbed {
  keep: Keep;
  redis: RedisNamespace;
  /** This test's database (set before each test). */
  readonly databaseUrl: string;
  /** Options for startClusterProcess/startCluster: this test's database, the namespace, the lease, and `env`. */
  options(env?: Record<string, string>): ClusterOptions;
}

export function useClusterTestbed(databasePrefix: string, leaseMs: number): ClusterTestbed {
  const keep = useCleanup();
  const redis = useRedisNamespace();
  let databaseUrl = '';
  beforeEach(async () => {
    databaseUrl = keep(await createPgDatabase(databasePrefix), (db) => db.drop()).url;
  });
  return {
    keep,
    redis,
    get databaseUrl() {
      return databaseUrl;
    },
    options: (env = {}) => ({ keep, databaseUrl, redis, env: { HUB_LEADER_LEASE_MS: String(leaseMs), ...env } }),
  };
}
