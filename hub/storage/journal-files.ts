/**
 * File-level helpers for the journal: listing the monthly files, streaming
 * their lines with byte offsets, and the directory fsyncs that make a newly
 * created file survive a power cut (DESIGN.md §6).
 */
import { mkdir, open, readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { monthOfFileName } from './journal-format.js';

/** Journal file names in chronological order; a missing directory has none. */
export async function listJournalFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  // `YYYY-MM` sorts lexicographically in month order. Other names (e.g. the
  // `.torn-*` files saved by a repair) are not part of the chain.
  return names.filter((name) => monthOfFileName(name) !== undefined).sort();
}

export interface ScannedLine {
  /** The line without its `\n`. A view into a reused buffer: valid only during the callback. */
  bytes: Buffer;
  /** 1-based line number within the file. */
  lineNo: number;
  /** Byte offset of the line's first byte in the file. */
  offset: number;
}

export interface ScanResult {
  /** Complete (newline-terminated) lines seen. */
  lines: number;
  /** Bytes after the last `\n` — the mark of a torn write. */
  fragment?: { lineNo: number; offset: number; length: number };
  /** True if the callback stopped the scan early. */
  stopped: boolean;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Streams a file line by line in 1 MiB chunks. Memory stays at one chunk plus
 * the longest line, so files of hundreds of MB replay without being loaded
 * whole. Return `false` from the callback to stop early.
 */
export async function scanLines(file: string, onLine: (line: ScannedLine) => boolean | void): Promise<ScanResult> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let position = 0;
    let lineNo = 0;
    // Start of a line that spans chunks (copied, because `buf` is reused).
    let carry: Buffer | undefined;
    let carryOffset = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        lineNo += 1;
        let line: ScannedLine;
        if (carry) {
          line = { bytes: Buffer.concat([carry, chunk.subarray(0, nl)]), lineNo, offset: carryOffset };
          carry = undefined;
        } else {
          line = { bytes: chunk.subarray(start, nl), lineNo, offset: position + start };
        }
        start = nl + 1;
        if (onLine(line) === false) return { lines: lineNo, stopped: true };
      }
      if (start < bytesRead) {
        const rest = chunk.subarray(start);
        if (carry) {
          carry = Buffer.concat([carry, rest]);
        } else {
          carry = Buffer.from(rest);
          carryOffset = position + start;
        }
      }
      position += bytesRead;
    }
    const result: ScanResult = { lines: lineNo, stopped: false };
    if (carry) result.fragment = { lineNo: lineNo + 1, offset: carryOffset, length: carry.length };
    return result;
  } finally {
    await fh.close();
  }
}

/**
 * fsync a directory so that a file just created (or truncated) in it is
 * found again after a power cut: fdatasync on the file alone does not persist
 * its directory entry. Linux allows fsync on a read-only directory fd; Windows
 * cannot open directories, and there is nothing to do there.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** mkdir -p, then fsync the parent of the topmost directory created so it persists too. */
export async function ensureDir(dir: string): Promise<void> {
  // Private to the hub's user, like the whole data dir (DESIGN.md §11).
  const firstCreated = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (firstCreated !== undefined) await fsyncDir(dirname(firstCreated));
}
