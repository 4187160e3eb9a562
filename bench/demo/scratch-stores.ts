/**
 * The shared stores of `npm run demo -- --nodes N`: a fresh PostgreSQL
 * database on this machine's server and a fresh key prefix on its Redis,
 * both removed again by `remove()`. Both servers are asked first, before
 * anything is created, so a missing one costs one line and leaves nothing
 * behind.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const DEMO_PG_ADMIN_URL = process.env['HUB_DEMO_PG_ADMIN_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEMO_REDIS_URL = process.env['HUB_DEMO_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
/** A server that does not answer within this is reported as down, not waited for. */
const ANSWER_MS = 5_000;

export class StoreUnavailableError extends Error {}

export interface ScratchStores {
  /** The fresh database's name (hub_demo_<hex>), and its URL for HUB_DATABASE_URL. */
  databaseName: string;
  databaseUrl: string;
  redisUrl: string;
  /** HUB_REDIS_PREFIX: every key and channel of this demo's cluster starts with it. */
  redisPrefix: string;
  /** Drops the database (closing the nodes' sessions left in it) and deletes the Redis keys under the prefix. */
  remove(): Promise<void>;
}

/** host:port of a URL, never its user or password (these lines are printed). */
export function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}:${u.port || (u.protocol.startsWith('redis') ? '6379' : '5432')}`;
  } catch {
    return '(unparsable URL)';
  }
}

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: ANSWER_MS });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: ANSWER_MS, retryStrategy: () => null });
  // The socket's error (ECONNREFUSED…) says more than connect()'s own "Connection is closed.".
  let socketError: Error | undefined;
  redis.on('error', (err: Error) => (socketError ??= err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw socketError ?? err;
  }
  return redis;
}

/** Both servers answer, or a StoreUnavailableError whose message says which does not and how to start it. */
export async function checkServers(pgAdminUrl = DEMO_PG_ADMIN_URL, redisUrl = DEMO_REDIS_URL): Promise<void> {
  await withPg(pgAdminUrl, (c) => c.query('SELECT 1')).catch((err: Error) => {
    throw new StoreUnavailableError(
      `PostgreSQL at ${serverOf(pgAdminUrl)} does not answer (${err.message}): start it (e.g. \`sudo service postgresql start\`) or set HUB_DEMO_PG_ADMIN_URL to a server where this user may CREATE DATABASE`,
    );
  });
  const redis = await connectRedis(redisUrl).catch((err: Error) => {
    throw new StoreUnavailableError(`Redis at ${serverOf(redisUrl)} does not answer (${err.message}): start it (e.g. \`redis-server --daemonize yes\`) or set HUB_DEMO_REDIS_URL`);
  });
  redis.disconnect();
}

export async function createScratchStores(pgAdminUrl = DEMO_PG_ADMIN_URL, redisUrl = DEMO_REDIS_URL): Promise<ScratchStores> {
  await checkServers(pgAdminUrl, redisUrl);
  const suffix = randomBytes(6).toString('hex');
  const databaseName = `hub_demo_${suffix}`;
  await withPg(pgAdminUrl, (c) => c.query(`CREATE DATABASE ${databaseName}`));
  const databaseUrl = new URL(pgAdminUrl);
  databaseUrl.pathname = `/${databaseName}`;
  const redisPrefix = `hubdemo:${suffix}:`;
  return {
    databaseName,
    databaseUrl: databaseUrl.toString(),
    redisUrl,
    redisPrefix,
    async remove() {
      // FORCE: a node killed with -9 may leave a backend behind for a moment.
      await withPg(pgAdminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
      await deleteKeys(redisUrl, redisPrefix);
    },
  };
}

/** Every key under `prefix` (pub/sub channels leave none). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = await connectRedis(redisUrl);
  try {
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
      const keys = batch as string[];
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}
