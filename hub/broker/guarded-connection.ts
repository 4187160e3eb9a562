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
 *
 * When the connection ends (the socket ends, closes or fails, or Aedes
 * destroys it), the socket is destroyed at once, but the stream's own end
 * ('close', which is what Aedes' close hangs on) waits for the broker's close
 * queue (close-queue.ts): a mass disconnect is then handled a few closes per
 * event-loop turn, not all in one.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { CloseQueue, PendingClose } from './close-queue.js';
import type { DelayedAcks, LateAckHolder } from './delayed-acks.js';
import type { GuardViolation, PacketGuard } from './packet-guard.js';
import { PacketFramer } from './packet-framer.js';
import type { UplinkScheduler, UplinkSink } from './uplink-scheduler.js';
import type { UplinkTap } from './uplink-tap.js';

/**
 * What every connection of one broker shares: one object per broker, not a
 * closure and an object per connection (issue 14 item 3: idle memory per
 * connected device).
 */
export interface ConnectionPolicy {
  /** Unsent bytes a connection may have queued before it is closed as a slow consumer. */
  maxQueuedBytes: number;
  onOverflow(connection: GuardedConnection, queuedBytes: number): void;
  onViolation(connection: GuardedConnection, violation: GuardViolation): void;
  /** Called on every chunk read, before it is handled (the journal notices a finished write: hub.ts). */
  onChunk?: (() => void) | undefined;
  /** Where closes wait for their turn; without it a close is finished at once. */
  closes?: CloseQueue | undefined;
  /**
   * The broker's side of a close, run when its turn comes, right after the
   * stream's: Aedes would do it a tick later on 'close', outside the turn's budget.
   */
  onClosed?: ((connection: GuardedConnection) => void) | undefined;
}

/** Where an authenticated device's uplink messages go instead of Aedes; one per broker. */
export interface UplinkRoute {
  scheduler: UplinkScheduler;
  /** The device's publish rate: false leaves the packet to Aedes, whose hook refuses it. */
  admit(deviceId: string): boolean;
  /** Aedes sees none of these packets: its keepalive timer must still hear of them. */
  keepAlive(session: object): void;
  /** Where telemetry PUBACKs wait under overload (delayed-acks.ts); without it none wait. */
  lateAcks?: DelayedAcks | undefined;
}

const OWNER = Symbol('GuardedConnection');
type OwnedSocket = Socket & { [OWNER]: GuardedConnection };

// The socket's listeners are shared functions that find their connection on the socket, not
// four closures per connection.
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER].receive(chunk);
}
// A device that half-closes is gone too (MQTT has no half-closed session): its end is a close,
// queued like the others. Aedes would otherwise close it at once on the stream's 'end'.
function onSocketEnd(this: OwnedSocket): void {
  this[OWNER].destroy();
}
function onSocketError(this: OwnedSocket, err: Error): void {
  this[OWNER].destroy(err);
}
function onSocketClose(this: OwnedSocket): void {
  this[OWNER].destroy();
}

/** The PUBACKs gathered during one tick, written at its end (process.nextTick passes the connection). */
function flushAcks(connection: GuardedConnection): void {
  connection.flushAcks();
}

/** PUBACKs of the first `count` packet ids into `out` from `at`: fixed header 0x40, remaining length 2, the id. */
function writePubacks(out: Buffer, at: number, ids: number[] | undefined, count: number): void {
  for (let i = 0; i < count; i++) out.writeUInt32BE((0x4002_0000 | ids![i]!) >>> 0, at + i * 4);
}

/** A packet the framer completed: the connection's own method, called with the connection as `this`. */
function visitPacket(this: GuardedConnection, packet: Buffer, headerBytes: number): boolean {
  return this.takePacket(packet, headerBytes);
}

/** A destroyed connection's end, held until its turn in the close queue. */
interface HeldClose {
  err: Error | null;
  callback: (err?: Error | null) => void;
}

export class GuardedConnection extends Duplex implements UplinkSink, PendingClose, LateAckHolder {
  backlog = 0;
  private readonly framer: PacketFramer | undefined;
  private route: UplinkRoute | undefined;
  private tap: UplinkTap | undefined;
  /** What route.keepAlive is given back: the broker's session of this connection. */
  private session: object | undefined;
  /** Reads stop while Aedes' buffer is full or the scheduler holds this connection's telemetry. */
  private aedesFull = false;
  private held = false;
  /** Packet ids whose PUBACKs leave together at the end of this tick; set only while some wait. */
  private acks: number[] | undefined;
  /**
   * Telemetry PUBACKs held back under overload (delayed-acks.ts), older than
   * `acks`: the first `lateCount` ids. The array is kept once made (a few
   * numbers), not made again per batch.
   */
  private late: number[] | undefined;
  private lateCount = 0;
  lateBatch = 0;
  private took = false;
  private heldClose: HeldClose | undefined;

  constructor(
    readonly socket: Socket,
    readonly guard: PacketGuard,
    private readonly policy: ConnectionPolicy,
    framed = false,
  ) {
    super({ allowHalfOpen: false });
    this.framer = framed ? new PacketFramer() : undefined;
    (socket as OwnedSocket)[OWNER] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  /** One chunk read from the socket. */
  receive(chunk: Buffer): void {
    this.policy.onChunk?.();
    const violation = this.guard.feed(chunk);
    if (violation) {
      this.policy.onViolation(this, violation);
      this.destroy();
      return;
    }
    if (!this.framer) return this.forward(chunk);
    this.took = false;
    for (const part of this.framer.feed(chunk, visitPacket, this)) this.forward(part);
    if (this.took) this.route?.keepAlive(this.session!);
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** From now on this device's uplink PUBLISH packets go to `route` (called once CONNACK 0 is sent). */
  takeUplink(route: UplinkRoute, tap: UplinkTap, session: object): void {
    if (!this.framer || !tap.active) return;
    this.route = route;
    this.tap = tap;
    this.session = session;
  }

  /** Whether the hub took this whole packet (an uplink PUBLISH within the device's rate). */
  takePacket(packet: Buffer, headerBytes: number): boolean {
    const { route, tap } = this;
    if (!route || !tap || this.destroyed) return false;
    const message = tap.read(packet, headerBytes);
    if (!message || !route.admit(tap.deviceId)) return false;
    this.took = true;
    route.scheduler.submit(this, tap.deviceId, message);
    return true;
  }

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

  /**
   * The PUBACK of an uplink message the hub took. Those of one tick (one
   * socket read, one drain) leave in one buffer and one write: under overload
   * PUBACK writes were ~40 % of the hub's CPU, a third of it Node's cork and
   * writev machinery (docs/PERFORMANCE.md, issue 14 third pass). PUBACKs held
   * back (`ackLater`) go first in the same write.
   */
  ack(packetId: number): void {
    if (this.destroyed) return;
    if (this.acks) {
      this.acks.push(packetId);
      return;
    }
    this.acks = [packetId];
    process.nextTick(flushAcks, this);
  }

  /**
   * A telemetry PUBACK under overload: it waits for the next write of this
   * connection, at the latest the broker's delay (delayed-acks.ts). If this
   * tick writes anyway, it joins that write (and keeps its order).
   */
  ackLater(packetId: number): void {
    const delayed = this.route?.lateAcks;
    if (this.acks || !delayed) return this.ack(packetId);
    if (this.destroyed) return;
    this.late ??= [];
    this.late[this.lateCount++] = packetId;
    if (delayed.held(this, this.lateCount)) this.flushAcks();
  }

  /** Writes every PUBACK this connection holds, late ones first, in one write. */
  flushAcks(): void {
    const out = this.takeAcks();
    if (out && !this.destroyed) this.writeOut(out);
  }

  /** The held PUBACKs as one buffer (undefined: none), and the connection no longer holds them. */
  private takeAcks(): Buffer | undefined {
    const { acks, lateCount } = this;
    this.acks = undefined;
    if (lateCount > 0) {
      this.lateCount = 0;
      this.lateBatch = (this.lateBatch + 1) >>> 0;
      this.route!.lateAcks!.released(lateCount);
    }
    const count = lateCount + (acks?.length ?? 0);
    if (count === 0) return undefined;
    const out = Buffer.allocUnsafe(count * 4);
    writePubacks(out, 0, this.late, lateCount);
    if (acks) writePubacks(out, lateCount * 4, acks, acks.length);
    return out;
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
    if (this.socket.writableLength > this.policy.maxQueuedBytes) {
      this.policy.onOverflow(this, this.socket.writableLength);
      this.destroy();
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    // PUBACKs still held leave first if the socket can take them (Aedes closes a device that
    // sent DISCONNECT by destroying its stream); a device gone already resends what was not acknowledged.
    const acks = this.takeAcks();
    if (acks && this.socket.writable) this.socket.write(acks);
    // The socket goes now (no more reads, its descriptor freed); the rest of the close waits.
    this.socket.destroy();
    const closes = this.policy.closes;
    if (!closes) return callback(err);
    this.heldClose = { err, callback };
    closes.add(this);
  }

  /** The close queue's turn (or a takeover that cannot wait): the stream's end, then the broker's. */
  finishClose(): boolean {
    const held = this.heldClose;
    if (!held) return false;
    this.heldClose = undefined;
    // Node emits 'close' (and 'error') on the next tick; the broker closes its client now.
    held.callback(held.err);
    this.policy.onClosed?.(this);
    return true;
  }
}
