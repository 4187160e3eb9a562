/**
 * The alert/audit journal on PostgreSQL (issue 11): the same port and the
 * same group-commit shape as the file journal (hub/storage/journal.ts).
 *
 * - `append` is synchronous and does no I/O: it fixes n, at, prev and the
 *   line's hash, queues the line, and returns a promise for its durability.
 * - One flush is in flight at a time: every queued line (up to `maxBatch`) goes
 *   in one multi-row INSERT, one statement, one transaction; the lines are
 *   durable when it returns (synchronous_commit on). Appends meanwhile form
 *   the next batch.
 * - Every write goes through one connection that holds the journal's advisory
 *   lock (journal-writer-connection.ts): one writer per database, and a
 *   restarted hub waits for a killed one's in-flight commit before replaying.
 *   In a cluster that lock is leadership: a standby's open() waits for it, and
 *   a leader that loses it fails for good and tells `onLeadershipLost`.
 * - Unlike a failed disk, a lost connection is expected to come back. The
 *   flush then retries THE SAME batch — same n, same hashes — until it
 *   commits, and the durable promises simply wait: no PUBACK, so devices keep
 *   their alarms, and nothing is lost when the database returns. If the
 *   connection died during the COMMIT the outcome is unknown; the retry then
 *   hits the primary key on n, and the batch counts as committed only if the
 *   rows there are identical (same hashes).
 * - A statement that can never succeed (a data or schema error), or rows with
 *   these n written by someone else, make the journal unhealthy for good, as
 *   a failed fsync does for files.
 */
import { hashLine, type JournalEntry } from '../journal-format.js';
import { describeLines, GroupCommitJournal, noop, type QueuedBatch, rejected } from '../journal-chain.js';
import type { AppendResult, DeviceMessageKey, JournalStore, StandbyTailStats } from '../ports.js';
import type { PgDatabase } from './database.js';
import { isConnectionError, isPermanentError, uniqueViolation } from './errors.js';
import { BatchFencedError, batchPresence, insertBatch, messageJournaled, type PgLine, scanJournal, type StoredLine } from './journal-sql.js';
import { alignJournalCounter, PartitionNotHeldError, readPartitionLeases } from './partition-leases.js';
import { partitionOf } from '../../core/partitions.js';
import { JournalTail } from './journal-tail.js';
import { type LeaderIdentity, type LeaderRecord, readLeader } from './cluster-leader.js';
import { JournalLockedError, JournalWriterConnection, LeadershipLostError } from './journal-writer-connection.js';
import { NewestMessageKeys } from './newest-message-keys.js';
import { waitAtMost } from '../../core/wait-at-most.js';
import { ProgressWaiters } from '../../core/progress-waiters.js';

export interface PgJournalOptions {
  db: PgDatabase;
  now?: () => number;
  /** Called once, when the journal gives up for good (not for a connection that drops). */
  onError?: (err: Error) => void;
  /** A broken chain on open, a duplicate message key at commit. */
  onWarning?: (msg: string) => void;
  /** The device message a line records (alarm triggers), for the unique message key. */
  messageKeyOf?: (type: string, data: unknown) => DeviceMessageKey | undefined;
  /** Most lines in one INSERT (bind parameters stay far below PostgreSQL's 65,535). */
  maxBatch?: number;
  /** Back-off between attempts while the database is unreachable. */
  retryDelayMs?: { min: number; max: number };
  /** How long close() waits for pending lines while the database is unreachable. */
  closeTimeoutMs?: number;
  /** How long open() (or a reconnect) waits for the journal's writer lock (journal-writer-connection.ts). */
  lockWaitMs?: number;
  /** The lock is held by another session and open() is waiting for it; told again whenever another leader takes over. */
  onWaitingForLock?: (holder: string, leader: LeaderRecord) => void;
  /** A cluster node: open() waits for the lock (leadership) without limit; a lost session is lost leadership. */
  waitForLeadership?: boolean;
  /** The writer session's lease: the server ends it after this long idle (writer-lease.ts). Default 10 s. */
  leaseMs?: number;
  /** Written into cluster_leader when this process becomes leader. */
  identity?: () => LeaderIdentity;
  /** A cluster node's tail reads at least this often while it stands by, notified or not. Default 5 s. */
  tailPollMs?: number;
}

/**
 * The longest a cluster node reads the journal before it tries the lock anyway:
 * a read that hangs must not keep every node from leading. 30 s is well over
 * a million lines here even on a busy machine (docs/PERFORMANCE.md, "the
 * journal's cold replay").
 */
const READY_WAIT_MAX_MS = 30_000;

interface Batch extends QueuedBatch {
  lines: PgLine[];
  /** The partitions its lines belong to: its fence. */
  partitions: Set<number>;
}

export class PgJournal extends GroupCommitJournal<Batch> implements JournalStore {
  private readonly db: PgDatabase;
  /** Holds the writer lock; every write and the replay go through it. */
  private readonly writer: JournalWriterConnection;
  private readonly maxBatch: number;
  /** The last attempt's error while a batch is being retried. */
  private stalled: string | undefined;
  /** close() stopped waiting: pending batches are rejected instead of retried. */
  private abandoned = false;
  private wakeRetry: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private lookupsWaiting = 0;
  private readonly newestKeys = new NewestMessageKeys();
  private readonly lostListeners: ((err: Error) => void)[] = [];
  /** A cluster node's copy of the leader's lines while it waits for the lock. */
  private tail: JournalTail | undefined;
  private linesReplayed = 0;
  private replayAfterLockMs: number | undefined;
  private chainWarned = false;
  /** Console reads on this standby waiting for a line its copy has not applied yet (reachLine). */
  private readonly lineWaiters = new ProgressWaiters(() => this._lastN);

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
    });
    this.maxBatch = options.maxBatch ?? 2_000;
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
    try {
      await this.db.ready();
      await this.waitForLock(onEntry);
      const lockedAt = performance.now();
      const count = await this.replay(onEntry);
      // The lock's holder has read every committed row: its tail is the journal's (partition-leases.ts).
      await alignJournalCounter(this.writer, this._lastN, this.nextPrev);
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
   * read lasts longer than READY_WAIT_MAX_MS, tries all the same.
   */
  private async waitForLock(onEntry: ((entry: JournalEntry) => void) | undefined): Promise<void> {
    if (!this.options.waitForLeadership) return void (await this.writer.open());
    const tail = new JournalTail({
      db: this.db,
      apply: (line) => this.applyStored(line, onEntry),
      lastN: () => this._lastN,
      pollMs: this.options.tailPollMs,
      onReadError: (message) => this.options.onWarning?.(message),
    });
    this.tail = tail;
    try {
      await tail.start();
      await waitAtMost(tail.firstRead, READY_WAIT_MAX_MS);
      await this.writer.open();
    } finally {
      await tail.stop();
      this.lineWaiters.cancelAll(); // a leader's reads need no copy; a closed journal has none
    }
  }

  /** The home partitions this writer holds (all of them once open; none before, and none once leadership is lost). */
  get partitionsHeld(): readonly number[] {
    return this.writer.leadershipLost || this.state !== 'open' ? [] : (this.writer.partitions?.homePartitions ?? []);
  }

  get partitionLeaseLeftMs(): number | undefined {
    return this.state === 'open' ? this.writer.leaseLeftMs : undefined;
  }

  get replicaCurrent(): boolean {
    return this.tail?.current ?? false;
  }

  reachLine(n: number, maxMs: number): Promise<boolean> {
    if (this._lastN >= n) return Promise.resolve(true);
    // Only a following standby's copy moves by itself; one that cannot read now is not waited on.
    return this.tail?.current ? this.lineWaiters.reach(n, maxMs) : Promise.resolve(false);
  }

  /** A cluster node's standby period, once it leads: lines its tail applied, and how long the rest took after the lock. */
  get standbyTail(): StandbyTailStats | undefined {
    if (!this.tail) return undefined;
    const led = this.replayAfterLockMs !== undefined;
    return { lines: this.tail.applied, reads: this.tail.reads, linesAfterLock: led ? this.linesReplayed - this.tail.applied : undefined, replayAfterLockMs: this.replayAfterLockMs };
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

  /** Replays the rows after the last one applied (all of them, unless a standby's tail applied some), through the lock's connection. */
  private async replay(onEntry: ((entry: JournalEntry) => void) | undefined): Promise<number> {
    await scanJournal(this.writer, (line) => this.applyStored(line, onEntry), undefined, this._lastN);
    return this.linesReplayed; // applyStored moved n and durableN along
  }

  /** One stored row into memory: the chain checked (warned once), the replayers told, n and the chain's tip advanced. */
  private applyStored({ entry, text, storedHash }: StoredLine, onEntry: ((entry: JournalEntry) => void) | undefined): void {
    const hash = hashLine(text);
    if (!this.chainWarned && (entry.n !== this._lastN + 1 || entry.prev !== this.nextPrev || hash !== storedHash)) {
      this.chainWarned = true;
      this.options.onWarning?.(`journal chain broken at n=${entry.n} in ${this.location}; replay continues — run \`npm run audit:verify\` for details`);
    }
    onEntry?.(entry);
    const key = this.options.messageKeyOf?.(entry.type, entry.data);
    if (key) this.newestKeys.note(key);
    this.linesReplayed += 1;
    this._lastN = entry.n;
    this._durableN = entry.n;
    this.nextPrev = hash;
    if (entry.n === 1) this._chainId ??= hash;
    this.lineWaiters.advance(entry.n);
  }

  append<T>(type: string, data: T, homeId?: string): AppendResult<T> {
    const next = this.advance(type, data);
    const { entry, line } = next;
    if (this.failure) return { entry, durable: rejected(this.refusal(entry.n, entry.n)) };
    // `data` as it appears in the line: the json column stores exactly this text.
    const dataText = line.slice(line.indexOf(',"data":') + 8, line.lastIndexOf(',"prev":'));
    const batch = this.enqueue(next, (b) => b.lines.length < this.maxBatch, () => ({ ...this.baseBatch(entry.n), lines: [], partitions: new Set<number>() }));
    const key = this.options.messageKeyOf?.(type, data);
    if (key) this.newestKeys.note(key);
    const partition = partitionOf(homeId);
    batch.partitions.add(partition);
    batch.lines.push({ n: entry.n, at: entry.at, type, dataText, prev: entry.prev, hash: next.hash, key, partition });
    return { entry, durable: batch.done };
  }

  /**
   * Looks the message key up, waiting (with the same back-off as the flush)
   * while the database is unreachable: the device gets no PUBACK meanwhile and
   * stays connected, and its message goes on as soon as the database is back.
   */
  async isJournaled(key: DeviceMessageKey): Promise<boolean> {
    const { min, max } = this.retryDelays;
    this.lookupsWaiting += 1;
    try {
      for (let delay = min; ; delay = Math.min(max, delay * 2)) {
        try {
          return await messageJournaled(this.db, key);
        } catch (err) {
          if (!isConnectionError(err) || this.state === 'closed') throw err;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    } finally {
      this.lookupsWaiting -= 1;
    }
  }

  /** Newer than every key held for the device: cannot be a retransmission (newest-message-keys.ts). */
  isSurelyNew(key: DeviceMessageKey): boolean {
    return this.newestKeys.isNewer(key);
  }

  /** Message look-ups in progress or waiting for the database (tests and diagnostics). */
  get pendingLookups(): number {
    return this.lookupsWaiting;
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
      await this.tail?.stop();
      await waitAtMost(this.whenDurable(), this.options.closeTimeoutMs ?? 10_000);
      this.abandoned = true;
      this.wakeRetry?.();
      await this.whenDurable().catch(noop);
      await this.writer.end();
      await this.db.release();
    })();
    return this.closing;
  }

  /** Inserts the batch, retrying the same rows until they are committed; throws only for good. */
  protected async writeBatch(batch: Batch): Promise<void> {
    const { min, max } = this.retryDelays;
    for (let delay = min; ; delay = Math.min(max, delay * 2)) {
      if (this.abandoned) throw new Error(`still unreachable when the hub stopped: ${this.lastError ?? 'unknown error'}`);
      try {
        // Taken afresh at each attempt, once connected: a hub alone that reconnected may hold its partitions under new epochs.
        await this.writer.ensureConnected();
        const held = this.writer.partitions;
        if (!held) throw new Error('journal: a batch before the writer took the partitions');
        const fence = held.fenceFor(batch.partitions);
        // A cluster leader wakes its standbys' tails (journal-tail.ts) with each batch it commits.
        const repeated = await insertBatch(this.writer, batch.lines, fence, this.options.waitForLeadership === true);
        this.stalled = undefined;
        for (const l of repeated) this.warnRepeated(l);
        return;
      } catch (caught) {
        let err = caught;
        if (err instanceof BatchFencedError && err.why === 'lease') {
          if (this.options.waitForLeadership) throw await this.fencedOut(batch);
          // A hub alone holds the lock: its leases can only have run out (late renewals), so it takes them again and retries.
          try {
            await this.writer.retakePartitions();
            continue;
          } catch (retakeError) {
            err = retakeError; // an unreachable database is waited for below, like any attempt
          }
        }
        // The counter moved past this batch's first line: our own earlier attempt (its reply lost), or another writer.
        if (uniqueViolation(err) === 'journal_pkey' || err instanceof BatchFencedError) {
          const presence = await batchPresence(this.writer, batch.lines).catch(() => 'unknown' as const);
          if (presence === 'all') {
            this.stalled = undefined; // the earlier attempt did commit; only its reply was lost
            return;
          }
          if (presence === 'other') throw new Error('rows with these n already exist and differ: another process writes this journal', { cause: err });
          // No rows, yet the counter is not where this batch continues: another writer moved it.
          if (presence === 'none' && err instanceof BatchFencedError) {
            throw new Error(`the journal counter no longer stands at line ${batch.firstN - 1}: another process writes this journal`, { cause: err });
          }
        } else if (isPermanentError(err) || err instanceof JournalLockedError || err instanceof LeadershipLostError || err instanceof PartitionNotHeldError) {
          throw err;
        }
        this.stalled = `${this.location}: ${(err as Error).message}`;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeRetry = () => (clearTimeout(timer), resolve());
        });
      }
    }
  }

  /**
   * A partition of the batch has another owner or epoch now, or its lease ran
   * out: this cluster node must never write again (another node may lead).
   * Says which and why, and is lost leadership like a lost lock.
   */
  private async fencedOut(batch: Batch): Promise<LeadershipLostError> {
    const held = this.writer.partitions!;
    const rows = await readPartitionLeases(this.db).catch(() => []);
    const now = Date.now();
    const what = rows
      .filter((r) => batch.partitions.has(r.partition))
      .map((r) => {
        if (r.owner !== held.owner || r.epoch !== held.epochOf(r.partition)) return `partition ${r.partition} is held by ${r.owner ?? 'nobody'} at epoch ${r.epoch} (this node took epoch ${held.epochOf(r.partition)})`;
        // The database's clock decided; this one only words it.
        if (r.expiresAt && r.expiresAt.getTime() <= now) return `the lease of partition ${r.partition} ran out at ${r.expiresAt.toISOString()} without being renewed`;
        return undefined;
      })
      .filter((x) => x !== undefined);
    const described = what.length > 0 ? what.join('; ') : 'a partition of the batch changed hands';
    return this.writer.fencedOut(new LeadershipLostError(`${described}: ${describeLines(batch.firstN, batch.lastN)} refused by the lease fence, nothing written`));
  }

  protected async describeFailure(cause: Error, batch: Batch): Promise<Error> {
    return new Error(
      `journal write failed in ${this.location}: ${cause.message} — ${describeLines(batch.firstN, batch.lastN)} NOT durable; the journal refuses further writes until the hub restarts`,
      { cause },
    );
  }

  private warnRepeated(line: PgLine): void {
    const k = line.key!;
    this.options.onWarning?.(
      `device ${k.deviceId} message seq=${k.seq}${k.ts === undefined ? '' : ` ts=${k.ts}`} was already journaled; line n=${line.n} (${line.type}) records it again`,
    );
  }
}
