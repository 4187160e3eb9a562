/**
 * The stream Aedes reads from: the TCP socket with a PacketGuard in between.
 * Aedes pulls with `read()` on 'readable', so the guard must sit in front of
 * the socket rather than beside it; a chunk that violates a limit is never
 * handed to Aedes and the socket is destroyed at once.
 *
 * On a device connection (`framed`), the stream is also cut into whole
 * packets; once the device is authenticated (`takeUplink`), its uplink
 * PUBLISH packets go to the hub's scheduler instead of Aedes, and their
 * PUBACKs are written here (issue 14 item 1, uplink-tap.ts). Everything else
 * still reaches Aedes in order.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { GuardViolation, PacketGuard } from './packet-guard.js';
import { PacketFramer } from './packet-framer.js';
import type { UplinkScheduler, UplinkSink } from './uplink-scheduler.js';
import type { UplinkTap } from './uplink-tap.js';

export interface OutboundLimit {
  /** Unsent bytes a connection may have queued before it is closed as a slow consumer. */
  maxQueuedBytes: number;
  onOverflow(queuedBytes: number): void;
}

/** Where an authenticated device's uplink messages go instead of Aedes. */
export interface UplinkRoute {
  tap: UplinkTap;
  scheduler: UplinkScheduler;
  /** The device's publish rate: false leaves the packet to Aedes, whose hook refuses it. */
  admit(): boolean;
  /** Aedes sees none of these packets: its keepalive timer must still hear of them. */
  keepAlive(): void;
}

export class GuardedConnection extends Duplex implements UplinkSink {
  backlog = 0;
  private readonly framer: PacketFramer | undefined;
  private uplink: UplinkRoute | undefined;
  /** Reads stop while Aedes' buffer is full or the scheduler holds this connection's telemetry. */
  private aedesFull = false;
  private held = false;
  private corked = false;
  private took = false;

  constructor(
    readonly socket: Socket,
    readonly guard: PacketGuard,
    onViolation: (violation: GuardViolation) => void,
    private readonly outbound: OutboundLimit,
    framed = false,
  ) {
    super({ allowHalfOpen: false });
    this.framer = framed ? new PacketFramer() : undefined;
    socket.on('data', (chunk: Buffer) => {
      const violation = guard.feed(chunk);
      if (violation) {
        onViolation(violation);
        this.destroy();
        return;
      }
      if (!this.framer) return this.forward(chunk);
      this.took = false;
      for (const part of this.framer.feed(chunk, this.visit)) this.forward(part);
      if (this.took) this.uplink?.keepAlive();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** From now on this device's uplink PUBLISH packets go to `route` (called once CONNACK 0 is sent). */
  takeUplink(route: UplinkRoute): void {
    if (this.framer && route.tap.active) this.uplink = route;
  }

  private readonly visit = (packet: Buffer, headerBytes: number): boolean => {
    const uplink = this.uplink;
    if (!uplink || this.destroyed) return false;
    const message = uplink.tap.read(packet, headerBytes);
    if (!message || !uplink.admit()) return false;
    this.took = true;
    uplink.scheduler.submit(this, uplink.tap.deviceId, message);
    return true;
  };

  private forward(bytes: Buffer): void {
    // Backpressure: stop reading the socket until Aedes asks for more.
    if (!this.push(bytes)) {
      this.aedesFull = true;
      this.socket.pause();
    }
  }

  override _read(): void {
    this.aedesFull = false;
    if (!this.held) this.socket.resume();
  }

  holdReads(hold: boolean): void {
    if (this.held === hold) return;
    this.held = hold;
    if (hold) this.socket.pause();
    else if (!this.aedesFull) this.socket.resume();
  }

  /** The PUBACK of an uplink message the hub took; the PUBACKs of one turn leave in one write. */
  ack(packetId: number): void {
    if (this.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.writeOut(Buffer.from([0x40, 0x02, packetId >> 8, packetId & 0xff]));
  }

  fail(): void {
    this.destroy();
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
    this.writeOut(data);
    // Done as far as Aedes is concerned: the socket buffers it (bounded above).
    callback();
  }

  private writeOut(data: Buffer): void {
    this.socket.write(data);
    if (this.socket.writableLength > this.outbound.maxQueuedBytes) {
      this.outbound.onOverflow(this.socket.writableLength);
      this.destroy();
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.socket.destroy();
    callback(err);
  }
}
