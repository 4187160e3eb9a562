/**
 * Whether this node reaches Redis now, as one boolean the alarm path can read
 * for free (issue 12 item 6; docs/CLUSTER.md "When a node loses Redis or
 * PostgreSQL").
 *
 * The source is ioredis itself: each connection's `status` becomes `ready`
 * once it can take commands and leaves it (`close`, `reconnecting`) the
 * moment its socket goes, and every change is also emitted as an event of
 * that name. mqemitter-redis adds nothing usable (its `state` emitter reports
 * connects and errors, never a loss), and aedes-persistence-redis nothing at
 * all, so every connection the node opens — the bus's pub and sub, the
 * sessions', the uplink bus's — is watched here. The events keep a count of
 * the connections that are not ready: the hot path reads `up` (one integer
 * comparison), never a loop over connections. A connection closed on purpose
 * (`end`: disconnect() or quit()) is forgotten, not counted as lost.
 *
 * Not seen: a connection that stays "ready" while nothing comes back
 * (half-open after a network cut); ioredis learns of it only when the
 * kernel gives up on the socket.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';

export class RedisLinks {
  private readonly ready = new Map<Redis, boolean>();
  private notReady = 0;
  /** `starting` until every connection was ready once: a connection still connecting at start is not a loss. */
  private state: 'starting' | 'up' | 'down' = 'starting';

  constructor(
    private readonly log: Logger,
    /** Where Redis is, without its password. */
    private readonly where: string,
  ) {}

  /** Every watched connection is ready (false before the first one is watched). */
  get up(): boolean {
    return this.notReady === 0 && this.ready.size > 0;
  }

  /** Follows one connection's state until it is closed on purpose (or `forget`). */
  watch(conn: Redis): void {
    this.ready.set(conn, conn.status === 'ready');
    if (conn.status !== 'ready') this.notReady += 1;
    conn.on('ready', () => this.set(conn, true));
    // Events come a tick after the status: a close on purpose is already `end` when its `close` is heard.
    conn.on('close', () => (conn.status === 'end' ? this.forget(conn) : this.set(conn, false)));
    conn.on('end', () => this.forget(conn));
    this.tellChange();
  }

  /** Stops following a connection the node is about to close on purpose: its end is no loss. */
  forget(conn: Redis): void {
    const was = this.ready.get(conn);
    if (was === undefined) return;
    this.ready.delete(conn);
    if (!was) this.notReady -= 1;
    this.tellChange();
  }

  private set(conn: Redis, ready: boolean): void {
    const was = this.ready.get(conn);
    if (was === undefined || was === ready) return;
    this.ready.set(conn, ready);
    this.notReady += ready ? -1 : 1;
    this.tellChange();
  }

  /** One line when the node loses Redis and one when it is back, not one per connection or reconnect attempt. */
  private tellChange(): void {
    if (this.ready.size === 0) return; // every connection closed on purpose: the node is stopping
    const next = this.notReady === 0 ? 'up' : this.state === 'starting' ? 'starting' : 'down';
    if (next === this.state) return;
    const before = this.state;
    this.state = next;
    if (before === 'starting') return; // every connection ready for the first time: nothing to tell
    const up = next === 'up';
    if (up) this.log.warn({ redis: this.where }, 'Redis answers again: alarms are acknowledged again');
    else this.log.error({ redis: this.where }, 'REDIS LOST: alarms are still stored, but get no PUBACK here until it is back (commands cannot reach devices on other nodes)');
  }
}
