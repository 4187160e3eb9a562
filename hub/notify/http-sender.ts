/**
 * One webhook attempt over HTTP: Node's global fetch, a 10 s timeout, no
 * redirects followed (a signed body goes only where it was configured to go),
 * the response body never read. Never throws: every end is a SendResult.
 */
import { parseRetryAfter, RETRY_POLICY } from './retry-policy.js';
import type { SendResult } from './types.js';

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export async function postWebhook(request: HttpRequest, stop: AbortSignal, now: () => number, timeoutMs: number = RETRY_POLICY.timeoutMs): Promise<SendResult> {
  if (stop.aborted) return { kind: 'cancelled' };
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([stop, timeout]),
    });
    // The content is of no interest, and a gateway must not make the hub buffer an unbounded body.
    await res.body?.cancel().catch(() => undefined);
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now());
    return { kind: 'response', status: res.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  } catch (err) {
    if (stop.aborted) return { kind: 'cancelled' };
    if (timeout.aborted) return { kind: 'error', error: `timeout: no response within ${timeoutMs / 1000} s` };
    return { kind: 'error', error: describe(err) };
  }
}

/** `ECONNREFUSED 127.0.0.1:4000` rather than undici's bare "fetch failed". */
function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.startsWith(cause.code) ? `: ${cause.message}` : ''}`.slice(0, 300);
  return String(cause?.message ?? e.message ?? err).slice(0, 300);
}
