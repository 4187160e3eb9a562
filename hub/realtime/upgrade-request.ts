/**
 * The two checks every WebSocket upgrade on the hub's listener starts with,
 * shared by the stream server (hub/realtime/stream-server.ts) and a follower's
 * byte pipe to the leader (hub/cluster/upgrade-pipe.ts): read the
 * request-target without throwing, and refuse on the raw socket. An upgrade
 * has no response object; whatever is refused is refused with an HTTP status
 * line written to the socket, then closed (issue 10 item 1: fail closed per
 * request, nothing thrown out of the 'upgrade' event).
 */
import type { Duplex } from 'node:stream';

/**
 * The request-target as a URL, or undefined when it is not one (RFC 9112 §3.2):
 * origin-form (`/path?query`) is read relative to a placeholder origin, exactly
 * as the HTTP side reads it, so `//[` is a path and not a broken host;
 * absolute-form must parse on its own. Nothing else is accepted for an upgrade.
 */
export function requestTarget(target: string | undefined): URL | undefined {
  if (!target) return undefined;
  try {
    if (target.startsWith('/')) return new URL(`http://hub.invalid${target}`);
    if (/^https?:\/\//i.test(target)) return new URL(target);
  } catch {
    // not a URL: refused by the caller
  }
  return undefined;
}

/** Answers `status` (with an optional JSON body, the API's error shape) and closes; a socket already gone is destroyed. */
export function refuseUpgrade(socket: Duplex, status: number, text: string, json?: unknown): void {
  if (!socket.writable) return void socket.destroy();
  const body = json === undefined ? '' : JSON.stringify(json);
  const type = json === undefined ? '' : 'Content-Type: application/json\r\n';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
