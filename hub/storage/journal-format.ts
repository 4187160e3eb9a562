/**
 * The journal's line format (DESIGN.md §6): one JSON object per line,
 * `{"n","at","type","data","prev"}` in that key order, each line carrying the
 * SHA-256 of the previous line's exact text so that editing, removing or
 * reordering a line is detectable. Pure functions only — no I/O — so the
 * writer (journal.ts), the replay and the verifier all agree on one definition.
 */
import { hash } from 'node:crypto';

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

/**
 * SHA-256 hex of one line's text. Strings are hashed as UTF-8, i.e. exactly the bytes written.
 * The one-shot crypto.hash (Node 20.12+), not createHash: a replay hashes every line, and for
 * lines of a few hundred bytes the Hash object cost more than the digest (1.2 against 0.5 µs here).
 */
export function hashLine(line: string | Uint8Array): string {
  const digest = hash('sha256', line, 'hex');
  lastHash = digest;
  return digest;
}

/**
 * The last hash made, which is 64 lowercase hex digits by construction: in a replay the next
 * line's `prev` is this very hash, so its check needs no pattern (isHex64).
 */
let lastHash: string | undefined;

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
  const reason = fieldsProblem(o.n, o.at, o.type, o.prev);
  return reason === undefined ? { ok: true, entry: value as JournalEntry } : { ok: false, reason };
}

/**
 * The checks of a line's fields, in this order (the first failing one is the reason given):
 * parseEntry's, and the PostgreSQL replay's, which builds the entry from the row's columns.
 */
export function fieldsProblem(n: unknown, at: unknown, type: unknown, prev: unknown): string | undefined {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return 'n is not a positive integer';
  if (typeof at !== 'string' || !isIsoUtc(at)) return 'at is not an ISO-8601 UTC timestamp';
  if (typeof type !== 'string' || type === '') return 'type is not a non-empty string';
  if (typeof prev !== 'string' || !isHex64(prev)) return 'prev is not 64 lowercase hex digits';
  return undefined;
}

/** The last `at` found valid: lines written in one batch share it, and a string valid once is valid again. */
let lastValidAt: string | undefined;

function isIsoUtc(at: string): boolean {
  if (at === lastValidAt) return true;
  if (!ISO_UTC.test(at) || Number.isNaN(Date.parse(at))) return false;
  lastValidAt = at;
  return true;
}

/** 64 lowercase hex digits: a hash made here (the line before's, in a replay), else the pattern. */
function isHex64(text: string): boolean {
  return text === lastHash || HEX64.test(text);
}

/** `YYYY-MM` (UTC) of an ISO timestamp produced by toISOString. */

export function fileNameForMonth(month: string): string {
  return `${month}.jsonl`;
}

/** The month of a journal file name, or undefined if the name is not a journal file. */
export function monthOfFileName(name: string): string | undefined {
  return FILE_NAME.exec(name)?.[1];
}
