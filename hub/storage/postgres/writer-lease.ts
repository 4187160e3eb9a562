/**
 * Fencing against a frozen leader (issue 12, docs/CLUSTER.md "Leadership and
 * fencing"). The journal writer's session holds the leadership lock; a leader
 * frozen by SIGSTOP (or a stalled VM) keeps its TCP connection, so nothing on
 * its side would ever let the lock go. The server has to end that session:
 * the writer session runs with `idle_session_timeout` (and, should it ever be
 * inside a transaction, `idle_in_transaction_session_timeout`) set to the
 * lease, so a backend left idle for a lease is ended by PostgreSQL — and with
 * it the lock, which a standby then takes.
 *
 * A live leader must therefore never be idle that long: KeepAlive sends a
 * cheap `SELECT 1` whenever the session has been idle for a fifth of the
 * lease, leaving four fifths of margin for a busy event loop. A statement —
 * the ping, or a journal INSERT — with no answer within the lease means the
 * connection is dead without having said so (a half-open TCP connection, a
 * network that drops packets): the server has heard nothing from us for a
 * lease by then and has ended the session anyway, so the writer treats the
 * connection as gone. Without that, a leader whose INSERT went into the void
 * would wait for it forever, its alarms unacknowledged, while a standby
 * already leads.
 */
import type { Queryable } from './journal-sql.js';

export const DEFAULT_LEASE_MS = 10_000;
/** Below this a busy event loop (GC, a large replay page) could lose a live leader's session. */
export const MIN_LEASE_MS = 1_000;

/** Throws a RangeError naming the bad value, before anything connects. */
export function checkLeaseMs(leaseMs: number): number {
  if (!Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS) {
    throw new RangeError(`leader lease must be a whole number of milliseconds, at least ${MIN_LEASE_MS}; got ${String(leaseMs)}`);
  }
  return leaseMs;
}

/** Sets the lease on the session; the server ends it after a lease of idleness. */
export async function applyLease(session: Queryable, leaseMs: number): Promise<void> {
  await session.query("SELECT set_config('idle_session_timeout', $1, false), set_config('idle_in_transaction_session_timeout', $1, false)", [String(leaseMs)]);
}

export interface KeepAliveOptions {
  leaseMs: number;
  /** Milliseconds since the session last finished a statement; undefined while one is running. */
  idleFor: () => number | undefined;
  /** Milliseconds a statement has been waiting with no answer from the session (0 while none waits). */
  unansweredFor: () => number;
  /** Runs `SELECT 1` on the session (reconnecting first if it is gone). */
  ping: () => Promise<unknown>;
  /** A statement got no answer within the lease. */
  onNoAnswer: () => void;
}

export class KeepAlive {
  private timer: NodeJS.Timeout | undefined;
  private pinging = false;

  constructor(private readonly options: KeepAliveOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.leaseMs / 5);
    // Never what keeps the process alive: a hub that is stopping ends its journal itself.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const { leaseMs, idleFor, unansweredFor, ping } = this.options;
    if (unansweredFor() >= leaseMs) return this.confirmNoAnswer();
    const idle = idleFor();
    // While a statement runs the session is not idle: nothing to keep alive.
    if (this.pinging || idle === undefined || idle < leaseMs / 5) return;
    this.pinging = true;
    // An unanswered ping is caught by the check above at a later tick, like any statement.
    void ping()
      .catch(() => undefined)
      .finally(() => (this.pinging = false));
  }

  /**
   * Decided only after the event loop's next poll: after a stall of the
   * hub's own loop (a long GC, a burst of work) this timer runs before the
   * socket is read, and the answer may already be waiting in it. The check
   * phase (setImmediate) comes after the poll phase, so a statement still
   * unanswered there really had none. A false "no answer" would end a
   * healthy leadership and cause a failover nobody needed.
   */
  private confirmNoAnswer(): void {
    setImmediate(() => {
      if (this.timer && this.options.unansweredFor() >= this.options.leaseMs) this.options.onNoAnswer();
    });
  }
}
