/**
 * The alert/audit journal on PostgreSQL (issue 11): the same port and the
 * same group-commit shape as the file journal (hub/storage/journal.ts).
 *
 * - `append` is synchronous and does no I/O: it fixes `at` and the data's
 *   JSON text, queues the line, and returns a promise for its durability.
 *   The line has no number yet: the database numbers and chains each batch
 *   when it commits it (migration 0006, journal-sql.ts), so that several
 *   writers can share one global, gap-free n in commit order (issue 12 step
 *   3). The commit fills n and prev into the entry `append` returned.
 * - One flush is in flight at a time: every queued line (up to `maxBatch`) goes
 *   in one statement, one transaction; the lines are durable when it returns
 *   (synchronous_commit on). Appends meanwhile form the next batch.
 * - Every write goes through one connection that holds the journal's advisory
 *   lock (journal-writer-connection.ts): one writer per database, and a
 *   restarted hub waits for a killed one's in-flight commit before replaying.
 *   In a cluster that lock is leadership: a standby's open() waits for it, and
 *   a leader that loses it fails for good and tells `onLeadershipLost`.
 * - Unlike a failed disk, a lost connection is expected to come back. The
 *   flush then retries the same batch until it commits, and the durable
 *   promises simply wait: no PUBACK, so devices keep their alarms, and
 *   nothing is lost when the database returns. If the connection died during
 *   the COMMIT the outcome is unknown; the retry first asks the writer
 *   session's row in journal_writer whether that batch went in
 *   (journal-batch-commit.ts, with the partitions' fence).
 * - A cluster node follows the lines the others commit (journal-follow.ts):
 *   a standby while it waits for the lock, an owner for as long as it writes.
 * - A statement that can never succeed (a data or schema error) makes the
 *   journal unhealthy for good, as a failed fsync does for files.
 */
import { randomUUID } from 'node:crypto';
import type { JournalEntry } from '../journal-format.js';
import { rejected } from '../../core/rejected.js';
import { checkAppend, GroupCommitJournal, noop } from '../journal-chain.js';
import type { AppendResult, DeviceMessageKey, JournalStore, LineOrder, StandbyTailStats } from '../ports.js';
import type { PgDatabase } from './database.js';
import { type CommittedBatch, forgetOldWriterSessions, scanJournal } from './journal-sql.js';
import { alignJournalCounter } from './partition-leases.js';
import { type Batch, describeBatch, type PendingLine, numberLines } from './pg-batch.js';
import { partitionOf } from '../../core/partitions.js';
import { JournalCopy } from './journal-copy.js';
import { JournalFollow } from './journal-follow.js';
import { BatchCommitter, notHeldHere } from './journal-batch-commit.js';
import { type LeaderRecord, readLeader } from './cluster-leader.js';
import { JournalWriterConnection } from './journal-writer-connection.js';
import { PgMessageKeys } from './message-keys-pg.js';
import { waitAtMost } from '../../core/wait-at-most.js';

import type { PgJournalOptions } from './journal-pg-options.js';

export type { PgJournalOptions } from './journal-pg-options.js';

export class PgJournal extends GroupCommitJournal<Batch> implements JournalStore {
  private readonly db: PgDatabase;
  /** Holds the writer lock; every write and the replay go through it. */
  private readonly writer: JournalWriterConnection;
  private readonly maxBatch: number;
  /** Each batch's commit, retried while the database is unreachable. */
  private readonly commits: BatchCommitter;
  private closing: Promise<void> | undefined;
  private readonly keys: PgMessageKeys;
  private readonly lostListeners: ((err: Error) => void)[] = [];
  /** The tail of the lines other processes commit, into `copy`. */
  private readonly follow: JournalFollow;
  private replayAfterLockMs: number | undefined;
  /** This writer's session in journal_writer: made afresh by every process, so a batch number is never reused. */
  private readonly session = randomUUID();
  private batchesMade = 0;
  /** The lines as read back from the table: the replay, a standby's tail, a writer following the others. */
  private readonly copy: JournalCopy;

  /** Only assigns: nothing connects before open(). */
  constructor(private readonly options: PgJournalOptions) {
    super(options.now ?? Date.now, options.onError);
    this.db = options.db;
    this.writer = new JournalWriterConnection({
      db: options.db,
      lockWaitMs: options.lockWaitMs,
      onWaiting: options.onWaitingForLock,
      waitForLeadership: options.waitForLeadership,
      leaseMs: options.leaseMs,
      identity: options.identity,
      onLeadershipLost: (err) => this.tellLost(err),
      homeLeases: options.homeLeases,
    });
    this.maxBatch = options.maxBatch ?? 2_000;
    this.keys = new PgMessageKeys(options.db, () => this.retryDelays, () => this.state === 'closed');
    this.copy = new JournalCopy({
      location: this.location,
      session: this.session,
      onWarning: options.onWarning,
      noted: (entry) => {
        const key = this.options.messageKeyOf?.(entry.type, entry.data);
        if (key) this.keys.note(key);
      },
    });
    // Registered first: the journal's own numbers move before anyone told of the line (the alert feed) looks.
    this.copy.onProgress((n) => {
      if (n > this._lastN) {
        this._lastN = n;
        this.nextPrev = this.copy.tip;
      }
      if (n > this._durableN) this._durableN = n;
      if (n === 1) this._chainId ??= this.copy.firstHash;
    });
    const following = this.following;
    this.follow = new JournalFollow({
      db: options.db,
      copy: this.copy,
      session: this.session,
      following,
      tailPollMs: options.tailPollMs,
      onWarning: options.onWarning,
      inFlight: () => this.inFlight?.done,
    });
    this.commits = new BatchCommitter({
      db: options.db,
      writer: this.writer,
      session: this.session,
      cluster: Boolean(options.waitForLeadership),
      ownsShare: this.ownsShare,
      // A cluster leader wakes its standbys' tails (journal-tail.ts) with each batch it commits.
      notify: options.waitForLeadership === true || following,
      retryDelays: () => this.retryDelays,
      lastError: () => this.lastError,
      committed: (batch, committed) => this.numberBatch(batch, committed),
    });
  }

  get location(): string {
    return this.db.description;
  }
  get healthy(): boolean {
    return this.lastError === undefined;
  }
  /** Why lines cannot be made durable now: a failure for good, lost leadership, or a database that does not answer. */
  get lastError(): string | undefined {
    return this.failure?.message ?? this.writer.leadershipLost?.message ?? this.db.lastError ?? this.writer.silence ?? this.stalled;
  }
  /** The last attempt's error while a batch is being retried (journal-batch-commit.ts; the tests read it here too). */
  private get stalled(): string | undefined {
    return this.commits.stalled;
  }

  /** The epoch this process writes under (cluster_leader); undefined until open() took the lock. */
  get leaderEpoch(): number | undefined {
    return this.writer.leader?.epoch;
  }

  /** Who leads now (the cluster_leader row), through the pool: also works on a standby and after the lock was lost. */
  readLeader(): Promise<LeaderRecord> {
    return readLeader(this.db);
  }

  /** Told once when the lock is lost (or already was): every later append is refused. */
  onLeadershipLost(listener: (err: Error) => void): void {
    const lost = this.writer.leadershipLost;
    if (lost) listener(lost);
    else this.lostListeners.push(listener);
  }

  /**
   * Connects (migrating the schema if needed), takes the writer lock — waiting
   * for a killed hub's last commit to land — then replays every row in n order
   * and continues the chain. A cluster standby follows the journal while it
   * waits for the lock (journal-tail.ts), so once it has the lock only the
   * rows after the last one it applied remain to be replayed.
   */
  async open(onEntry?: (entry: JournalEntry) => void): Promise<number> {
    if (this.state !== 'new') throw new Error(`journal: open() called when already ${this.state}`);
    this.state = 'opening';
    this.db.acquire();
    this.copy.onEntry = onEntry;
    try {
      await this.db.ready();
      await this.waitForLock();
      const lockedAt = performance.now();
      const count = await this.replay();
      // The lock's holder has read every committed row: its tail is the journal's (partition-leases.ts). An owner holds no lock.
      if (!this.ownsShare) await alignJournalCounter(this.writer, this._lastN, this.nextPrev);
      await forgetOldWriterSessions(this.writer);
      this.replayAfterLockMs = performance.now() - lockedAt;
      if (this.state === 'opening') this.state = 'open';
      return count;
    } catch (err) {
      // close() during the wait (a standby told to stop) ends the writer and releases the database itself.
      if (!this.closing) {
        this.state = 'closed';
        await this.writer.end();
        await this.db.release();
      }
      throw err;
    }
  }

  /**
   * Takes the writer lock; a cluster node applies the leader's lines meanwhile,
   * and none after it has the lock. It tries the lock only once its first read
   * has caught up: a node that has just (re)started and not yet read the
   * journal leaves the lock to a standby that has, which leads in
   * milliseconds where this one would replay the whole journal after taking
   * it. A node that cannot read (the database unreachable), or whose first
   * read lasts longer than READY_WAIT_MAX_MS (journal-follow.ts), tries all the same.
   */
  private async waitForLock(): Promise<void> {
    const following = this.following;
    if (!this.options.waitForLeadership && !following) return void (await this.writer.open());
    // A writer that follows the others keeps its tail until close(); the one writer of today needs no copy.
    await this.follow.takeLockWhileFollowing(
      () => this.writer.open(),
      () => following && !this.closing && this.state !== 'closed',
    );
  }

  /** Present when lines reach this process out of n order (journal-follow.ts): the alert feed waits for the tail to pass each. */
  get order(): LineOrder | undefined {
    return this.follow.order;
  }

  /** A node owning a share of the partitions (`homeLeases`): it follows the other writers and takes no lock. */
  private get ownsShare(): boolean {
    return this.options.homeLeases !== undefined;
  }

  private get following(): boolean {
    return this.options.followWhileWriting === true || this.ownsShare;
  }

  /** True once this process has applied every line committed before the call, false after `maxMs` (journal-follow.ts). */
  readUpToNow(maxMs: number): Promise<boolean> {
    return this.follow.readUpToNow(maxMs);
  }

  /** The home partitions this writer holds (all of them once open; none before, and none once leadership is lost). */
  get partitionsHeld(): readonly number[] {
    return this.writer.leadershipLost || this.state !== 'open' ? [] : (this.writer.partitions?.homePartitions ?? []);
  }

  /** Until the leases this node writes under run out unless renewed: the lock's, or (an owner) the balancer's. */
  get partitionLeaseLeftMs(): number | undefined {
    if (this.state !== 'open') return undefined;
    return this.options.homeLeaseLeftMs ? this.options.homeLeaseLeftMs() : this.writer.leaseLeftMs;
  }

  get replicaCurrent(): boolean {
    return this.follow.current;
  }

  reachLine(n: number, maxMs: number): Promise<boolean> {
    // The one writer of today holds every line it wrote; a standby, or a writer that follows others, holds those its tail has read.
    const readsFromCopy = this.following || this.state !== 'open';
    if ((readsFromCopy ? this.copy.n : this._lastN) >= n) return Promise.resolve(true);
    return this.follow.reach(n, maxMs);
  }

  /** A cluster node's standby period, once it leads: lines its tail applied, and how long the rest took after the lock. */
  get standbyTail(): StandbyTailStats | undefined {
    return this.follow.standbyTail(this.replayAfterLockMs);
  }

  private tellLost(err: Error): void {
    for (const listener of this.lostListeners.splice(0)) {
      try {
        listener(err);
      } catch {
        // One throwing listener must not keep the others from hearing it.
      }
    }
  }

  /** Replays the rows after the last one read (all of them, unless a tail read some), through the lock's connection. */
  private async replay(): Promise<number> {
    await scanJournal(this.writer, (line) => this.copy.apply(line), undefined, this.copy.n);
    return this.copy.applied;
  }

  /**
   * Queues the line without a number: the database gives it its n and prev
   * when the batch commits (migration 0006), and the commit fills them into
   * the returned entry. Several writers can then share one global,
   * gap-free n in commit order (docs/CLUSTER.md "Step 3's writers").
   */
  append<T>(type: string, data: T, homeId?: string): AppendResult<T> {
    checkAppend(this.state, type, data);
    // Everything that can throw (a NaN clock, BigInt or cyclic data) throws here, before anything is queued.
    const at = new Date(this.now()).toISOString();
    const dataText = JSON.stringify(data);
    const entry: JournalEntry<T> = { n: 0, at, type, data, prev: '' };
    this._stats.appends += 1;
    if (this.failure) return { entry, durable: rejected(this.refusal('a new line is')) };
    const partition = partitionOf(homeId);
    // An owner refuses at once, before its caller changes anything, a line of a partition it does not hold now.
    if (this.ownsShare && this.options.homeLeases!().epochOf(partition) === undefined) throw notHeldHere(partition);
    const batch = this.batchFor(
      (b) => b.lines.length < this.maxBatch,
      () => ({ ...this.baseBatch(0), lines: [], partitions: new Set<number>(), no: ++this.batchesMade }),
    );
    const key = this.options.messageKeyOf?.(type, data);
    if (key) this.keys.note(key);
    batch.partitions.add(partition);
    batch.lines.push({ entry, at, type, dataText, partition, key });
    return { entry, durable: batch.done };
  }

  /** Whether lines of this device message are committed (the unique key); waits while the database is unreachable. */
  isJournaled(key: DeviceMessageKey): Promise<boolean> {
    return this.keys.isJournaled(key);
  }

  /** Newer than every key held for the device: cannot be a retransmission (newest-message-keys.ts). */
  isSurelyNew(key: DeviceMessageKey): boolean {
    return this.keys.isSurelyNew(key);
  }

  /** Message look-ups in progress or waiting for the database (tests and diagnostics). */
  get pendingLookups(): number {
    return this.keys.pending;
  }

  private get retryDelays(): { min: number; max: number } {
    return this.options.retryDelayMs ?? { min: 50, max: 2_000 };
  }

  /**
   * Waits for pending lines — up to closeTimeoutMs while the database is
   * unreachable; lines still not committed then are rejected (their devices
   * had no PUBACK and will send them again) — then releases the pool.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasOpen = this.state === 'open' || this.state === 'opening';
      this.state = 'closed';
      if (!wasOpen) return;
      // A standby told to stop while it reads the journal: it stops after the page in hand.
      await this.follow.stop();
      await waitAtMost(this.whenDurable(), this.options.closeTimeoutMs ?? 10_000);
      this.commits.abandon();
      await this.whenDurable().catch(noop);
      await this.writer.end();
      await this.db.release();
    })();
    return this.closing;
  }

  /** Appends the batch, retrying until it is committed; throws only for good (journal-batch-commit.ts). */
  protected writeBatch(batch: Batch): Promise<void> {
    return this.commits.commit(batch);
  }

  /** The numbers and chain the database gave the batch, into its entries and this journal's tip. */
  private numberBatch(batch: Batch, committed: CommittedBatch): void {
    const tip = numberLines(batch, committed);
    this.follow.ownCommitted(committed.lastN);
    if (committed.lastN > this._lastN) {
      this._lastN = committed.lastN;
      this.nextPrev = tip;
    }
    if (committed.firstN === 1) this._chainId ??= committed.hashes[0];
    for (const i of committed.repeated) this.warnRepeated(batch.lines[i]!);
  }

  protected override describeBatch(batch: Batch): string {
    return describeBatch(batch);
  }

  protected async describeFailure(cause: Error, batch: Batch): Promise<Error> {
    return new Error(
      `journal write failed in ${this.location}: ${cause.message} — ${this.describeBatch(batch)} NOT durable; the journal refuses further writes until the hub restarts`,
      { cause },
    );
  }

  private warnRepeated(line: PendingLine): void {
    const k = line.key!;
    this.options.onWarning?.(
      `device ${k.deviceId} message seq=${k.seq}${k.ts === undefined ? '' : ` ts=${k.ts}`} was already journaled; line n=${line.entry.n} (${line.type}) records it again`,
    );
  }
}

