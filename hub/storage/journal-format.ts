/**
 * The journal's line format (DESIGN.md §6): one JSON object per line,
 * `{"n","at","type","data","prev"}` in that key order, each line carrying the
 * SHA-256 of the previous line's exact text so that editing, removing or
 * reordering a line is detectable. Pure functions only — no I/O — so the
 * writer (journal.ts), the replay and the verifier all agree on one definition.
 */
import { createHash } from 'node:crypto';

export interface JournalEntry<T = unknown> {
  /** 1-based global sequence number; continues across monthly files. */
  n: number;
  /** ISO-8601 UTC timestamp (`Date.prototype.toISOString`). */
  at: string;
  type: string;
  data: T;
  /** SHA-256 hex of the previous line's text (without its `\n`); 64 zeros for line 1. */
  prev: string;
}

/** `prev` of the very first line ever written. */
export const GENESIS_PREV = '0'.repeat(64);

const KEY_ORDER = ['n', 'at', 'type', 'data', 'prev'] as const;
const HEX64 = /^[0-9a-f]{64}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** `YYYY-MM.jsonl`: the only names the journal reads; anything else in the directory is ignored. */
const FILE_NAME = /^(\d{4}-\d{2})\.jsonl$/;

/** SHA-256 hex of one line's text. Strings are hashed as UTF-8, i.e. exactly the bytes written. */
export function hashLine(line: string | Uint8Array): string {
  return createHash('sha256').update(line).digest('hex');
}

/**
 * Serialises an entry. The object literal fixes the key order; JSON.stringify
 * escapes control characters (so a line never contains a raw `\n`) and, since
 * ES2019, lone surrogates — the text is therefore valid UTF-8 and hashes the same
 * before and after a round trip through the file.
 */
export function formatEntry(entry: JournalEntry): string {
  return JSON.stringify({ n: entry.n, at: entry.at, type: entry.type, data: entry.data, prev: entry.prev });
}

/**
 * The same text as formatEntry, from stored columns: `data` as its JSON text
 * (a PostgreSQL json column keeps it verbatim), so a line read back from the
 * database hashes exactly as it did when written.
 */
export function formatEntryText(n: number, at: string, type: string, dataText: string, prev: string): string {
  return `{"n":${n},"at":${JSON.stringify(at)},"type":${JSON.stringify(type)},"data":${dataText},"prev":${JSON.stringify(prev)}}`;
}

export type ParseResult = { ok: true; entry: JournalEntry } | { ok: false; reason: string };

/** Parses and shape-checks one line. Chain checks (n, prev) are the caller's job. */
export function parseEntry(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const keys = Object.keys(value);
  if (keys.length !== KEY_ORDER.length || keys.some((k, i) => k !== KEY_ORDER[i])) {
    return { ok: false, reason: `keys are ${keys.join(',') || '(none)'}, expected ${KEY_ORDER.join(',')}` };
  }
  const o = value as Record<string, unknown>;
  if (typeof o.n !== 'number' || !Number.isSafeInteger(o.n) || o.n < 1) {
    return { ok: false, reason: 'n is not a positive integer' };
  }
  if (typeof o.at !== 'string' || !ISO_UTC.test(o.at) || Number.isNaN(Date.parse(o.at))) {
    return { ok: false, reason: 'at is not an ISO-8601 UTC timestamp' };
  }
  if (typeof o.type !== 'string' || o.type === '') return { ok: false, reason: 'type is not a non-empty string' };
  if (typeof o.prev !== 'string' || !HEX64.test(o.prev)) return { ok: false, reason: 'prev is not 64 lowercase hex digits' };
  return { ok: true, entry: value as JournalEntry };
}

/** `YYYY-MM` (UTC) of an ISO timestamp produced by toISOString. */

export function fileNameForMonth(month: string): string {
  return `${month}.jsonl`;
}

/** The month of a journal file name, or undefined if the name is not a journal file. */
export function monthOfFileName(name: string): string | undefined {
  return FILE_NAME.exec(name)?.[1];
}
