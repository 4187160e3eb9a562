/**
 * Start-up replay of the journal (DESIGN.md §6: "replayed into memory at
 * start"), including the repair of a torn tail left by kill -9 or a power cut.
 *
 * Why only the tail of the LAST file may be repaired: the writer appends one
 * batch at a time and fdatasyncs it before touching the next month's file, so
 * the only bytes that can be half-written are those of the newest file after
 * its last complete line — and none of them was ever reported durable. A bad
 * line anywhere else cannot come from a crash; it is corruption or tampering,
 * and deleting evidence would be worse than refusing to start.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fsyncDir, listJournalFiles, scanLines } from './journal-files.js';
import { GENESIS_PREV, hashLine, type JournalEntry, monthOfFileName, parseEntry } from './journal-format.js';

export interface ReplayOptions {
  dir: string;
  onEntry?: ((entry: JournalEntry) => void) | undefined;
  onWarning?: ((msg: string) => void) | undefined;
  /** For naming the file the torn bytes are saved to. */
  now: () => number;
}

export interface ReplayResult {
  count: number;
  lastN: number;
  /** Hash of the last complete line: the next line's `prev`. */
  lastHash: string;
  /** Hash of line n=1, when the journal has it: the journal's identity (JournalStore.chainId). */
  firstHash: string | undefined;
  /** Month of the newest file; the writer never goes back to an older file. */
  lastMonth: string | undefined;
}

export async function replayJournal(options: ReplayOptions): Promise<ReplayResult> {
  const { dir, onEntry, onWarning } = options;
  const files = await listJournalFiles(dir);
  const result: ReplayResult = { count: 0, lastN: 0, lastHash: GENESIS_PREV, firstHash: undefined, lastMonth: undefined };
  let chainWarned = false;

  for (const [index, name] of files.entries()) {
    const path = join(dir, name);
    const isLast = index === files.length - 1;
    // First bad line of the last file; it is a torn tail only if nothing good follows it.
    let firstBad: { lineNo: number; offset: number; reason: string } | undefined;

    const scan = await scanLines(path, ({ bytes, lineNo, offset }) => {
      const parsed = parseEntry(bytes.toString('utf8'));
      if (!parsed.ok) {
        if (!isLast) throw corruption(path, lineNo, parsed.reason);
        firstBad ??= { lineNo, offset, reason: parsed.reason };
        return;
      }
      if (firstBad) throw corruption(path, firstBad.lineNo, `${firstBad.reason} (and valid lines follow it)`);
      const { entry } = parsed;
      // A broken chain does not stop the hub — an alarm hub that refuses to
      // start helps nobody — but it is reported; `npm run audit:verify` names the line.
      if (!chainWarned && (entry.n !== result.lastN + 1 || entry.prev !== result.lastHash)) {
        chainWarned = true;
        onWarning?.(
          `journal chain broken at ${path}:${lineNo} (n=${entry.n}, expected ${result.lastN + 1}); ` +
            'replay continues — run `npm run audit:verify` for details',
        );
      }
      onEntry?.(entry);
      result.count += 1;
      result.lastN = entry.n;
      result.lastHash = hashLine(bytes);
      if (entry.n === 1) result.firstHash ??= result.lastHash;
    });

    if (scan.fragment && !isLast) {
      throw corruption(path, scan.fragment.lineNo, 'incomplete line (no trailing newline) in a file that is not the newest');
    }
    if (isLast) {
      const torn = firstBad ?? scan.fragment;
      if (torn) await repairTornTail(path, torn.offset, torn.lineNo, options);
      else await syncFile(path);
    }
    result.lastMonth = monthOfFileName(name);
  }
  return result;
}

function corruption(path: string, lineNo: number, reason: string): Error {
  return new Error(
    `journal corrupt at ${path}:${lineNo}: ${reason}. This is not a torn write (those only occur at the end ` +
      'of the newest file); refusing to start rather than discard audit history — inspect or restore the file',
  );
}

/**
 * Cuts the file back to its last complete line. The removed bytes are saved
 * next to it first (never silently drop — they may matter to an investigation),
 * then the truncation is fdatasync'd so the next append lands after the last
 * good line even if the power fails again.
 */
async function repairTornTail(path: string, offset: number, lineNo: number, options: ReplayOptions): Promise<void> {
  const savedTo = await saveTail(path, offset, options.now());
  const fh = await open(path, 'r+');
  let removed: number;
  try {
    removed = (await fh.stat()).size - offset;
    await fh.truncate(offset);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await fsyncDir(options.dir);
  options.onWarning?.(
    `journal: removed a torn tail of ${removed} bytes from ${path} starting at line ${lineNo} ` +
      `(a write cut short by a crash; it was never reported durable); the bytes are saved in ${savedTo}`,
  );
}

/** Copies the bytes from `offset` to `<path>.torn-<time>[-k]`, never overwriting an earlier one. */
async function saveTail(path: string, offset: number, time: number): Promise<string> {
  for (let k = 0; ; k++) {
    const savedTo = `${path}.torn-${time}${k === 0 ? '' : `-${k}`}`;
    try {
      await pipeline(createReadStream(path, { start: offset }), createWriteStream(savedTo, { flags: 'wx', mode: 0o600 }));
      return savedTo;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * After kill -9 the lines are in the page cache but maybe not on disk; sync
 * them before reporting them as durable (durableN = lastN after open).
 */
async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
