/**
 * A PostgreSQL journal batch (journal-pg.ts): lines queued without numbers,
 * which the database numbers and chains when it commits them (migration
 * 0006), and what the commit fills back into the entries their appends
 * returned.
 */
import { describeLines, type QueuedBatch } from '../journal-chain.js';
import { formatEntryText, type JournalEntry } from '../journal-format.js';
import type { CommittedBatch, UnnumberedLine } from './journal-sql.js';

/** A queued line, and the entry its append returned: the commit fills in its n and prev. */
export interface PendingLine extends UnnumberedLine {
  entry: JournalEntry;
}

/** firstN and lastN are 0 until the batch commits: the database numbers it. */
export interface Batch extends QueuedBatch {
  lines: PendingLine[];
  /** The partitions its lines belong to: its fence. */
  partitions: Set<number>;
  /** This writer session's number for it (journal_writer): after a lost reply, whether it went in. */
  no: number;
}

/** The commit's numbers and chain into the batch and its entries, and its bytes counted; returns the last line's hash. */
export function numberLines(batch: Batch, committed: CommittedBatch): string {
  batch.firstN = committed.firstN;
  batch.lastN = committed.lastN;
  let prev = committed.prev;
  batch.lines.forEach((line, i) => {
    const n = committed.firstN + i;
    line.entry.n = n;
    line.entry.prev = prev;
    batch.bytes += Buffer.byteLength(formatEntryText(n, line.at, line.type, line.dataText, prev)) + 1;
    prev = committed.hashes[i]!;
  });
  return prev;
}

/** "lines n=5..9 are" once committed; before, how many (they have no numbers yet). */
export function describeBatch(batch: Batch): string {
  if (batch.firstN > 0) return describeLines(batch.firstN, batch.lastN);
  return batch.lines.length === 1 ? 'line (not numbered yet) is' : `${batch.lines.length} lines (not numbered yet) are`;
}
