/**
 * A fresh corner of this machine's Redis (127.0.0.1:6379 — .ci/run starts
 * it) per test file: a unique prefix for keys AND pub/sub channels (Redis
 * pub/sub ignores the database index, so only a prefix keeps two clusters
 * under test apart), deleted after the file's last test.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

export const TEST_REDIS_URL = process.env['HUB_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';

export interface RedisNamespace {
  url: string;
  prefix: string;
  /** Keys under the prefix right now (to show what a test left in Redis). */
  keys(): Promise<string[]>;
}

export function useRedisNamespace(): RedisNamespace {
  const prefix = `hubtest:${process.pid}:${randomBytes(4).toString('hex')}:`;
  let redis: Redis | undefined;
  const need = () => {
    if (!redis) throw new Error('useRedisNamespace: used outside a test');
    return redis;
  };
  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect().catch((err: Error) => {
      throw new Error(`Redis at ${TEST_REDIS_URL} does not answer (${err.message}); .ci/run starts it`);
    });
  });
  afterAll(async () => {
    const keys = await scan(need(), prefix);
    if (keys.length > 0) await need().del(...keys);
    await redis?.quit();
  });
  return { url: TEST_REDIS_URL, prefix, keys: () => scan(need(), prefix) };
}

async function scan(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) found.push(...(batch as string[]));
  return found;
}
