/**
 * Committing one batch of a PostgreSQL journal (journal-pg.ts): the fence it
 * is written under, and the retries until it is committed or refused for
 * good. Unlike a failed disk, a lost connection is expected to come back, so
 * the batch is sent again — after first asking journal_writer whether the
 * attempt whose outcome was unknown went in — while its durable promises
 * simply wait. A fence that refuses the batch is lost leadership, said with
 * which partition and why.
 *
 * Apart from journal-pg.ts because this is the journal's one talk with the
 * database per batch; the queue, the appends and the replay stay there.
 * `notHeldHere` is here too: it is the same owner's fence, applied at append.
 */
import { NotOwnedHereError } from '../../core/partition-ownership.js';
import { HOMELESS_PARTITION } from '../../core/partitions.js';
import type { PgDatabase } from './database.js';
import { isPermanentError, uniqueViolation } from './errors.js';
import { appendBatch, type BatchFence, BatchFencedError, type CommittedBatch, committedBefore } from './journal-sql.js';
import { JournalLockedError, type JournalWriterConnection, LeadershipLostError } from './journal-writer-connection.js';
import { type HeldPartitions, PartitionNotHeldError, readPartitionLeases, whyFenced } from './partition-leases.js';
import { type Batch, describeBatch } from './pg-batch.js';

export interface BatchCommitDeps {
  db: PgDatabase;
  writer: JournalWriterConnection;
  /** This writer's session in journal_writer, under which each batch's number is recorded. */
  session: string;
  /** A cluster node: a fenced batch is lost leadership (another node may lead), never retaken. */
  cluster: boolean;
  /** An owner of a share of the partitions (`homeLeases`): fenced by the balancer's leases as they are now. */
  ownsShare: boolean;
  /** Each commit wakes the other nodes' tails (journal-tail.ts). */
  notify: boolean;
  retryDelays: () => { min: number; max: number };
  /** Why the journal cannot write now, for the error of a batch given up on close(). */
  lastError: () => string | undefined;
  /** The batch is committed: its numbers into its entries (called before commit() resolves). */
  committed: (batch: Batch, committed: CommittedBatch) => void;
}

export class BatchCommitter {
  /** The last attempt's error while a batch is being retried. */
  private _stalled: string | undefined;
  /** close() stopped waiting: pending batches are rejected instead of retried. */
  private abandoned = false;
  private wakeRetry: (() => void) | undefined;

  constructor(private readonly deps: BatchCommitDeps) {}

  get stalled(): string | undefined {
    return this._stalled;
  }

  /** Stops waiting for the database: the batch being retried, and every later one, is rejected. */
  abandon(): void {
    this.abandoned = true;
    this.wakeRetry?.();
  }

  /**
   * Appends the batch, retrying until it is committed; throws only for good.
   * After an attempt whose outcome is unknown (the connection dropped), the
   * next one first asks journal_writer whether it went in: sent again, every
   * line would be written twice under new numbers.
   */
  async commit(batch: Batch): Promise<void> {
    const { writer, session, notify } = this.deps;
    const { min, max } = this.deps.retryDelays();
    let outcomeUnknown = false;
    for (let delay = min; ; delay = Math.min(max, delay * 2)) {
      if (this.abandoned) throw new Error(`still unreachable when the hub stopped: ${this.deps.lastError() ?? 'unknown error'}`);
      try {
        // Taken afresh at each attempt, once connected: a hub alone that reconnected may hold its partitions under new epochs.
        await writer.ensureConnected();
        const earlier = outcomeUnknown ? await committedBefore(writer, session, batch.no) : undefined;
        const held = writer.partitions;
        if (!held) throw new Error('journal: a batch before the writer took the partitions');
        const fence = this.deps.ownsShare ? this.ownersFence(held, batch) : held.fenceFor(batch.partitions);
        const committed = earlier ?? (await appendBatch(writer, batch.lines, { fence, session, batch: batch.no, notify }));
        this._stalled = undefined;
        this.deps.committed(batch, committed);
        return;
      } catch (caught) {
        let err = caught;
        if (err instanceof BatchFencedError) {
          if (this.deps.cluster || this.deps.ownsShare) throw await this.fencedOut(batch);
          // A hub alone holds the lock: its leases can only have run out (late renewals), so it takes them again and retries.
          try {
            await writer.retakePartitions();
            continue;
          } catch (retakeError) {
            err = retakeError; // an unreachable database is waited for below, like any attempt
          }
        }
        if (uniqueViolation(err) === 'journal_pkey') {
          throw new Error(
            'the line numbers journal_seq hands out are taken already: rows were written into the journal without moving its counter (by hand, or a copy); restart the hub, which moves the counter to the last line when it opens, and check the rows with `npm run audit:verify`',
            { cause: err },
          );
        }
        if (isPermanentError(err) || err instanceof JournalLockedError || err instanceof LeadershipLostError || err instanceof PartitionNotHeldError) throw err;
        outcomeUnknown = true; // a dropped connection: the statement may have committed
        this._stalled = `${this.deps.db.description}: ${(err as Error).message}`;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeRetry = () => (clearTimeout(timer), resolve());
        });
      }
    }
  }

  /**
   * An owner's fence: the balancer's leases as they are now. A line for a
   * partition this node does not hold means a service acted for a home it
   * does not own (or no longer does): its memory has that line applied, so
   * it must not write again (it restarts and reads the journal afresh).
   */
  private ownersFence(held: HeldPartitions, batch: Batch): BatchFence {
    const missing = [...batch.partitions].filter((p) => held.epochOf(p) === undefined).sort((a, b) => a - b);
    if (missing.length === 0) return held.fenceFor(batch.partitions);
    const which = missing.map((p) => (p === HOMELESS_PARTITION ? 'the home-less partition (-1, the leader\'s)' : `partition ${p}`)).join(', ');
    throw this.deps.writer.fencedOut(new LeadershipLostError(`this node (${held.owner}) holds no lease of ${which}: ${describeBatch(batch)} refused, nothing written`));
  }

  /**
   * A partition of the batch has another owner or epoch now, or its lease ran
   * out: this cluster node must never write again (another node may lead).
   * Says which and why, and is lost leadership like a lost lock.
   */
  private async fencedOut(batch: Batch): Promise<LeadershipLostError> {
    const held = this.deps.writer.partitions!;
    const rows = await readPartitionLeases(this.deps.db).catch(() => []);
    const described = whyFenced(rows, held, batch.partitions);
    return this.deps.writer.fencedOut(new LeadershipLostError(`${described}: ${describeBatch(batch)} refused by the lease fence, nothing written`));
  }
}

/**
 * A line for a home whose partition this node does not hold (spread
 * partitions): nothing was queued or changed; its owner takes the work (an
 * API answers 503: retry, the front routes it to the owner).
 */
export function notHeldHere(partition: number): NotOwnedHereError {
  const which = partition === HOMELESS_PARTITION ? "the home-less partition (-1, the leader's)" : `partition ${partition}`;
  return new NotOwnedHereError(`this node does not hold ${which} now; another node acts for it: try again`);
}
