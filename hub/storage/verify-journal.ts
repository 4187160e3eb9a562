/**
 * Read-only check of the whole journal's hash chain (DESIGN.md §6: "each line
 * carrying the hash of the previous one so tampering is detectable"). Backs
 * `npm run audit:verify`; never modifies a file, not even a torn tail.
 *
 * Where an edit shows up: a line's `prev` covers the line BEFORE it, so
 * changing the data of line k leaves line k itself consistent and breaks line
 * k+1 ("prev hash does not match line k"). Changing n shows up at line k
 * itself, a deleted line shows up at the line that took its place (n skips).
 * An edit of the very last line has no successor to contradict it; only an
 * anchor kept elsewhere (e.g. a copy of lastN and its hash) can catch that.
 */
import { join } from 'node:path';
import { listJournalFiles, scanLines } from './journal-files.js';
import { GENESIS_PREV, hashLine, parseEntry } from './journal-format.js';

export type VerifyResult =
  | { ok: true; files: number; lines: number }
  /** `file` is the file name within the directory, `line` is 1-based within that file, `lines` counts the good lines before it. */
  | { ok: false; files: number; lines: number; file: string; line: number; reason: string };

export async function verifyJournal(dir: string): Promise<VerifyResult> {
  const files = await listJournalFiles(dir);
  let lines = 0;
  let expectedN = 1;
  let expectedPrev = GENESIS_PREV;
  // Where the previous line was, to name it in the reason.
  let previous: { file: string; line: number } | undefined;

  for (const [index, file] of files.entries()) {
    let bad: { line: number; reason: string } | undefined;
    const scan = await scanLines(join(dir, file), ({ bytes, lineNo }) => {
      const parsed = parseEntry(bytes.toString('utf8'));
      if (!parsed.ok) {
        bad = { line: lineNo, reason: parsed.reason };
        return false;
      }
      const { n, prev } = parsed.entry;
      if (n !== expectedN) {
        bad = { line: lineNo, reason: describeNMismatch(n, expectedN) };
        return false;
      }
      if (prev !== expectedPrev) {
        bad = { line: lineNo, reason: describePrevMismatch(file, previous) };
        return false;
      }
      lines += 1;
      expectedN = n + 1;
      expectedPrev = hashLine(bytes);
      previous = { file, line: lineNo };
      return true;
    });
    if (!bad && scan.fragment) {
      const reason =
        index === files.length - 1
          ? 'incomplete last line (no trailing newline): a write cut short by a crash — starting the hub repairs it'
          : 'incomplete line (no trailing newline) in a file that is not the newest';
      bad = { line: scan.fragment.lineNo, reason };
    }
    if (bad) return { ok: false, files: files.length, lines, file, line: bad.line, reason: bad.reason };
  }
  return { ok: true, files: files.length, lines };
}

function describeNMismatch(n: number, expected: number): string {
  if (n > expected) {
    const missing = n - expected;
    return `n is ${n}, expected ${expected}: ${missing} line${missing === 1 ? '' : 's'} missing before this one (deleted), or n was edited`;
  }
  return `n is ${n}, expected ${expected}: a line is repeated or n was edited`;
}

function describePrevMismatch(file: string, previous: { file: string; line: number } | undefined): string {
  if (!previous) {
    return 'prev is not 64 zeros although this is the first line of the journal — earlier lines or files were removed, or this line was edited';
  }
  const ref = previous.file === file ? `line ${previous.line}` : `line ${previous.line} of ${previous.file}`;
  return `prev hash does not match ${ref} — ${ref} or this line was edited`;
}
