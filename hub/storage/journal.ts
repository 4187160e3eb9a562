/**
 * The alert/audit journal (DESIGN.md §6): append-only JSON Lines, hash-chained,
 * rotated by UTC month, fdatasync'd with group commit.
 *
 * It is the durability backbone: an alarm must be on disk before the device
 * gets its PUBACK (§6, §10 — Aedes acks before its `published` hook), so the
 * hub awaits `append(...).durable` in the pre-ack path. Therefore:
 * - `append` is synchronous and does no I/O: it fixes n, at and prev, queues
 *   the line and returns a promise for its durability.
 * - One flush is in flight at a time; it writes every queued line with one
 *   write call, then fdatasyncs. Lines appended meanwhile form the next batch,
 *   so under load many appends share one fsync, and at low load a line is
 *   flushed on the next microtask (no timer, no added latency).
 * - A failed write or fsync makes the journal unhealthy for good: the
 *   in-memory chain has moved past lines that are not on disk, so every later
 *   append is rejected too — never dropped silently.
 */
import { ensureDir } from './journal-files.js';
import { formatEntry, GENESIS_PREV, hashLine, type JournalEntry, monthOf } from './journal-format.js';
import { replayJournal } from './journal-replay.js';
import { defaultOpenJournalFile, MonthlyFileWriter, type OpenJournalFile } from './journal-writer.js';

export type { JournalEntry } from './journal-format.js';
export type { OpenJournalFile } from './journal-writer.js';
export { verifyJournal, type VerifyResult } from './verify-journal.js';

export interface JournalOptions {
  dir: string;
  /** Injected clock (ms since epoch), default Date.now. */
  now?: () => number;
  /** Called once, when the first write/fsync fails. */
  onError?: (err: Error) => void;
  /** Called on open when a torn tail was repaired or the chain is broken. */
  onWarning?: (msg: string) => void;
  /** Opens a journal file for appending. Tests inject real failing files (e.g. /dev/full) through it. */
  openFile?: OpenJournalFile;
}

export interface AppendResult<T> {
  entry: JournalEntry<T>;
  /** Resolves once the line is written and fdatasync'd; rejects if it never will be. */
  durable: Promise<void>;
}

export interface JournalStats {
  appends: number;
  /** Completed write+fdatasync rounds. */
  flushes: number;
  /** Bytes written and synced. */
  bytes: number;
}

/** Lines of one month that are flushed together. All share one promise. */
interface Batch {
  month: string;
  lines: string[];
  firstN: number;
  lastN: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

type State = 'new' | 'opening' | 'open' | 'closed';

const noop = (): void => {};

/** A promise that rejects without ever counting as unhandled, yet still rejects for whoever awaits it. */
function rejected(err: Error): Promise<void> {
  const p = Promise.reject(err);
  p.catch(noop);
  return p;
}

function describeLines(firstN: number, lastN: number): string {
  return firstN === lastN ? `line n=${firstN} is` : `lines n=${firstN}..${lastN} are`;
}

export class Journal {
  private readonly dir: string;
  private readonly now: () => number;
  private readonly onError: ((err: Error) => void) | undefined;
  private readonly onWarning: ((msg: string) => void) | undefined;
  private readonly writer: MonthlyFileWriter;

  private state: State = 'new';
  private nextPrev = GENESIS_PREV;
  private lastMonth: string | undefined;
  private _lastN = 0;
  private _durableN = 0;
  /** Batches waiting for the flusher; the last one takes new appends. */
  private readonly queue: Batch[] = [];
  private inFlight: Batch | undefined;
  private flushScheduled = false;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private readonly _stats: JournalStats = { appends: 0, flushes: 0, bytes: 0 };

  /** Only assigns (DESIGN.md §2 patterns: constructors do no I/O). */
  constructor(options: JournalOptions) {
    this.dir = options.dir;
    this.now = options.now ?? Date.now;
    this.onError = options.onError;
    this.onWarning = options.onWarning;
    this.writer = new MonthlyFileWriter(options.dir, options.openFile ?? defaultOpenJournalFile);
  }

  get lastN(): number {
    return this._lastN;
  }
  get durableN(): number {
    return this._durableN;
  }
  get healthy(): boolean {
    return this.failure === undefined;
  }
  get lastError(): string | undefined {
    return this.failure?.message;
  }
  get stats(): JournalStats {
    return { ...this._stats };
  }

  /**
   * Creates the directory, replays every line in order into `onEntry`, repairs
   * a torn tail of the newest file, and continues n and the chain from the last
   * line. Throws (naming file:line) on corruption anywhere else.
   */
  async open(onEntry?: (entry: JournalEntry) => void): Promise<number> {
    if (this.state !== 'new') throw new Error(`journal: open() called when already ${this.state}`);
    this.state = 'opening';
    try {
      try {
        await ensureDir(this.dir);
      } catch (err) {
        throw new Error(`journal: cannot create directory ${this.dir}: ${(err as Error).message}`, { cause: err });
      }
      const replay = await replayJournal({ dir: this.dir, onEntry, onWarning: this.onWarning, now: this.now });
      this._lastN = replay.lastN;
      this._durableN = replay.lastN; // replay fdatasync'd the newest file
      this.nextPrev = replay.lastHash;
      this.lastMonth = replay.lastMonth;
      if (this.state === 'opening') this.state = 'open'; // unless close() was called meanwhile
      return replay.count;
    } catch (err) {
      this.state = 'closed';
      throw err;
    }
  }

  append<T>(type: string, data: T): AppendResult<T> {
    if (this.state !== 'open') {
      throw new Error(this.state === 'closed' ? 'journal: append after close()' : 'journal: append before open() finished');
    }
    if (typeof type !== 'string' || type === '') throw new TypeError('journal: type must be a non-empty string');
    if (data === undefined || typeof data === 'function' || typeof data === 'symbol') {
      // JSON.stringify would drop the key and break the fixed line format.
      throw new TypeError(`journal: data of "${type}" must be JSON-serialisable, got ${typeof data}`);
    }
    // Everything that can throw (a NaN clock, BigInt or cyclic data) happens
    // before the chain advances, so a rejected call leaves no gap.
    const entry: JournalEntry<T> = {
      n: this._lastN + 1,
      at: new Date(this.now()).toISOString(),
      type,
      data,
      prev: this.nextPrev,
    };
    const line = formatEntry(entry);
    this._lastN = entry.n;
    this.nextPrev = hashLine(line);
    this._stats.appends += 1;

    if (this.failure) return { entry, durable: rejected(this.refusal(entry.n, entry.n)) };

    // The file is chosen by the month of `at`, but never an older file than
    // the newest one: if the clock steps back over a month boundary the line
    // stays in the current file, so file order remains chain order.
    const lineMonth = monthOf(entry.at);
    const month = this.lastMonth !== undefined && this.lastMonth > lineMonth ? this.lastMonth : lineMonth;
    this.lastMonth = month;

    let batch = this.queue.at(-1);
    if (!batch || batch.month !== month) {
      batch = this.newBatch(month, entry.n);
      this.queue.push(batch);
    }
    batch.lines.push(line);
    batch.lastN = entry.n;
    this.scheduleFlush();
    return { entry, durable: batch.done };
  }

  whenDurable(): Promise<void> {
    if (this.failure && this._lastN > this._durableN) {
      return rejected(this.refusal(this._durableN + 1, this._lastN));
    }
    // Batches complete in order and a failure rejects all later ones, so the newest batch speaks for all.
    const newest = this.queue.at(-1) ?? this.inFlight;
    return newest ? newest.done : Promise.resolve();
  }

  /**
   * Waits for pending lines, then closes the file. Resolves even if lines
   * could not be written: that was already reported through their `durable`
   * promises and onError, and a stop sequence should not abort half-way.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closed';
      await this.whenDurable().catch(noop);
      await this.writer.close();
    })();
    return this.closing;
  }

  private newBatch(month: string, firstN: number): Batch {
    let resolve: () => void = noop;
    let reject: (err: Error) => void = noop;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(noop); // nobody has to await `durable`; a failure is still reported via onError
    return { month, lines: [], firstN, lastN: firstN, done, resolve, reject };
  }

  private scheduleFlush(): void {
    // A running flush loop picks the queue up when its current batch is done.
    if (this.flushScheduled || this.inFlight) return;
    this.flushScheduled = true;
    // A microtask, not a timer: appends made in the same tick share the flush, and nothing waits.
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
        this._durableN = batch.lastN;
        this._stats.flushes += 1;
        batch.resolve();
      } catch (err) {
        await this.fail(err, batch);
      } finally {
        this.inFlight = undefined;
      }
    }
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const buf = Buffer.from(`${batch.lines.join('\n')}\n`, 'utf8');
    await this.writer.write(batch.month, buf);
    this._stats.bytes += buf.length;
  }

  private async fail(err: unknown, batch: Batch): Promise<void> {
    const cause = err instanceof Error ? err : new Error(String(err));
    const code = (cause as NodeJS.ErrnoException).code;
    const where = this.writer.pathFor(batch.month);
    this.failure = new Error(
      `journal write failed at ${where}${code ? ` (${code})` : ''}: ${cause.message} — ` +
        `${describeLines(batch.firstN, batch.lastN)} NOT durable; the journal refuses further writes until the hub restarts`,
      { cause },
    );
    await this.writer.rollback();
    batch.reject(this.failure);
    for (const later of this.queue.splice(0)) later.reject(this.refusal(later.firstN, later.lastN));
    try {
      this.onError?.(this.failure);
    } catch {
      // A throwing listener must not stop the rejection of the promises above.
    }
  }

  private refusal(firstN: number, lastN: number): Error {
    const lines = describeLines(firstN, lastN);
    return new Error(`journal is unhealthy: ${lines} not written: ${this.failure?.message ?? 'unknown failure'}`, {
      cause: this.failure,
    });
  }
}
