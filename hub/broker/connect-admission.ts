/**
 * Reconnect storms (issue 14 item 4): Node accepts every pending connection
 * in one callback, and each one's Aedes client, CONNECT parsing, secret check
 * and CONNACK would then run in the same event-loop turn, so an alarm from a
 * device that is already connected waited behind thousands of connects
 * (1.5 s p99 with 18,600 devices reconnecting).
 *
 * New sockets arrive paused (the server's pauseOnConnect) and are handed on at
 * most `perTurn` per turn; the others wait unread, their CONNECT bytes in the
 * kernel, so each turn carries at most `perTurn` connects beside the traffic
 * of connected devices. A socket closed while it waited is dropped here.
 */
import type { Socket } from 'node:net';

/** Connects handed to Aedes per event-loop turn: ~0.3 ms of CPU each, so a turn stays ~10 ms. */
export const DEFAULT_CONNECTS_PER_TURN = 32;

export class ConnectAdmission {
  private queue: Socket[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    /** Takes a paused socket on; the admission resumes it afterwards. */
    private readonly serve: (socket: Socket) => void,
    private readonly perTurn = DEFAULT_CONNECTS_PER_TURN,
  ) {}

  /** Sockets accepted and not yet handed on. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  add(socket: Socket): void {
    this.queue.push(socket);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.admitSome);
  }

  private readonly admitSome = (): void => {
    this.scheduled = false;
    let served = 0;
    while (served < this.perTurn && this.head < this.queue.length) {
      const socket = this.queue[this.head++]!;
      if (socket.destroyed) continue;
      this.serve(socket);
      socket.resume();
      served++;
    }
    if (this.head < this.queue.length) {
      // Drop the done front now and then so the array does not grow without bound.
      if (this.head > 1024) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.schedule();
    } else {
      this.queue = [];
      this.head = 0;
    }
  };
}
