/**
 * What a registry write tells the other nodes (issue 12): the payloads of
 * `NOTIFY registry_changed`, sent inside the write's own transaction, so a
 * listener hears of a change only once it is committed (PostgreSQL delivers
 * notifications at COMMIT, and never those of a rolled-back transaction).
 *
 * A payload names records, it does not carry them: listeners read the rows
 * themselves, so a device's secret hash never travels on the notification
 * channel, and a payload stays small. It is JSON, one array of ids per kind,
 * plus the writer's origin so that a process skips its own notices:
 *   {"o":"Xk3v9QaB","devices":["brc-1a2b3c4d"],"homes":["home-1234abcd"]}
 * NOTIFY refuses payloads of 8000 bytes or more, so a large batch (a bulk
 * install) is split over several notices. The literal payload `reload`
 * asks every listener to reload every record: an operator who edited rows by
 * hand says so with `NOTIFY registry_changed, 'reload'`.
 */
import { z } from 'zod';
import type { RegistryChanges, RegistryKind, RegistryRefs } from '../ports.js';

export const REGISTRY_CHANNEL = 'registry_changed';
export const RELOAD_EVERYTHING = 'reload';

/** Below NOTIFY's 8000-byte limit with room to spare (the limit counts a terminating byte). */
export const MAX_NOTICE_BYTES = 7_900;

const KINDS: readonly RegistryKind[] = ['homes', 'residents', 'devices', 'users'];

const ids = z.array(z.string().min(1)).optional();
const noticeSchema = z.object({ o: z.string().min(1), homes: ids, residents: ids, devices: ids, users: ids }).strict();

export type RegistryNotice = { kind: 'records'; origin: string; refs: RegistryRefs } | { kind: 'everything'; why: string };

/** The records a write changed, by kind and id. */
export function refsOf(changes: RegistryChanges): RegistryRefs {
  const refs: RegistryRefs = {};
  for (const kind of KINDS) {
    const records = changes[kind] as readonly { id: string }[] | undefined;
    if (records && records.length > 0) refs[kind] = [...new Set(records.map((r) => r.id))];
  }
  return refs;
}

/** The payloads announcing these records, each under MAX_NOTICE_BYTES; none when nothing changed. */
export function noticePayloads(origin: string, refs: RegistryRefs): string[] {
  const payloads: string[] = [];
  let chunk: { o: string } & RegistryRefs = { o: origin };
  // The exact JSON length is tracked as ids are added: `,"kind":[` once, then `"id"` or `,"id"`, and `]`.
  const empty = Buffer.byteLength(JSON.stringify(chunk));
  let bytes = empty;
  const grows = (kind: RegistryKind, id: string) => Buffer.byteLength(JSON.stringify(id)) + 1 + (chunk[kind] ? 0 : Buffer.byteLength(`,"${kind}":[]`) - 1);
  for (const kind of KINDS) {
    for (const id of refs[kind] ?? []) {
      if (bytes > empty && bytes + grows(kind, id) > MAX_NOTICE_BYTES) {
        payloads.push(JSON.stringify(chunk));
        chunk = { o: origin };
        bytes = empty;
      }
      bytes += grows(kind, id);
      // An id too long for a notice of its own (never, with the hub's ids) still reaches the listeners, as "reload everything".
      if (bytes > MAX_NOTICE_BYTES) return [RELOAD_EVERYTHING];
      (chunk[kind] ??= []).push(id);
    }
  }
  if (bytes > empty) payloads.push(JSON.stringify(chunk));
  return payloads;
}

/** Reads a payload; one it cannot read asks for everything (a missed change must never go unnoticed). */
export function readNotice(payload: string): RegistryNotice {
  if (payload === RELOAD_EVERYTHING) return { kind: 'everything', why: 'a reload was asked for' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    parsed = undefined;
  }
  const notice = noticeSchema.safeParse(parsed);
  if (!notice.success) return { kind: 'everything', why: `an unreadable notice (${payload.length} characters, neither "${RELOAD_EVERYTHING}" nor the registry's JSON)` };
  const { o: origin, ...refs } = notice.data;
  return { kind: 'records', origin, refs };
}
