/**
 * The one connection that writes the journal, holding the journal's
 * session-level advisory lock for as long as it lives: leadership in a
 * cluster, and the fencing of a dead or frozen leader (issue 12,
 * docs/CLUSTER.md "Leadership and fencing").
 *
 * Why a lock, and why on the writing connection itself: when a hub is killed
 * with SIGKILL while a batch INSERT is in flight, its server backend does not
 * notice the dead client until it has run the statement to the end and tries
 * to answer — so it COMMITS after the client died. A hub restarted at once
 * could replay the journal before those rows land, carry on with the same n,
 * and collide with them. The backend that runs the INSERT is the one holding
 * the lock, so the lock is released only when that backend is gone, i.e.
 * after its last commit: the new hub's open() waits for exactly that. A
 * frozen leader's backend is ended by the server after a lease of idleness
 * (writer-lease.ts), so that wait is bounded too.
 *
 * Right after taking the lock, in the lock's session, the writer starts a new
 * epoch in `cluster_leader` (cluster-leader.ts) and takes every home
 * partition's lease (partition-leases.ts), which it renews every fifth of the
 * lease. Every journal batch is fenced by those leases (journal-sql.ts).
 *
 * Two modes:
 * - a hub alone (default): open() waits `lockWaitMs`, then stops with one
 *   line naming the holder. After a lost connection the writer reconnects and
 *   takes the lock again (waiting the same way) — only if the epoch is still
 *   its own: if anyone else led meanwhile, their rows continue the chain, not
 *   ours, and leadership is lost for good.
 * - a cluster node (`waitForLeadership`): open() waits for the lock without
 *   limit (a standby), telling `onWaiting` who leads whenever that changes.
 *   Once leading, a lost session is lost leadership at once: the lock went
 *   with it and a standby may already lead. The node exits and its
 *   supervisor restarts it as a standby.
 */
import { hostname } from 'node:os';
import type { Client, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { claimLeadership, type LeaderIdentity, type LeaderRecord } from './cluster-leader.js';
import type { PgDatabase } from './database.js';
import { isConnectionError } from './errors.js';
import type { PreparingQueryable, Queryable } from './journal-sql.js';
import { applyLease, checkLeaseMs, DEFAULT_LEASE_MS, KeepAlive } from './writer-lease.js';
import { type HeldPartitions, renewPartitions, takeAllPartitions, takeHomelessPartition } from './partition-leases.js';
import { confirmEpoch, waitForJournalLock } from './journal-lock-wait.js';
import { LeadershipLostError } from './journal-writer-errors.js';

export { JOURNAL_LOCK } from './cluster-leader.js';
export { JournalLockedError, LeadershipLostError } from './journal-writer-errors.js';

export interface WriterConnectionOptions {
  db: PgDatabase;
  /** How long to wait for the lock (a killed hub's backend finishing; a second hub refused after it). */
  lockWaitMs?: number;
  /** A cluster node: open() waits for the lock without limit, and a lost session is lost leadership (module comment). */
  waitForLeadership?: boolean;
  /** The server ends the writer session after this long idle (writer-lease.ts); default 10 s. */
  leaseMs?: number;
  /** Written into cluster_leader when this process becomes leader; default: host name and pid. */
  identity?: () => LeaderIdentity;
  /** Told when the lock is not free at once, and again whenever another leader takes over during the wait. */
  onWaiting?: (holder: string, leader: LeaderRecord) => void;
  /** Told once, when this process stops being the leader. */
  onLeadershipLost?: (err: LeadershipLostError) => void;
  /**
   * A node owning a share of the home partitions (issue 12 step 3,
   * docs/CLUSTER.md "Owners' writers"): its leases are the lease balancer's
   * (partition-owner.ts), read afresh for each batch's fence, and this
   * connection takes no lock and no lease. A dropped session is then just
   * reconnected: what keeps a dead or frozen owner's late commit from
   * overtaking the next owner is the fence's `FOR SHARE` on the lease rows,
   * which the next owner's take waits for.
   */
  homeLeases?: () => HeldPartitions;
  /**
   * The leader of a cluster whose home partitions are spread (owner-leases.ts):
   * with the lock it takes only the home-less partition's lease (-1), and
   * writes nothing itself (the journal's own connection does).
   */
  homelessOnly?: boolean;
}

/** Longest pause between a standby's attempts to reconnect while the database is unreachable. */
const STANDBY_RETRY_MAX_MS = 5_000;

export class JournalWriterConnection implements PreparingQueryable {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private ended = false;
  /** The epoch this process leads under; set once the lock was first taken. */
  private leading: LeaderRecord | undefined;
  private lost: LeadershipLostError | undefined;
  private running = 0;
  private lastDoneAt = Date.now();
  /** While statements run: when the session last showed life (the first was sent, or one was answered). */
  private waitingSince: number | undefined;
  private readonly leaseMs: number;
  private readonly keepAlive: KeepAlive;
  /** The partitions' leases taken with the lock: what every batch is fenced by. */
  private held: HeldPartitions | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  /** When the last take or renewal of every lease was sent (before the server's now(): never later than it). */
  private renewedAt: number | undefined;

  /** Only checks and assigns: nothing connects before open(). */
  constructor(private readonly options: WriterConnectionOptions) {
    this.leaseMs = checkLeaseMs(options.leaseMs ?? DEFAULT_LEASE_MS);
    this.keepAlive = new KeepAlive({
      leaseMs: this.leaseMs,
      idleFor: () => (this.running > 0 ? undefined : Date.now() - this.lastDoneAt),
      unansweredFor: () => this.unansweredFor(),
      ping: () => this.query('SELECT 1'),
      onNoAnswer: () => {
        // A timed-out connection (ETIMEDOUT): the database counts as unreachable until something answers again.
        const err = Object.assign(new Error(`the writer session did not answer within the lease (${this.leaseMs} ms)`), { code: 'ETIMEDOUT' });
        if (this.client) this.drop(this.client, err);
      },
    });
  }

  /** The leader record this process wrote when it took the lock; undefined before. */
  get leader(): LeaderRecord | undefined {
    return this.leading;
  }
  /** The partitions' leases this writer holds, once it has the lock. */
  get partitions(): HeldPartitions | undefined {
    return this.options.homeLeases?.() ?? this.held;
  }

  /**
   * Milliseconds until this writer's leases run out unless renewed again
   * (/metrics: a value that keeps falling means renewals are late). Undefined
   * while it holds none.
   */
  get leaseLeftMs(): number | undefined {
    if (!this.held || this.renewedAt === undefined || this.lost) return undefined;
    return this.renewedAt + this.leaseMs - Date.now();
  }

  /** Connects (again) if need be: a hub alone that reconnects renews or takes its leases on the way (connectAndLock). */
  async ensureConnected(): Promise<void> {
    await this.connected();
  }

  /**
   * A hub alone whose leases ran out (its renewals were late, or a batch found
   * one expired): it holds the lock, so it is still the only writer, and takes
   * them all again under new epochs. Never for a cluster node: there another
   * node may lead by now.
   */
  async retakePartitions(): Promise<void> {
    if (this.options.waitForLeadership || !this.held) throw new Error('only a hub alone takes its partitions again');
    await this.takeAll(this, this.held.owner);
  }

  /** Every lease under a new epoch; `renewedAt` is when it was asked for (never later than the server's now()). */
  private async takeAll(session: Queryable, owner: string): Promise<void> {
    const sentAt = Date.now();
    this.held = await (this.options.homelessOnly ? takeHomelessPartition : takeAllPartitions)(session, owner, this.leaseMs);
    this.renewedAt = sentAt;
  }

  /** Set once leadership is lost: why. */
  get leadershipLost(): LeadershipLostError | undefined {
    return this.lost;
  }

  /**
   * Set while a statement has waited longer than a fifth of the lease for any
   * answer (a live session answers in milliseconds; pings go out at that
   * interval): alarms are waiting for their PUBACK, and /health says why
   * before the lease runs out and the session is dropped.
   */
  get silence(): string | undefined {
    const ms = this.unansweredFor();
    if (ms <= this.leaseMs / 5) return undefined;
    return `${this.options.db.description} has not answered the journal writer for ${(ms / 1000).toFixed(1)} s`;
  }

  private unansweredFor(): number {
    return this.waitingSince === undefined ? 0 : Date.now() - this.waitingSince;
  }

  /**
   * Connects and takes the lock; rejects with JournalLockedError when it stays
   * held. A standby (waitForLeadership) waits without limit instead, and a
   * connection lost while it waits (a database restart) is made again: a
   * standby is there to outlast such things. end() stops the wait.
   */
  async open(): Promise<LeaderRecord | undefined> {
    for (let delay = 250; ; delay = Math.min(STANDBY_RETRY_MAX_MS, delay * 2)) {
      try {
        await this.connected();
        break;
      } catch (err) {
        if (!this.options.waitForLeadership || this.ended || !isConnectionError(err)) throw err;
        this.options.db.noteConnectionError(err);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    this.keepAlive.start();
    if (this.options.homeLeases) return undefined;
    this.renewTimer ??= setInterval(() => void this.renewLeases(), this.leaseMs / 5);
    // Never what keeps the process alive: a hub that is stopping ends its journal itself.
    this.renewTimer.unref();
    return this.leading!;
  }

  /**
   * Renews every partition's lease. A lease that ran out or moved means this
   * process may no longer write those partitions: a cluster node loses its
   * leadership (a standby takes over); a hub alone, which still holds the
   * lock and so is still the only writer, takes them again under new epochs.
   * A connection error is left to the connection's own handling.
   */
  private async renewLeases(): Promise<void> {
    const held = this.held;
    if (this.renewing || !held || this.lost || this.ended) return;
    this.renewing = true;
    try {
      const sentAt = Date.now();
      const missed = await renewPartitions(this, held, this.leaseMs);
      if (missed.length === 0 && this.held === held) this.renewedAt = sentAt;
      if (missed.length === 0 || this.held !== held) return;
      if (this.options.waitForLeadership) {
        const which = missed.length === held.size ? 'every partition' : `partition${missed.length > 1 ? 's' : ''} ${missed.join(', ')}`;
        this.loseLeadership(new LeadershipLostError(`the lease of ${which} ran out or moved before it was renewed: a standby may lead by now`));
      } else {
        await this.retakePartitions();
      }
    } catch {
      // Unreachable database: the keep-alive and the next statement's error deal with the connection.
    } finally {
      this.renewing = false;
    }
  }

  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    return this.run<R>({ text, values });
  }

  /** A statement kept prepared under `name` for the session's life (pg prepares it again on a new connection). */
  queryPrepared<R extends QueryResultRow = QueryResultRow>(name: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
    return this.run<R>({ name, text, values });
  }

  private async run<R extends QueryResultRow>(statement: QueryConfig): Promise<QueryResult<R>> {
    const client = await this.connected();
    if (this.running++ === 0) this.waitingSince = Date.now();
    try {
      const result = await client.query<R>(statement);
      this.options.db.noteAnswered();
      return result;
    } catch (err) {
      if (isConnectionError(err)) this.drop(client, err);
      throw err;
    } finally {
      this.lastDoneAt = Date.now();
      // An answer, even an error, is a sign of life: the statements still queued wait from now.
      this.waitingSince = --this.running > 0 ? this.lastDoneAt : undefined;
    }
  }

  /** Ends the connection, which releases the lock. */
  async end(): Promise<void> {
    this.ended = true;
    this.keepAlive.stop();
    clearInterval(this.renewTimer);
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connected(): Promise<Client> {
    if (this.lost) return Promise.reject(this.lost);
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
      // Before the lock: a process frozen right after the server granted it must still lose it.
      await applyLease(client, this.leaseMs);
      // An owner's writer leads nothing: its leases are the balancer's.
      if (!this.options.homeLeases) await this.lockAndLease(client);
    } catch (err) {
      await client.end().catch(() => undefined);
      if (err instanceof LeadershipLostError) this.loseLeadership(err);
      throw err;
    }
    if (this.ended) {
      await client.end().catch(() => undefined);
      throw new Error('journal writer connection ended while connecting');
    }
    this.client = client;
    this.lastDoneAt = Date.now();
    return client;
  }

  /** The lock, then a new epoch and every lease (first time), or the same epoch confirmed and the leases renewed (reconnecting). */
  private async lockAndLease(client: Client): Promise<void> {
    await this.lock(client);
    if (this.leading) {
      this.leading = await confirmEpoch(client, this.leading);
      // Nobody led meanwhile (confirmed): leases that ran out while the connection was down are still only ours to take.
      const sentAt = Date.now();
      const held = this.held;
      if (!held || (await renewPartitions(client, held, this.leaseMs)).length > 0) await this.takeAll(client, held?.owner ?? this.leading.nodeId ?? 'unknown');
      else this.renewedAt = sentAt;
    } else {
      this.leading = await claimLeadership(client, this.identity());
      await this.takeAll(client, this.leading.nodeId ?? 'unknown');
    }
  }

  private identity(): LeaderIdentity {
    return this.options.identity?.() ?? { nodeId: `${hostname()}-pid${process.pid}` };
  }

  /** Waits for the lock (journal-lock-wait.ts): `lockWaitMs`, or without limit for a standby's first take. */
  private lock(client: Client): Promise<void> {
    const mine = this.leading;
    return waitForJournalLock(client, {
      mine,
      forever: this.options.waitForLeadership === true && mine === undefined,
      lockWaitMs: this.options.lockWaitMs ?? 30_000,
      where: this.options.db.description,
      ended: () => this.ended,
      onWaiting: this.options.onWaiting,
    });
  }

  private drop(client: Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.options.db.noteConnectionError(err);
    client.end().catch(() => undefined);
    if (this.options.waitForLeadership && !this.options.homeLeases && !this.ended) {
      const why = (err as Error).message || String(err);
      this.loseLeadership(new LeadershipLostError(`the leader's database session ended (${why}): the leadership lock went with it, and a standby may lead by now`));
    }
  }

  /** A batch was refused by its partitions' fence (journal-batch-commit.ts): lost leadership, as a lost lock is. Returns `err`. */
  fencedOut(err: LeadershipLostError): LeadershipLostError {
    this.loseLeadership(err);
    return this.lost!;
  }

  private loseLeadership(err: LeadershipLostError): void {
    if (this.lost) return;
    this.lost = err;
    this.keepAlive.stop();
    clearInterval(this.renewTimer);
    try {
      this.options.onLeadershipLost?.(err);
    } catch {
      // A throwing listener must not keep the writer from refusing every later write.
    }
  }
}
