/**
 * A fresh PostgreSQL database per test file on this machine's server
 * (127.0.0.1:5432, trust auth, user postgres — .ci/run starts it), created
 * with a random name and dropped afterwards, so test files never see each
 * other's rows and can run in parallel. Never pg-mem: the point is the real
 * server's transactions, constraints, triggers and dropped connections.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createPgDatabase, withAdmin } from './pg-server.js';

export { createPgDatabase } from './pg-server.js';

export interface PgTestDatabase {
  name: string;
  url: string;
  /** Runs SQL as the superuser on the test database (a separate connection from the hub's). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Runs SQL on the server's `postgres` database (ALTER DATABASE, pg_terminate_backend). */
  admin<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Ends every connection to the test database but the helper's own: what a restart does to the hub. */
  terminateBackends(): Promise<number>;
  /** Refuses (false) or allows (true) new connections to the test database. */
  allowConnections(allow: boolean): Promise<void>;
  /**
   * Empties the database for the next test: the journal's rows are
   * insert-only, so the whole schema goes (tables of later migrations too)
   * and the next hub or journal migrates it again.
   */
  resetSchema(): Promise<void>;
}

/** One database for the whole test file: created before the first test, dropped after the last. */
export function usePgDatabase(): PgTestDatabase {
  let created: Awaited<ReturnType<typeof createPgDatabase>> | undefined;
  let pool: pg.Pool | undefined;
  beforeAll(async () => {
    created = await createPgDatabase();
    pool = new pg.Pool({ connectionString: created.url, max: 2, application_name: 'hub-test-helper' });
    pool.on('error', () => undefined); // its idle connections may be terminated by a test
  });
  afterAll(async () => {
    await pool?.end();
    await created?.drop();
  });
  const need = () => {
    if (!created || !pool) throw new Error('usePgDatabase: used outside a test');
    return { created, pool };
  };
  const db: PgTestDatabase = {
    get name() {
      return need().created.name;
    },
    get url() {
      return need().created.url;
    },
    query: (text, values) => need().pool.query(text, values),
    admin: (text, values) => withAdmin((c) => c.query(text, values)),
    async terminateBackends() {
      const { rows } = await db.admin<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name <> 'hub-test-helper' AND pid <> pg_backend_pid()`,
        [need().created.name],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async allowConnections(allow) {
      await db.admin(`ALTER DATABASE ${need().created.name} ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
    },
    async resetSchema() {
      await db.query('DROP SCHEMA public CASCADE');
      await db.query('CREATE SCHEMA public');
    },
  };
  return db;
}
