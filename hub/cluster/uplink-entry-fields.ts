/**
 * Reading an XREADGROUP reply of the uplink streams (uplink-bus.ts): each
 * entry's message field, and nothing else of it. Kept apart from the reader's
 * loop (uplink-bus.ts) because it is pure: it checks the shape of what Redis
 * hands back before anything trusts it, and an entry written by something
 * else comes out as undefined, for the reader to count as refused.
 */
import { BATCH_FIELD, SINGLE_FIELD } from './uplink-wire.js';

/** An entry's message field: `b` (a batch) or, from a standby of the older version, `m` (one message). */
export interface EntryField {
  field: typeof BATCH_FIELD | typeof SINGLE_FIELD;
  text: string;
}

/**
 * The message field of each entry of an XREADGROUP reply
 * (`[[key, [[id, [field, value, ...]], ...]]]`, or null when the wait timed
 * out); undefined for an entry without one (written by something else).
 */
export function entryFields(reply: unknown): (EntryField | undefined)[] {
  if (!Array.isArray(reply)) return [];
  const found: (EntryField | undefined)[] = [];
  for (const stream of reply) {
    const entries: unknown = Array.isArray(stream) ? stream[1] : undefined;
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) found.push(messageField(Array.isArray(entry) ? entry[1] : undefined));
  }
  return found;
}

/** The first `b` or `m` field of an entry's field list, whose value is a string. */
function messageField(fields: unknown): EntryField | undefined {
  if (!Array.isArray(fields)) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [name, value] = [fields[i] as unknown, fields[i + 1] as unknown];
    if ((name === BATCH_FIELD || name === SINGLE_FIELD) && typeof value === 'string') return { field: name, text: value };
  }
  return undefined;
}
