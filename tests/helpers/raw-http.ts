/**
 * Raw HTTP over a plain net.Socket, for the requests fetch() refuses to send:
 * broken request lines, bad headers and cookies, hand-made upgrades, bodies
 * sent slowly or never finished. Collects whatever the hub answers and says
 * who closed the connection.
 */
import { connect, type Socket } from 'node:net';

export interface RawExchange {
  /** Everything the hub sent, as latin1 text (status line and headers are ASCII). */
  reply: string;
  /** Status code of the first response, or undefined when the hub answered nothing. */
  status: number | undefined;
  closedBy: 'hub' | 'us' | 'error';
}

export interface RawOptions {
  host?: string;
  /** Source address, e.g. 127.0.0.7: spreads TIME_WAIT and per-IP counters over loopback. */
  localAddress?: string;
  /** Pause between chunks (a slow client). */
  delayMs?: number;
  /** How long to wait after the last chunk before closing ourselves. */
  lingerMs?: number;
  /** Stop waiting once the reply contains this (e.g. the end of the headers). */
  until?: (reply: string) => boolean;
}

export function statusOf(reply: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(reply);
  return m ? Number(m[1]) : undefined;
}

export function rawHttp(port: number, chunks: (string | Buffer)[], options: RawOptions = {}): Promise<RawExchange> {
  const { host = '127.0.0.1', delayMs = 0, lingerMs = 2_000 } = options;
  return new Promise((resolve) => {
    let reply = '';
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (closedBy: RawExchange['closedBy']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, status: statusOf(reply), closedBy });
    };
    const socket: Socket = connect({ port, host, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, () => {
      void writeAll(socket, chunks, delayMs).then(() => {
        if (!settled) timer = setTimeout(() => done('us'), lingerMs);
      });
    });
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (options.until?.(reply)) done('us');
    });
    socket.on('close', () => done('hub'));
    socket.on('error', () => done('error'));
  });
}

async function writeAll(socket: Socket, chunks: (string | Buffer)[], delayMs: number): Promise<void> {
  for (const chunk of chunks) {
    if (socket.destroyed) return;
    if (chunk.length) socket.write(chunk);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
}

/** A WebSocket upgrade request to `target` with the given extra header lines. */
export function upgradeRequest(target: string, headers: string[] = []): string {
  return [
    `GET ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...headers,
    '',
    '',
  ].join('\r\n');
}
