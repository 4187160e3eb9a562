/** Every API answer stamped with the journal line it reflects (hub/core/journal-position.ts says why). */
import type { MiddlewareHandler } from 'hono';
import { JOURNAL_POSITION_HEADER } from '../core/journal-position.js';
import { waitAtMost } from '../core/wait-at-most.js';

/**
 * How long a write's answer waits for the lines it appended without waiting
 * for them itself (its audit line): a journal numbered at commit knows their
 * n only then. Bounded, so an unreachable database cannot hold the answer.
 */
const SETTLE_MAX_MS = 2_000;

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `settle`: resolves once every line appended so far is durable (JournalStore.whenDurable). */
export function stampJournalPosition(line: () => number, settle?: () => Promise<void>): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (settle && !READS.has(c.req.method)) await waitAtMost(settle(), SETTLE_MAX_MS);
    c.res.headers.set(JOURNAL_POSITION_HEADER, String(line()));
  };
}
