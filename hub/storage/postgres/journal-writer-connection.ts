/**
 * The one connection that writes the journal, holding the journal's
 * session-level advisory lock for as long as it lives (issue 11 follow-up;
 * the fencing the cluster issue builds on).
 *
 * Why a lock, and why on the writing connection itself: when a hub is killed
 * with SIGKILL while a batch INSERT is in flight, its server backend does not
 * notice the dead client until it has run the statement to the end and tries
 * to answer — so it COMMITS after the client died. A hub restarted at once
 * could replay the journal before those rows land, carry on with the same n,
 * and collide with them. The backend that runs the INSERT is the one holding
 * the lock, so the lock is released only when that backend is gone, i.e.
 * after its last commit: the new hub's open() waits for exactly that.
 *
 * The same lock refuses a second hub writing the same database's journal:
 * its open() waits `lockWaitMs`, then stops with one line naming the holder.
 * After a lost connection the writer reconnects and takes the lock again
 * (waiting the same way); if someone else took it meanwhile, writing stops
 * for good — their rows, not ours, continue the chain.
 */
import type { Client, QueryResult, QueryResultRow } from 'pg';
import { StartupError } from '../../core/data-dir.js';
import type { PgDatabase } from './database.js';
import { isConnectionError } from './errors.js';
import type { Queryable } from './journal-sql.js';

/** pg_advisory_lock(int, int) key: 'HUB!' and the journal's number (the cluster's partitions take others). */
export const JOURNAL_LOCK: readonly [number, number] = [0x48554221, 1];

/**
 * The lock is held by another session: not a connection problem, retrying the
 * batch cannot help. At start it stops the hub with its one line.
 */
export class JournalLockedError extends StartupError {}

export interface WriterConnectionOptions {
  db: PgDatabase;
  /** How long to wait for the lock (a killed hub's backend finishing; a second hub refused after it). */
  lockWaitMs?: number;
  /** Told once per wait, with the holder's description, when the lock is not free at once. */
  onWaiting?: (holder: string) => void;
}

const POLL_MS = 100;

export class JournalWriterConnection implements Queryable {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private ended = false;

  constructor(private readonly options: WriterConnectionOptions) {}

  /** Connects and takes the lock; rejects with JournalLockedError when it stays held. */
  async open(): Promise<void> {
    await this.connected();
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    const client = await this.connected();
    try {
      const result = await client.query<R>(text, values);
      this.options.db.noteAnswered();
      return result;
    } catch (err) {
      if (isConnectionError(err)) this.drop(client, err);
      throw err;
    }
  }

  /** Ends the connection, which releases the lock. */
  async end(): Promise<void> {
    this.ended = true;
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connected(): Promise<Client> {
    if (this.ended) return Promise.reject(new Error('journal writer connection already ended'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connectAndLock().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connectAndLock(): Promise<Client> {
    const { db } = this.options;
    const client = await db.connectDedicated(`home-care-hub journal writer (pid ${process.pid})`);
    // A connection the server ends while idle is reported here; without a listener pg would throw.
    client.on('error', (err) => this.drop(client, err));
    try {
      await this.lock(client);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.ended) {
      await client.end().catch(() => undefined);
      throw new Error('journal writer connection ended while connecting');
    }
    this.client = client;
    return client;
  }

  private async lock(client: Client): Promise<void> {
    const deadline = Date.now() + (this.options.lockWaitMs ?? 30_000);
    let told = false;
    for (;;) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [...JOURNAL_LOCK]);
      if (rows[0]?.locked) return;
      // Who holds it is looked up only to say so: once when the wait starts, once when it ends.
      const givingUp = Date.now() >= deadline;
      if (givingUp || !told) {
        const holder = await describeHolder(client);
        if (givingUp) {
          throw new JournalLockedError(
            `the journal in ${this.options.db.description} is being written by another process (${holder}); stop that hub (or let its last write finish), or give this hub a database of its own in HUB_DATABASE_URL`,
          );
        }
        this.options.onWaiting?.(holder);
        told = true;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  private drop(client: Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.options.db.noteConnectionError(err);
    client.end().catch(() => undefined);
  }
}

/** Who holds the journal lock, for the waiting and refusal messages. */
async function describeHolder(client: Client): Promise<string> {
  const { rows } = await client.query<{ pid: number; application_name: string; client_addr: string | null }>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 AND l.granted`,
    [...JOURNAL_LOCK],
  );
  const r = rows[0];
  if (!r) return 'a session that has just ended';
  return `server backend ${r.pid}, "${r.application_name}"${r.client_addr ? ` from ${r.client_addr}` : ''}`;
}
