/**
 * Limits and error handling on the HTTP listener itself, below hono (issue 10
 * item 1, DESIGN.md §11 "no input may kill the process"): what Node's parser
 * rejects (a broken request line, a bad header, a body that contradicts its
 * length, a client too slow to finish its headers) is answered and closed
 * here, on that one socket, and logged at debug level only: a stranger must
 * not be able to fill the log either.
 *
 * Applied to whichever server the hub listens with (plain HTTP today, HTTPS
 * with HUB_TLS_CERT), so both get the same treatment.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/logger.js';

/** Whole headers must arrive within this (slowloris); Node's default is 60 s. */
export const HEADERS_TIMEOUT_MS = 20_000;
/** A whole request, body included, within this; Node's default is 300 s. Bodies are ≤ a few MiB (body-limit.ts). */
export const REQUEST_TIMEOUT_MS = 60_000;

/** Node's own answers to its parser errors (lib/_http_server.js), kept when we take over 'clientError'. */
const STATUS_FOR: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

export function guardHttpServer(server: HttpServer | HttpsServer, log: Logger): void {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  // Node answers an HTTP/1.1 request without Host itself, at once, with `Connection: close`,
  // and stops assigning the connection to the pipelined requests already queued behind it
  // while it goes on parsing new ones. A later WebSocket upgrade on that connection then
  // removes Node's own clean-up, and the next response to finish trips an internal
  // assertion (resOnFinish) that kills the process: found by tests/long/http-fuzz.ts with
  // `GET … (no Host)`, a slow POST, `GET /` and an upgrade in one connection. Off, the request
  // reaches @hono/node-server, which answers it 400 in turn like any other.
  (server as { requireHostHeader?: boolean }).requireHostHeader = false;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    log.debug({ code: err.code, reason: err.message.slice(0, 200) }, 'bad HTTP request refused');
    if (err.code === 'ECONNRESET' || !socket.writable || responseStarted(socket)) {
      socket.destroy();
      return;
    }
    const status = STATUS_FOR[err.code ?? ''] ?? '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
}

/**
 * A pipelined request can fail to parse while the response to the one before
 * it is still being written; a raw status line then would corrupt that
 * response, so such a socket is only closed (as Node itself does).
 */
function responseStarted(socket: Duplex): boolean {
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return current?.headersSent === true;
}
