/**
 * Request bodies are bounded before they are read (issue 10 item 2, DESIGN.md
 * §11 "bounded before read"): without it `POST /auth/login` buffered a 300 MB
 * body before validating it, and four at once took the hub to 3.7 GB and
 * alarm PUBACKs to 11 s.
 *
 * hono's `bodyLimit` refuses at once on a `Content-Length` above the limit and
 * counts a chunked body as it arrives, never holding more than the limit. The
 * refusal is a 413 in the API's error shape, and the hub then ends its side
 * of the connection (FIN) so no client reuses a socket that still carries the
 * rest of the upload. That rest is read and thrown away for at most 500 ms or
 * 64 MiB (@hono/node-server's drain), then the socket is closed. Not
 * `Connection: close`: Node then closes at once with the upload's bytes
 * unread, the kernel answers them with a TCP reset, and clients lose the 413
 * itself (measured: 3 of 12 uploads saw only a reset).
 *
 * One limit for every route; POST /homes/batch alone gets a larger one (up to
 * 500 homes with residents and devices in one call; see docs/SECURITY.md for
 * the sizing).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HttpError } from './errors.js';

export interface BodyLimits {
  /** Every route but the batch one. */
  maxBodyBytes: number;
  /** POST /api/v1/homes/batch. */
  maxBatchBodyBytes: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBodyBytes: 1024 * 1024, maxBatchBodyBytes: 8 * 1024 * 1024 };

const BATCH_PATH = '/api/v1/homes/batch';

function limit(maxSize: number, hint: string): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: (c) => {
      endAfterAnswer(c);
      throw new HttpError(413, 'payload_too_large', `the request body is larger than ${maxSize} bytes${hint}`);
    },
  });
}

/** Half-closes the connection once the answer is out (no-op under app.request(), which has no socket). */
function endAfterAnswer(c: Context): void {
  const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  const socket = env?.incoming?.socket;
  env?.outgoing?.once('finish', () => socket?.end());
}

export function limitBodies(limits: BodyLimits): MiddlewareHandler {
  const normal = limit(limits.maxBodyBytes, '');
  const batch = limit(limits.maxBatchBodyBytes, ': send fewer homes per batch');
  return (c, next) => (c.req.method === 'POST' && c.req.path === BATCH_PATH ? batch(c, next) : normal(c, next));
}
