/**
 * The payloads of `NOTIFY registry_changed` (hub/storage/postgres/registry-notice.ts):
 * every payload fits under NOTIFY's 8000-byte limit, together they name every
 * record, and whatever cannot be read asks for a full reload rather than
 * being dropped. The database round trip is in registry-feed.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MAX_NOTICE_BYTES, noticePayloads, readNotice, refsOf, RELOAD_EVERYTHING } from '../hub/storage/postgres/registry-notice.js';
import type { RegistryRefs } from '../hub/storage/ports.js';

const union = (payloads: string[]): RegistryRefs => {
  const all: RegistryRefs = {};
  for (const payload of payloads) {
    const notice = readNotice(payload);
    if (notice.kind !== 'records') throw new Error(`not a records notice: ${payload}`);
    for (const [kind, ids] of Object.entries(notice.refs) as [keyof RegistryRefs, string[]][]) (all[kind] ??= []).push(...ids);
  }
  return all;
};

describe('registry notices', () => {
  it('name the records of one write in one small payload, with the origin', () => {
    const refs = refsOf({ homes: [{ id: 'home-1' } as never], devices: [{ id: 'brc-1' } as never, { id: 'brc-1' } as never], residents: [] });
    expect(refs).toEqual({ homes: ['home-1'], devices: ['brc-1'] });
    const payloads = noticePayloads('node-a', refs);
    expect(payloads).toEqual(['{"o":"node-a","homes":["home-1"],"devices":["brc-1"]}']);
    expect(readNotice(payloads[0]!)).toEqual({ kind: 'records', origin: 'node-a', refs });
    expect(noticePayloads('node-a', {})).toEqual([]);
  });

  it('split a bulk write over payloads that each stay under 8000 bytes and together name every record', () => {
    const refs: RegistryRefs = {
      homes: Array.from({ length: 3_000 }, (_, i) => `home-${i.toString(16).padStart(8, '0')}`),
      devices: Array.from({ length: 3_000 }, (_, i) => `brc-ünï-${i}`), // multi-byte characters count as bytes
      users: ['usr-1'],
    };
    const payloads = noticePayloads('Xk3v9QaB', refs);
    expect(payloads.length).toBeGreaterThan(10);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_NOTICE_BYTES);
    // Filled, not one id per payload: every payload but the last is more than 90 % full.
    for (const payload of payloads.slice(0, -1)) expect(Buffer.byteLength(payload)).toBeGreaterThan(MAX_NOTICE_BYTES * 0.9);
    expect(union(payloads)).toEqual(refs);
  });

  it('ask for a full reload when one id could not fit in a notice of its own', () => {
    expect(noticePayloads('o', { devices: ['short', 'x'.repeat(MAX_NOTICE_BYTES)] })).toEqual([RELOAD_EVERYTHING]);
  });

  it('read anything that is not a notice as "reload everything", saying why', () => {
    expect(readNotice('reload')).toEqual({ kind: 'everything', why: 'a reload was asked for' });
    for (const bad of ['', 'devices:brc-1', '{"devices":["brc-1"]}', '{"o":"x","devices":"brc-1"}', '{"o":"x","pets":["cat"]}', '{"o":"x","devices":[""]}', '[1]']) {
      const notice = readNotice(bad);
      expect(notice.kind, bad).toBe('everything');
      expect(notice.kind === 'everything' && notice.why).toMatch(/unreadable notice/);
    }
  });
});
