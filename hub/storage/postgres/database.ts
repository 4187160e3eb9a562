/**
 * One PostgreSQL database shared by the registry and journal adapters
 * (HUB_DATABASE_URL, issue 11): the connection pool, the schema migrations
 * run once at start, and whether the database answers — what /health shows.
 *
 * `pg` and node-pg-migrate are loaded only here and only when a database is
 * configured (dynamic import), so `npm start` on files pays nothing for them.
 * Every connection runs with `synchronous_commit = on`, set explicitly as a
 * startup option: a COMMIT that returned is on the server's disk, which is
 * what "durable before PUBACK" means on this store (DESIGN.md §8).
 */
import type { Client, Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { StartupError } from '../../core/data-dir.js';
import type { Logger } from '../../core/logger.js';
import { isConnectionError } from './errors.js';
import { runMigrations } from './migrate.js';

export interface PgDatabaseOptions {
  url: string;
  log?: Logger | undefined;
  /** Connections in the pool (journal writer, message look-ups, registry writes, health probe). */
  poolSize?: number;
  /** How often the database is probed while it answers, and while it does not. */
  probeEveryMs?: { healthy: number; unhealthy: number };
}

/** `PostgreSQL database <name> on <host>:<port>`: names the database without its password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const name = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default)';
    return `PostgreSQL database ${name} on ${u.hostname || 'localhost'}:${u.port || '5432'}`;
  } catch {
    return 'PostgreSQL database (unparsable HUB_DATABASE_URL)';
  }
}

export class PgDatabase {
  readonly description: string;
  private pool: Pool | undefined;
  private readying: Promise<void> | undefined;
  private users = 0;
  private connectionError: string | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Only assigns: nothing connects before `ready()`. */
  constructor(private readonly options: PgDatabaseOptions) {
    this.description = describeDatabaseUrl(options.url);
  }

  /** False while the database does not answer; `lastError` says why, naming the database. */
  get healthy(): boolean {
    return this.connectionError === undefined;
  }
  get lastError(): string | undefined {
    return this.connectionError;
  }

  /** A store starts using the database; the pool ends when the last one releases it. */
  acquire(): void {
    this.users += 1;
  }

  async release(): Promise<void> {
    this.users -= 1;
    if (this.users > 0) return;
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.pool?.end();
  }

  /**
   * Connects and brings the schema up to date, once for all stores. A database
   * that cannot be reached, or is newer than this code, stops the start with
   * one line (StartupError) naming HUB_DATABASE_URL and the cause.
   */
  ready(): Promise<void> {
    this.readying ??= this.connectAndMigrate();
    return this.readying;
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    const pool = this.pool;
    if (!pool) throw new Error(`${this.description}: query before ready()`);
    try {
      const result = await pool.query<R>(text, values);
      this.markUp();
      return result;
    } catch (err) {
      if (isConnectionError(err)) this.markDown(err);
      throw err;
    }
  }

  /** Runs `fn` between BEGIN and COMMIT on one connection; ROLLBACK if it throws. */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (!pool) throw new Error(`${this.description}: transaction before ready()`);
    let client: PoolClient | undefined;
    let broken: Error | undefined;
    try {
      client = await pool.connect();
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      this.markUp();
      return result;
    } catch (err) {
      if (isConnectionError(err)) {
        this.markDown(err);
        broken = err as Error; // a connection that failed is not given back to the pool
      } else {
        await client?.query('ROLLBACK').catch(() => undefined);
      }
      throw err;
    } finally {
      client?.release(broken);
    }
  }

  /**
   * A connection of its own, outside the pool, for work that must stay on one
   * server session: the journal writer holds its advisory lock there
   * (journal-writer-connection.ts). Same settings as the pool's connections.
   * The caller owns it and must handle its 'error' event and end() it.
   */
  async connectDedicated(applicationName: string): Promise<Client> {
    if (!this.pool) throw new Error(`${this.description}: connectDedicated before ready()`);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ ...this.connectionSettings(), application_name: applicationName });
    try {
      await client.connect();
    } catch (err) {
      if (isConnectionError(err)) this.markDown(err);
      throw err;
    }
    return client;
  }

  /** What a dedicated connection saw: it feeds the same health flag as the pool. */
  noteConnectionError(err: unknown): void {
    if (isConnectionError(err)) this.markDown(err);
  }
  noteAnswered(): void {
    this.markUp();
  }

  private connectionSettings() {
    return {
      connectionString: this.options.url,
      application_name: 'home-care-hub',
      options: '-c synchronous_commit=on',
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    };
  }

  private async connectAndMigrate(): Promise<void> {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ ...this.connectionSettings(), max: this.options.poolSize ?? 6 });
    // An idle connection that the server closes (restart, pg_terminate_backend) is reported here;
    // without a listener node-postgres would crash the process.
    pool.on('error', (err) => this.markDown(err));
    this.pool = pool;
    const client = await pool.connect().catch((err: Error) => {
      throw new StartupError(
        `cannot connect to HUB_DATABASE_URL (${this.description}): ${err.message || (err as NodeJS.ErrnoException).code}; ` +
          'start the database server, or correct the host, port, user, password or database name in the URL',
      );
    });
    try {
      await runMigrations(client, this.description, this.options.log);
    } finally {
      client.release();
    }
    this.scheduleProbe();
  }

  private markDown(err: unknown): void {
    const wasUp = this.connectionError === undefined;
    const e = err as NodeJS.ErrnoException;
    this.connectionError = `${this.description} unreachable: ${e.message || e.code || String(err)}`;
    if (wasUp) {
      this.options.log?.error({ err: e.message }, `DATABASE LOST: ${this.connectionError}; alarms get no PUBACK until it is back`);
      this.scheduleProbe();
    }
  }

  private markUp(): void {
    if (this.connectionError === undefined) return;
    this.connectionError = undefined;
    this.options.log?.warn(`${this.description} answers again`);
    this.scheduleProbe();
  }

  /**
   * A lost database must show on /health even when no alarm is being written,
   * and its return must clear it without one: a cheap `SELECT 1` every few
   * seconds (more often while it is down). The timer never holds the process open.
   */
  private scheduleProbe(): void {
    clearTimeout(this.probeTimer);
    if (this.closed) return;
    const every = this.options.probeEveryMs ?? { healthy: 5_000, unhealthy: 500 };
    this.probeTimer = setTimeout(() => {
      this.query('SELECT 1').then(
        () => this.scheduleProbe(),
        () => this.scheduleProbe(),
      );
    }, this.healthy ? every.healthy : every.unhealthy);
    this.probeTimer.unref();
  }
}
