/**
 * What both journal adapters (files: journal.ts, PostgreSQL:
 * postgres/journal-pg.ts) do the same way, so they cannot drift apart: the
 * checks an append must pass, fixing the next line of the hash chain, and the
 * promise plumbing of a group-commit batch.
 */
import { rejected } from '../core/rejected.js';
import { formatEntry, GENESIS_PREV, hashLine, type JournalEntry } from './journal-format.js';
import type { JournalStats } from './ports.js';

export type JournalState = 'new' | 'opening' | 'open' | 'closed';

export const noop = (): void => {};

export function describeLines(firstN: number, lastN: number): string {
  return firstN === lastN ? `line n=${firstN} is` : `lines n=${firstN}..${lastN} are`;
}

/** The promise all lines of one batch share, with its settle functions. */
export interface Settle {
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

export function newSettle(): Settle {
  let resolve: () => void = noop;
  let reject: (err: Error) => void = noop;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(noop); // nobody has to await `durable`; a failure is still reported via onError
  return { done, resolve, reject };
}

export interface NextLine<T> {
  entry: JournalEntry<T>;
  /** The exact text that is stored and hashed. */
  line: string;
  /** SHA-256 of `line`: the next line's `prev`. */
  hash: string;
}

/**
 * The checks every append must pass, before anything about the line is fixed:
 * a journal not open, an empty type, data JSON cannot carry.
 */
export function checkAppend(state: JournalState, type: string, data: unknown): void {
  if (state !== 'open') {
    throw new Error(state === 'closed' ? 'journal: append after close()' : 'journal: append before open() finished');
  }
  if (typeof type !== 'string' || type === '') throw new TypeError('journal: type must be a non-empty string');
  if (data === undefined || typeof data === 'function' || typeof data === 'symbol') {
    // JSON.stringify would drop the key and break the fixed line format.
    throw new TypeError(`journal: data of "${type}" must be JSON-serialisable, got ${typeof data}`);
  }
}

/**
 * Checks an append and fixes its line: n, at and prev. Everything that can
 * throw (a journal not open, a NaN clock, BigInt or cyclic data) happens
 * before the caller advances the chain, so a rejected call leaves no gap.
 */
export function nextLine<T>(state: JournalState, tip: { lastN: number; prev: string }, now: number, type: string, data: T): NextLine<T> {
  checkAppend(state, type, data);
  const entry: JournalEntry<T> = { n: tip.lastN + 1, at: new Date(now).toISOString(), type, data, prev: tip.prev };
  const line = formatEntry(entry);
  return { entry, line, hash: hashLine(line) };
}

/** A batch of lines flushed together; all share one promise. */
export interface QueuedBatch extends Settle {
  firstN: number;
  lastN: number;
  /** UTF-8 bytes of the lines' text, for the stats. */
  bytes: number;
}

/**
 * The group commit both adapters share: the chain tip, the queue of batches,
 * one flush in flight at a time (scheduled on a microtask, so appends of one
 * tick share a flush and nothing waits on a timer), and "unhealthy for good"
 * after a failure no retry can fix — every later append is refused, never
 * dropped silently. An adapter says how a batch is written (`writeBatch`) and
 * how a failure is described (`describeFailure`).
 */
export abstract class GroupCommitJournal<B extends QueuedBatch> {
  protected state: JournalState = 'new';
  protected nextPrev = GENESIS_PREV;
  protected _lastN = 0;
  protected _durableN = 0;
  /** Batches waiting for the flusher; the last one takes new appends. */
  protected readonly queue: B[] = [];
  protected inFlight: B | undefined;
  private flushScheduled = false;
  protected failure: Error | undefined;
  /** SHA-256 of line 1 (see `chainId`): set by the adapter's replay, or here when this process writes line 1. */
  protected _chainId: string | undefined;
  protected readonly _stats: JournalStats = { appends: 0, flushes: 0, bytes: 0 };

  constructor(
    protected readonly now: () => number,
    private readonly onError: ((err: Error) => void) | undefined,
  ) {}

  get lastN(): number {
    return this._lastN;
  }
  get durableN(): number {
    return this._durableN;
  }
  get stats(): JournalStats {
    return { ...this._stats };
  }
  get chainId(): string | undefined {
    return this._chainId;
  }

  whenDurable(): Promise<void> {
    // Failed for good: some appended line is not durable (on PostgreSQL its numbers were never given, so lastN does not show it).
    if (this.failure) return rejected(this.refusal(this._lastN > this._durableN ? describeLines(this._durableN + 1, this._lastN) : 'lines appended before the failure are'));
    // Batches complete in order and a failure rejects all later ones, so the newest batch speaks for all.
    const newest = this.queue.at(-1) ?? this.inFlight;
    return newest ? newest.done : Promise.resolve();
  }

  /** Fixes the next line and advances the chain; throws (leaving no gap) if the append is refused. */
  protected advance<T>(type: string, data: T): NextLine<T> {
    const next = nextLine(this.state, { lastN: this._lastN, prev: this.nextPrev }, this.now(), type, data);
    this._lastN = next.entry.n;
    this.nextPrev = next.hash;
    if (next.entry.n === 1) this._chainId = next.hash;
    this._stats.appends += 1;
    return next;
  }

  /** Adds a line to the newest batch, or to a new one when `fits` says the newest cannot take it. */
  protected enqueue(line: NextLine<unknown>, fits: (batch: B) => boolean, create: () => B): B {
    const batch = this.batchFor(fits, create);
    batch.lastN = line.entry.n;
    batch.bytes += Buffer.byteLength(line.line) + 1;
    return batch;
  }

  /** The newest batch, or a new one when `fits` says it cannot take another line; a flush is scheduled either way. */
  protected batchFor(fits: (batch: B) => boolean, create: () => B): B {
    let batch = this.queue.at(-1);
    if (!batch || !fits(batch)) {
      batch = create();
      this.queue.push(batch);
    }
    this.scheduleFlush();
    return batch;
  }

  protected baseBatch(firstN: number): QueuedBatch {
    return { firstN, lastN: firstN, bytes: 0, ...newSettle() };
  }

  /** Writes the batch durably; throws only when the journal must give up. */
  protected abstract writeBatch(batch: B): Promise<void>;
  /** The error that makes the journal unhealthy, naming where; may clean up (e.g. cut a half-written file back). */
  protected abstract describeFailure(cause: Error, batch: B): Promise<Error>;

  private scheduleFlush(): void {
    // A running flush loop picks the queue up when its current batch is done.
    if (this.flushScheduled || this.inFlight) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.inFlight) return;
    for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
      this.inFlight = batch;
      try {
        await this.writeBatch(batch);
        // Never back: a journal numbered at commit may have learnt of later lines from its tail meanwhile.
        this._durableN = Math.max(this._durableN, batch.lastN);
        this._stats.flushes += 1;
        this._stats.bytes += batch.bytes;
        batch.resolve();
      } catch (err) {
        await this.fail(err, batch);
      } finally {
        this.inFlight = undefined;
      }
    }
  }

  private async fail(err: unknown, batch: B): Promise<void> {
    this.failure = await this.describeFailure(err instanceof Error ? err : new Error(String(err)), batch);
    batch.reject(this.failure);
    for (const later of this.queue.splice(0)) later.reject(this.refusal(this.describeBatch(later)));
    try {
      this.onError?.(this.failure);
    } catch {
      // A throwing listener must not stop the rejection of the promises above.
    }
  }

  /** "line n=5 is", "lines n=5..9 are": what a refusal or failure names. */
  protected describeBatch(batch: B): string {
    return describeLines(batch.firstN, batch.lastN);
  }

  /** `what`: the lines refused, as describeLines words them. */
  protected refusal(what: string): Error {
    return new Error(`journal is unhealthy: ${what} not written: ${this.failure?.message ?? 'unknown failure'}`, { cause: this.failure });
  }
}
