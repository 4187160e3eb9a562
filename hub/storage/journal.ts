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
import { rejected } from '../core/rejected.js';
import { describeLines, GroupCommitJournal, noop, type QueuedBatch } from './journal-chain.js';
import { utcMonthOf } from '../core/months.js';
import type { JournalEntry } from './journal-format.js';
import { replayJournal } from './journal-replay.js';
import type { AppendResult, JournalStore } from './ports.js';
import { DurableAppend } from './durable-append.js';
import { defaultOpenJournalFile, MonthlyFileWriter, type OpenJournalFile } from './journal-writer.js';

export type { JournalEntry } from './journal-format.js';
export type { AppendResult, JournalStats, JournalStore } from './ports.js';
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
  /**
   * Opens a journal file for appending. Tests inject real failing files (e.g. /dev/full) through
   * it; their writes then go through the FileHandle (the thread pool), not the writer thread.
   */
  openFile?: OpenJournalFile;
}

/** How long the event loop waits for the writer thread before a write finishes in the background (durable-append.ts). */
const DURABLE_WAIT_MS = 2;

/** Lines of one month that are flushed together. All share one promise. */
interface Batch extends QueuedBatch {
  month: string;
  lines: string[];
}

export class Journal extends GroupCommitJournal<Batch> implements JournalStore {
  private readonly dir: string;
  private readonly onWarning: ((msg: string) => void) | undefined;
  private readonly writer: MonthlyFileWriter;
  private readonly writerThread: DurableAppend | undefined;
  private lastMonth: string | undefined;
  private closing: Promise<void> | undefined;

  /** Only assigns (DESIGN.md §2 patterns: constructors do no I/O). */
  constructor(options: JournalOptions) {
    super(options.now ?? Date.now, options.onError);
    this.dir = options.dir;
    this.onWarning = options.onWarning;
    // The writer thread starts in open(), not here (constructors do no I/O).
    this.writerThread = options.openFile ? undefined : new DurableAppend(DURABLE_WAIT_MS);
    this.writer = new MonthlyFileWriter(options.dir, options.openFile ?? defaultOpenJournalFile, this.writerThread);
  }

  get location(): string {
    return this.dir;
  }
  get healthy(): boolean {
    return this.failure === undefined;
  }
  get lastError(): string | undefined {
    return this.failure?.message;
  }
  noticeDurable(): void {
    this.writerThread?.poll();
  }

  /** Files have one writer by construction (the data dir): no epochs. */
  get leaderEpoch(): undefined {
    return undefined;
  }
  /** Never told: the files journal is not shared between processes, so it has no leadership to lose. */
  onLeadershipLost(): void {}

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
      this._chainId = replay.firstHash;
      this.lastMonth = replay.lastMonth;
      this.writerThread?.prepare();
      if (this.state === 'opening') this.state = 'open'; // unless close() was called meanwhile
      return replay.count;
    } catch (err) {
      this.state = 'closed';
      throw err;
    }
  }

  append<T>(type: string, data: T): AppendResult<T> {
    const next = this.advance(type, data);
    const { entry } = next;
    if (this.failure) return { entry, durable: rejected(this.refusal(describeLines(entry.n, entry.n))) };

    // The file is chosen by the month of `at`, but never an older file than
    // the newest one: if the clock steps back over a month boundary the line
    // stays in the current file, so file order remains chain order.
    const lineMonth = utcMonthOf(entry.at);
    const month = this.lastMonth !== undefined && this.lastMonth > lineMonth ? this.lastMonth : lineMonth;
    this.lastMonth = month;
    const batch = this.enqueue(next, (b) => b.month === month, () => ({ ...this.baseBatch(entry.n), month, lines: [] }));
    batch.lines.push(next.line);
    return { entry, durable: batch.done };
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
      await this.writerThread?.close();
    })();
    return this.closing;
  }

  protected async writeBatch(batch: Batch): Promise<void> {
    await this.writer.write(batch.month, Buffer.from(`${batch.lines.join('\n')}\n`, 'utf8'));
  }

  protected async describeFailure(cause: Error, batch: Batch): Promise<Error> {
    const code = (cause as NodeJS.ErrnoException).code;
    const where = this.writer.pathFor(batch.month);
    await this.writer.rollback();
    return new Error(
      `journal write failed at ${where}${code ? ` (${code})` : ''}: ${cause.message} — ` +
        `${describeLines(batch.firstN, batch.lastN)} NOT durable; the journal refuses further writes until the hub restarts`,
      { cause },
    );
  }
}
