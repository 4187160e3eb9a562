/**
 * When to try a webhook again (issue 5): exponential backoff from 5 s,
 * doubling, capped at 5 min, for up to 1 h from the first attempt. Network
 * errors, the 10 s timeout, 5xx and 429 are worth retrying; any other status
 * outside 2xx (4xx, and 3xx: redirects are not followed, so a signed body
 * never goes to a host nobody configured) is final. Pure.
 */
import type { AttemptOutcome, SendResult } from './types.js';

export const RETRY_POLICY = {
  firstDelayMs: 5_000,
  maxDelayMs: 5 * 60_000,
  windowMs: 60 * 60_000,
  timeoutMs: 10_000,
} as const;

/** The wait after the n-th failed attempt (n ≥ 1): 5 s, 10 s, 20 s, … 5 min. */
export function backoffDelay(failedAttempts: number): number {
  const exp = RETRY_POLICY.firstDelayMs * 2 ** Math.max(0, failedAttempts - 1);
  return Math.min(RETRY_POLICY.maxDelayMs, exp);
}

export function retryable(result: SendResult): boolean {
  if (result.kind === 'error') return true;
  if (result.kind !== 'response') return false;
  return result.status === 429 || result.status >= 500;
}

export interface Step {
  outcome: AttemptOutcome;
  nextAttemptAt?: number | undefined;
}

/**
 * The outcome of an ended attempt. `firstAttemptAt` starts the 1 h window: an
 * attempt failing at or after its end is the last (`gave_up`).
 */
export function nextStep(result: Exclude<SendResult, { kind: 'cancelled' }>, attempt: number, firstAttemptAt: number, now: number): Step {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) return { outcome: 'sent' };
  if (!retryable(result)) return { outcome: 'gave_up' };
  const retryAfter = result.kind === 'response' ? (result.retryAfterMs ?? 0) : 0;
  const wait = Math.min(RETRY_POLICY.maxDelayMs, Math.max(backoffDelay(attempt), retryAfter));
  const deadline = firstAttemptAt + RETRY_POLICY.windowMs;
  if (now >= deadline) return { outcome: 'gave_up' };
  // The last retry is made at the end of the hour rather than skipped for being due after it.
  return { outcome: 'failed', nextAttemptAt: Math.min(now + wait, deadline) };
}

/** `Retry-After` in seconds or as an HTTP date, in ms from now (undefined if absent or unreadable). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
