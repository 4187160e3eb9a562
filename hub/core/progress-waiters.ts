/**
 * Waits for a counter that only grows (a replica's last journal line) to
 * reach a value, each wait bounded. Why: a cluster standby answers console
 * reads from its copy of the journal (docs/CLUSTER.md "Reads on any node"),
 * and a read that must see a write the leader has already answered has to
 * wait until the copy holds that write's line, not a fixed time.
 *
 * `advance` runs for every line applied, so with nobody waiting it is one
 * comparison.
 */
interface Waiter {
  target: number;
  resolve(reached: boolean): void;
  timer: NodeJS.Timeout;
}

export class ProgressWaiters {
  private readonly waiting = new Set<Waiter>();
  /** The smallest target waited for (Infinity: nobody waits). */
  private lowest = Infinity;

  constructor(private readonly current: () => number) {}

  /** Resolves true once the counter is at least `target`, false after `maxMs` (or at `cancelAll`). */
  reach(target: number, maxMs: number): Promise<boolean> {
    if (this.current() >= target) return Promise.resolve(true);
    if (maxMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        target,
        resolve,
        timer: setTimeout(() => this.timedOut(waiter), maxMs),
      };
      this.waiting.add(waiter);
      this.lowest = Math.min(this.lowest, target);
    });
  }

  /** The counter moved to `value`: every wait it satisfies ends. */
  advance(value: number): void {
    if (value < this.lowest) return;
    for (const waiter of this.waiting) if (value >= waiter.target) this.end(waiter, true);
    this.recomputeLowest();
  }

  /** Ends every wait as not reached (the journal closed, the node leads now). */
  cancelAll(): void {
    for (const waiter of this.waiting) this.end(waiter, false);
    this.lowest = Infinity;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Deleting the entry being visited is safe in a Set's for-of. */
  private end(waiter: Waiter, reached: boolean): void {
    this.waiting.delete(waiter);
    clearTimeout(waiter.timer);
    waiter.resolve(reached);
  }

  private readonly timedOut = (waiter: Waiter): void => {
    if (!this.waiting.has(waiter)) return;
    this.end(waiter, false);
    this.recomputeLowest();
  };

  private recomputeLowest(): void {
    let lowest = Infinity;
    for (const w of this.waiting) lowest = Math.min(lowest, w.target);
    this.lowest = lowest;
  }
}
