/**
 * This process's copy of the PostgreSQL journal as it reads the table back:
 * the replay at start, a standby's tail, and a writer that follows the other
 * writers (issue 12 step 3, docs/CLUSTER.md "Step 3's writers").
 *
 * It keeps the read cursor — the n and hash of the last line read — and checks
 * the chain against it (warned once: the replay goes on, `audit:verify`
 * names the break). Each line is handed to the replayers, except the lines
 * this process's own writer session committed: it applied those to its memory
 * when it appended them, and a tail that follows several writers brings them
 * back among the others'. Whoever waits for a line (a console read on a
 * standby, the alert feed's order) is told as the cursor moves.
 */
import { GENESIS_PREV, hashLine, type JournalEntry } from '../journal-format.js';
import { ProgressWaiters } from '../../core/progress-waiters.js';
import type { StoredLine } from './journal-sql.js';

export interface JournalCopyDeps {
  /** For the chain warning: the database. */
  location: string;
  /** This process's writer session (journal_writer): its lines are not applied again. */
  session: string;
  onWarning?: ((message: string) => void) | undefined;
  /** Each line applied, after the replayers (the journal's message keys). */
  noted?: (entry: JournalEntry) => void;
}

export class JournalCopy {
  /** The last line read. */
  n = 0;
  /** Its hash: the next line's prev. */
  tip = GENESIS_PREV;
  /** Line 1's hash, once read. */
  firstHash: string | undefined;
  /** Lines handed to the replayers (own lines skipped are not counted). */
  applied = 0;
  /** Told of every line applied; set when the journal opens. */
  onEntry: ((entry: JournalEntry) => void) | undefined;
  private chainWarned = false;
  private readonly waiters = new ProgressWaiters(() => this.n);
  private readonly listeners = new Set<(n: number) => void>();

  constructor(private readonly deps: JournalCopyDeps) {}

  apply({ entry, text, storedHash, writer }: StoredLine): void {
    // Read already: a writer that follows the others replays after its lock while its tail still reads.
    if (entry.n <= this.n) return;
    const hash = hashLine(text);
    if (!this.chainWarned && (entry.n !== this.n + 1 || entry.prev !== this.tip || hash !== storedHash)) {
      this.chainWarned = true;
      this.deps.onWarning?.(`journal chain broken at n=${entry.n} in ${this.deps.location}; replay continues — run \`npm run audit:verify\` for details`);
    }
    if (writer !== this.deps.session) {
      this.onEntry?.(entry);
      this.deps.noted?.(entry);
      this.applied += 1;
    }
    this.n = entry.n;
    this.tip = hash;
    if (entry.n === 1) this.firstHash ??= hash;
    this.waiters.advance(entry.n);
    for (const listener of this.listeners) listener(entry.n);
  }

  /** Resolves true once the copy holds line `n`, false after `maxMs`. */
  reach(n: number, maxMs: number): Promise<boolean> {
    return this.waiters.reach(n, maxMs);
  }

  /** Ends every wait as not reached (the node leads now, or the journal closed). */
  cancelWaits(): void {
    this.waiters.cancelAll();
  }

  /** Told of every line read, in n order, once applied. */
  onProgress(listener: (n: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
