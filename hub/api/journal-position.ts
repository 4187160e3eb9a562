/** Every API answer stamped with the journal line it reflects (hub/core/journal-position.ts says why). */
import type { MiddlewareHandler } from 'hono';
import { JOURNAL_POSITION_HEADER } from '../core/journal-position.js';

export function stampJournalPosition(line: () => number): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set(JOURNAL_POSITION_HEADER, String(line()));
  };
}
