/**
 * A client that tries to upload a huge body (issue 10 item 2): it streams
 * chunks as fast as the socket takes them, chunked or with a Content-Length,
 * and stops like a browser would once the hub answers or closes. Tells what
 * the hub answered and how much it let through.
 */
import { connect } from 'node:net';
import { statusOf } from './raw-http.js';

export interface UploadResult {
  status: number | undefined;
  reply: string;
  bytesWritten: number;
  ms: number;
}

const CHUNK = Buffer.alloc(256 * 1024, 0x61);

export function bigUpload(port: number, path: string, totalBytes: number, framing: 'chunked' | 'content-length'): Promise<UploadResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let reply = '';
    let bytesWritten = 0;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.destroy();
      resolve({ status: statusOf(reply), reply, bytesWritten, ms: Date.now() - started });
    };
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      const length = framing === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${totalBytes}`;
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${length}\r\n\r\n`);
      pump();
    });
    const pump = () => {
      while (!finished && reply === '' && bytesWritten < totalBytes) {
        const piece = CHUNK.subarray(0, Math.min(CHUNK.length, totalBytes - bytesWritten));
        bytesWritten += piece.length;
        // A chunk's three parts are written together: stopping after a full buffer midway would
        // leave the chunk without its CRLF (the hub 413s long before; a proxy that streams does not).
        const ok = framing === 'chunked' ? [socket.write(`${piece.length.toString(16)}\r\n`), socket.write(piece), socket.write('\r\n')].at(-1) : socket.write(piece);
        if (!ok) return void socket.once('drain', pump);
      }
      if (!finished && reply === '' && framing === 'chunked') socket.write('0\r\n\r\n');
    };
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      // The whole (small) error body is in once the JSON closes.
      if (/\r\n\r\n[\s\S]*\}\s*$/.test(reply)) finish();
    });
    socket.on('close', finish);
    socket.on('error', finish);
  });
}
