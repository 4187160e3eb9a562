/**
 * The front reads the body of the three writes that name their home only
 * in it (home-of-request.ts, `body` entries), to send them to the home's
 * owner (leader-proxy.ts). Every other request is streamed, never buffered
 * (http-forward.ts); this is the one place the front holds a body, so it is
 * bounded before it is read (DESIGN.md §11):
 *
 * - only a JSON body (`Content-Type: application/json`) that says it has
 *   one, and only up to `maxBytes`: a Content-Length above it is not read
 *   at all; a chunked body is counted as it arrives, and the chunk that
 *   would cross the bound is put back (unshift) unread — the front holds at
 *   most `maxBytes`, and the request goes on, prefix then rest, to the
 *   leader, as before owners;
 * - within `timeoutMs` from the headers: a client that stops sending is
 *   answered 408 and its connection closed, never held (the listener's own
 *   requestTimeout is a minute, and checked only every 30 s).
 *
 * The request stream was consumed; what was read is handed on intact: the
 * forwarder sends the held bytes (with their own Content-Length when they are
 * the whole body), and this node's own API gets a stand-in request
 * (`replayed`) that reads the same bytes with the same headers, URL and
 * socket.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, pipeline } from 'node:stream';
import { sendJson } from './http-forward.js';

/** The most of a body the front reads to find its home: the three bodies are a few hundred bytes (ids, a date, a note). */
export const HOME_BODY_MAX_BYTES = 16 * 1024;
/** The whole of such a body must arrive within this from the headers. */
export const HOME_BODY_TIMEOUT_MS = 10_000;

/**
 * What the front read of a body: the whole of it (`complete`, the request
 * has ended), or its first bytes up to the bound, the rest still unread in
 * the request (paused).
 */
export interface HeldBody {
  bytes: Buffer;
  complete: boolean;
}

/** A held body, or why there is none: the client stopped sending ('timeout') or left ('gone'). */
export type BodyRead = HeldBody | 'timeout' | 'gone';

export interface HoldLimits {
  maxBytes: number;
  timeoutMs: number;
}

/** Whether the front may read this request's body at all: JSON, said to be there, not said to be over the bound. */
export function mayHold(req: IncomingMessage, maxBytes: number): boolean {
  if (mediaType(req.headers['content-type']) !== 'application/json') return false;
  const length = req.headers['content-length'];
  // Chunked: counted as it arrives. Node's parser refused a request with both, or with a malformed length.
  if (length === undefined) return req.headers['transfer-encoding'] !== undefined;
  const bytes = Number(length);
  return bytes > 0 && bytes <= maxBytes;
}

/** Reads the body up to the bound (module comment); never rejects. */
export function holdBody(req: IncomingMessage, limits: HoldLimits): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (read: BodyRead): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      resolve(read);
    };
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length <= limits.maxBytes) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      // Over the bound: stop here, the crossing chunk back at the head of the request for whoever reads on.
      req.pause();
      req.unshift(chunk);
      finish({ bytes: Buffer.concat(chunks, size), complete: false });
    };
    const onEnd = (): void => finish({ bytes: Buffer.concat(chunks, size), complete: true });
    const onGone = (): void => finish('gone');
    const timer = setTimeout(() => {
      req.pause();
      finish('timeout');
    }, limits.timeoutMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onGone);
    req.once('close', onGone);
  });
}

/** The answer to a client whose body did not arrive in time; the connection is closed (its rest would be read as a request). */
export function refuseSlowBody(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  sendJson(res, 408, { error: { code: 'request_timeout', message: 'the request body did not arrive in time' } }, { connection: 'close' });
}

/**
 * A stand-in for `req` that reads the held bytes, then (when the body was
 * not held whole) the rest of `req`; the same method, URL, headers and
 * socket, for this node's own API (@hono/node-server's listener reads
 * these, and its body from the stream).
 */
export function replayed(req: IncomingMessage, held: HeldBody): IncomingMessage {
  const body = new PassThrough();
  if (held.complete) body.end(held.bytes);
  else {
    if (held.bytes.length > 0) body.write(held.bytes);
    pipeline(req, body, () => undefined); // a client that leaves mid-body: the stand-in errors as the request would
  }
  const standIn = Object.assign(body, {
    method: req.method,
    url: req.url,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    trailers: req.trailers,
    rawTrailers: req.rawTrailers,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    socket: req.socket,
    connection: req.socket,
  });
  return standIn as unknown as IncomingMessage;
}

/** `application/json; charset=utf-8` → `application/json` (RFC 9110 §8.3.1: case-insensitive, parameters after `;`). */
function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';', 1)[0]!.trim().toLowerCase();
}
