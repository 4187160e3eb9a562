/**
 * Mass disconnects (issue 12, docs/CLUSTER.md "Limits"): when thousands of
 * devices leave at once, Node handles every closed socket in one phase of the
 * event loop, and each close costs ~1.2 ms on a busy cluster node (Aedes'
 * close and unsubscribe, the will, the `$SYS` announcement, session clean-up
 * on Redis, the hub's own clean-up). 13,700 of them held every timer for
 * 16 s, and the cluster leader lost its lease: its keep-alive is a timer.
 *
 * The connection drops its socket at once (guarded-connection.ts), but the
 * rest of its close waits here and is done a few per event-loop turn, within
 * a count and a time budget, as connect-admission.ts does for connects: the
 * timers and the other devices' alarms run between two batches. FIFO; a close
 * that something needed earlier (a takeover by the same device: `finishNow`)
 * is done at once and skipped when its turn comes.
 */

/** A connection whose close is partly done: the rest runs when the queue gets to it. */
export interface PendingClose {
  /** Does the rest of the close; false if it was done already. */
  finishClose(): boolean;
}

export interface CloseQueueLimits {
  /** Closes finished per event-loop turn at most. */
  perTurn: number;
  /** A turn stops once its closes took this long (at least one close per turn). */
  budgetMs: number;
}

/** ~1.2 ms per close on a busy cluster node: a turn of closes stays near 10 ms either way. */
export const DEFAULT_CLOSE_LIMITS: CloseQueueLimits = { perTurn: 64, budgetMs: 10 };

export class CloseQueue {
  private queue: PendingClose[] = [];
  private head = 0;
  private pending = 0;
  private scheduled = false;
  /** Closes finished by the queue's turns (not by finishNow), and the turns that did them. */
  readonly stats = { finished: 0, turns: 0, maxWaiting: 0 };

  constructor(
    private readonly limits: CloseQueueLimits,
    /** A close that throws must not stop the queue, nor end the process (DESIGN.md §11). */
    private readonly onError: (err: unknown) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Closes waiting for their turn. */
  get waiting(): number {
    return this.pending;
  }

  add(item: PendingClose): void {
    this.queue.push(item);
    this.pending++;
    if (this.pending > this.stats.maxWaiting) this.stats.maxWaiting = this.pending;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.finishSome);
  }

  /** Finishes one waiting close now (its place in the queue is skipped later). */
  finishNow(item: PendingClose): void {
    if (this.run(item)) this.pending--;
  }

  /** Finishes every waiting close now (the broker is stopping). */
  finishAll(): void {
    while (this.head < this.queue.length) this.finishNow(this.queue[this.head++]!);
    this.queue = [];
    this.head = 0;
  }

  private readonly finishSome = (): void => {
    this.scheduled = false;
    const { perTurn, budgetMs } = this.limits;
    const started = this.now();
    let done = 0;
    while (this.head < this.queue.length && done < perTurn && (done === 0 || this.now() - started < budgetMs)) {
      if (!this.run(this.queue[this.head++]!)) continue;
      this.pending--;
      done++;
    }
    if (done > 0) {
      this.stats.finished += done;
      this.stats.turns++;
    }
    if (this.head < this.queue.length) {
      // Drop the done front now and then so the array does not grow without bound.
      if (this.head > 1024) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.scheduled = true;
      setImmediate(this.finishSome);
    } else {
      this.queue = [];
      this.head = 0;
    }
  };

  private run(item: PendingClose): boolean {
    try {
      return item.finishClose();
    } catch (err) {
      this.onError(err);
      return true;
    }
  }
}
