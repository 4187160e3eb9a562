/**
 * The stream Aedes reads from: the TCP socket with a PacketGuard in between.
 * Aedes pulls with `read()` on 'readable', so the guard must sit in front of
 * the socket rather than beside it; a chunk that violates a limit is never
 * handed to Aedes and the socket is destroyed at once.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { GuardViolation, PacketGuard } from './packet-guard.js';

export interface OutboundLimit {
  /** Unsent bytes a connection may have queued before it is closed as a slow consumer. */
  maxQueuedBytes: number;
  onOverflow(queuedBytes: number): void;
}

export class GuardedConnection extends Duplex {
  constructor(
    readonly socket: Socket,
    readonly guard: PacketGuard,
    onViolation: (violation: GuardViolation) => void,
    private readonly outbound?: OutboundLimit,
  ) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      const violation = guard.feed(chunk);
      if (violation) {
        onViolation(violation);
        this.destroy();
        return;
      }
      // Backpressure: stop reading the socket until Aedes asks for more.
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  /**
   * mqtt-packet corks the stream and writes each packet in several pieces;
   * gathering them here makes one socket write (one system call) per packet
   * batch instead of one per piece — 41 % of the hub's busy time went to
   * those writes under load (docs/PERFORMANCE.md).
   */
  override _writev(chunks: { chunk: Buffer }[], callback: (err?: Error | null) => void): void {
    this.send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  private send(data: Buffer, callback: (err?: Error | null) => void): void {
    if (!this.outbound) {
      this.socket.write(data, callback);
      return;
    }
    this.socket.write(data);
    if (this.socket.writableLength > this.outbound.maxQueuedBytes) {
      this.outbound.onOverflow(this.socket.writableLength);
      this.destroy();
    }
    // Done as far as Aedes is concerned: the socket buffers it (bounded above).
    callback();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}
