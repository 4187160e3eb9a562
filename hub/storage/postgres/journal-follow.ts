/**
 * How a PostgreSQL journal (journal-pg.ts) follows the lines other processes
 * commit: a cluster standby while it waits for the writer lock, and a writer
 * that shares the journal with others (`followWhileWriting`, an owner of
 * partitions) for as long as it writes. It runs the tail (journal-tail.ts)
 * into this process's copy (journal-copy.ts), keeps this writer's own lines
 * in n order among the others', and answers what is asked of that copy: how
 * far it has read, whether it is current, the standby period's numbers.
 *
 * Apart from journal-pg.ts because following is a job of its own: the
 * journal there writes batches; this reads everyone's back.
 */
import { noop } from '../journal-chain.js';
import type { LineOrder, StandbyTailStats } from '../ports.js';
import { waitAtMost } from '../../core/wait-at-most.js';
import type { PgDatabase } from './database.js';
import type { JournalCopy } from './journal-copy.js';
import { JournalTail } from './journal-tail.js';

/**
 * The longest a cluster node reads the journal before it tries the lock anyway:
 * a read that hangs must not keep every node from leading. 30 s is well over
 * a million lines here even on a busy machine (docs/PERFORMANCE.md, "the
 * journal's cold replay").
 */
const READY_WAIT_MAX_MS = 30_000;

export interface JournalFollowDeps {
  db: PgDatabase;
  copy: JournalCopy;
  /** This process's writer session (journal_writer): the tail's rows of it are its own lines. */
  session: string;
  /** It follows the other writers while it writes, not only while it waits for the lock. */
  following: boolean;
  tailPollMs?: number | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** The batch being committed now, if any: its reply numbers this writer's lines. */
  inFlight: () => Promise<void> | undefined;
}

export class JournalFollow {
  /** A cluster node's copy of the leader's lines while it waits for the lock. */
  private tail: JournalTail | undefined;
  /** The last line this writer's own commits numbered (their replies processed). */
  private ownCommittedN = 0;

  constructor(private readonly deps: JournalFollowDeps) {}

  /**
   * Starts the tail, then takes the lock (`takeLock`) once the first read has
   * caught up, or failed, or lasted longer than READY_WAIT_MAX_MS (journal-pg.ts
   * waitForLock says why). Afterwards the tail stops unless `keepFollowing()`.
   */
  async takeLockWhileFollowing(takeLock: () => Promise<unknown>, keepFollowing: () => boolean): Promise<void> {
    const { copy } = this.deps;
    const tail = new JournalTail({
      db: this.deps.db,
      apply: (line) => copy.apply(line),
      lastN: () => copy.n,
      pollMs: this.deps.tailPollMs,
      onReadError: (message) => this.deps.onWarning?.(message),
      beforePage: (rows) => this.ownRepliesIn(rows),
    });
    this.tail = tail;
    try {
      await tail.start();
      await waitAtMost(tail.firstRead, READY_WAIT_MAX_MS);
      await takeLock();
    } finally {
      if (!keepFollowing()) {
        await tail.stop();
        copy.cancelWaits(); // a leader's reads need no copy; a closed journal has none
      }
    }
  }

  /** Stops the tail after the page in hand (a standby told to stop while it reads). */
  async stop(): Promise<void> {
    await this.tail?.stop();
  }

  /** This writer's batch numbered lines up to `lastN`. */
  ownCommitted(lastN: number): void {
    this.ownCommittedN = lastN;
  }

  /**
   * A page of the tail that holds lines of this writer's own batch whose
   * reply it has not processed yet (the NOTIFY of the commit can overtake
   * it): waits for that batch first, so its lines are numbered — and shown
   * by the alert feed — before the other writers' lines after them.
   */
  private ownRepliesIn(rows: readonly { n: string; writer: string | null }[]): Promise<void> | undefined {
    // The last own line of the page: rows come in n order.
    const ownLast = rows.findLast((r) => r.writer === this.deps.session);
    if (!ownLast || Number(ownLast.n) <= this.ownCommittedN) return undefined;
    return (async () => {
      // Each batch's reply moves ownCommittedN; the one holding ownLast is in flight or queued behind it.
      for (let done = this.deps.inFlight(); done && Number(ownLast.n) > this.ownCommittedN; done = this.deps.inFlight()) await done.catch(noop);
    })();
  }

  /**
   * Present when lines reach this process out of n order — its own at commit,
   * the other writers' when its tail reads them — so whatever shows line
   * numbers (the alert feed) waits for the tail to pass each one.
   */
  get order(): LineOrder | undefined {
    if (!this.deps.following) return undefined;
    const { copy } = this.deps;
    return { position: () => copy.n, onProgress: (listener) => copy.onProgress(listener) };
  }

  /**
   * Resolves true once this process has applied every line committed before
   * the call (the counter's value then), false if that took longer than
   * `maxMs`. A node that has just taken a partition's lease waits for this
   * before it acts for the partition's homes: the lease's take waited for
   * the last owner's commits (their fence holds the lease row `FOR SHARE`),
   * so every line the last owner wrote is below that value.
   */
  async readUpToNow(maxMs: number): Promise<boolean> {
    const { rows } = await this.deps.db.query<{ n: string }>('SELECT n FROM journal_seq');
    const n = Number(rows[0]?.n ?? 0);
    return this.deps.copy.n >= n || this.deps.copy.reach(n, maxMs);
  }

  get current(): boolean {
    return this.tail?.current ?? false;
  }

  /** Waits for the copy to hold line `n`: only a following copy moves by itself; one that cannot read now is not waited on. */
  reach(n: number, maxMs: number): Promise<boolean> {
    return this.tail?.current ? this.deps.copy.reach(n, maxMs) : Promise.resolve(false);
  }

  /** A cluster node's standby period, once it leads: lines its tail applied, and how long the rest took after the lock. */
  standbyTail(replayAfterLockMs: number | undefined): StandbyTailStats | undefined {
    if (!this.tail) return undefined;
    const led = replayAfterLockMs !== undefined;
    return { lines: this.tail.applied, reads: this.tail.reads, linesAfterLock: led ? this.deps.copy.applied - this.tail.applied : undefined, replayAfterLockMs };
  }
}
