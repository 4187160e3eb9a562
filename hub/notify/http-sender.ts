/**
 * One webhook attempt over HTTP(S): node:http / node:https rather than fetch,
 * because only they let the hub check the address it actually connects to
 * (a custom `lookup`, plus the IP written in the URL) against the
 * AddressGuard (issue 10 item 6). A 10 s timeout, no redirects followed (a
 * signed body goes only where it was configured to go), the response body
 * never read. Never throws: every end is a SendResult.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { AddressGuard } from './address-guard.js';
import { guardedLookup, RefusedAddressError, type ResolveAll } from './guarded-lookup.js';
import { parseRetryAfter, RETRY_POLICY } from './retry-policy.js';
import type { SendResult } from './types.js';

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SenderOptions {
  guard: AddressGuard;
  timeoutMs?: number;
  /** Tests only: a fake DNS, to show the guard sees the resolved address. */
  resolve?: ResolveAll;
}

export type PostWebhook = (request: HttpRequest, stop: AbortSignal, now: () => number) => Promise<SendResult>;

export function webhookSender(options: SenderOptions): PostWebhook {
  return (request, stop, now) => postWebhook(request, stop, now, options);
}

export async function postWebhook(request: HttpRequest, stop: AbortSignal, now: () => number, options: SenderOptions): Promise<SendResult> {
  if (stop.aborted) return { kind: 'cancelled' };
  const url = URL.parse(request.url);
  if (!url) return { kind: 'unsendable', error: 'not a URL' };
  const refused = literalRefusal(url, options.guard);
  if (refused) return { kind: 'unsendable', error: `refused: ${refused}` };
  const timeoutMs = options.timeoutMs ?? RETRY_POLICY.timeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await send(url, request, AbortSignal.any([stop, timeout]), options);
    // The content is of no interest, and a gateway must not make the hub buffer an unbounded body.
    res.destroy();
    const retryAfterMs = parseRetryAfter(headerText(res.headers['retry-after']), now());
    return { kind: 'response', status: res.statusCode ?? 0, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  } catch (err) {
    if (stop.aborted) return { kind: 'cancelled' };
    if (timeout.aborted) return { kind: 'error', error: `timeout: no response within ${timeoutMs / 1000} s` };
    if (err instanceof RefusedAddressError) return { kind: 'unsendable', error: `refused: ${err.message}` };
    return { kind: 'error', error: describe(err) };
  }
}

function send(url: URL, request: HttpRequest, signal: AbortSignal, options: SenderOptions): Promise<IncomingMessage> {
  const body = Buffer.from(request.body, 'utf8');
  const requestOf = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestOf(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-length': String(body.length) },
      lookup: guardedLookup(options.guard, options.resolve),
      // A fresh connection per attempt: each one goes through the guarded lookup.
      agent: false,
      signal,
    });
    req.once('response', (res) => {
      res.on('error', () => undefined);
      resolve(res);
    });
    // `on`, not `once`: an error after the answer (the socket closing as the body is dropped) must not go unheard.
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The check that needs no DNS: an IP written in the URL is connected to
 * without any lookup, and `localhost` names are loopback by definition
 * (RFC 6761 §6.3). Also used when a URL is entered, to refuse it at once.
 */
export function literalRefusal(url: URL, guard: AddressGuard): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host)) return guard(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return guard('127.0.0.1') && `${host} is a loopback name; webhooks go there only if HUB_WEBHOOK_ALLOW_PRIVATE lists 127.0.0.1`;
  return undefined;
}

function headerText(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:4000`, short enough for the delivery log. */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  return (e.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message).slice(0, 300);
}
