/**
 * The one JSON error shape of the API, `{error: {code, message}}` (DESIGN.md
 * §5), and the mapping from service errors to HTTP statuses.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { DomainError, type DomainErrorCode } from '../core/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly issues?: { path: string; message: string; code?: string | undefined }[],
  ) {
    super(message);
  }
}

const DOMAIN_STATUS: Record<DomainErrorCode, ContentfulStatusCode> = {
  not_found: 404,
  conflict: 409,
  invalid: 400,
  forbidden: 403,
  unavailable: 503,
};

export function invalidInput(error: z.ZodError, where: 'body' | 'query' | 'path'): HttpError {
  // `code` (zod's: too_small, invalid_type…) lets the console translate the message.
  const issues = error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message, code: i.code }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new HttpError(400, `invalid_${where}`, `invalid ${where}: ${summary}`, issues);
}

/**
 * The client went away while its body was being read (Node's 'aborted',
 * ECONNRESET). Nobody will read the answer and nothing of ours failed: not
 * worth an error line (a stranger could fill the log with them).
 */
export function clientAborted(err: unknown): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && err.message === 'aborted';
}

export function errorResponse(c: Context, err: unknown) {
  if (err instanceof HttpError) {
    return c.json({ error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } }, err.status);
  }
  if (err instanceof DomainError) {
    return c.json({ error: { code: err.code, message: err.message } }, DOMAIN_STATUS[err.code]);
  }
  return c.json({ error: { code: 'internal', message: 'internal error; the hub log has the details' } }, 500);
}
