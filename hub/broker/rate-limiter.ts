/**
 * Token buckets keyed by a string (an IP address or a device id). A bucket
 * outlives the connection that used it: a device that reconnects keeps its
 * empty bucket (issue 10 item 7: forgetting it on disconnect let one device
 * reach 5,643 msg/s against a 20/s limit by reconnecting every 95 messages).
 *
 * Memory stays bounded two ways: a bucket that has refilled completely behaves
 * exactly like an absent one and is dropped, and the map holds at most
 * `maxKeys` buckets (the least recently used goes first). The map is kept in
 * least-recently-used order to within a second, so both sweeps stop at the
 * first live bucket: a bucket is moved to the end at most once a second, not
 * on every take (a delete and an insert per device message, on the hot path).
 */
interface Bucket {
  tokens: number;
  updatedAt: number;
  /** When the bucket was last moved to the map's end. */
  movedAt: number;
}

/** How stale the map's order may get; also what the sweep may leave behind until its next pass. */
const REORDER_MS = 1000;

/** Enough for every device of one node (DESIGN.md §8: about 20,000) several times over; ~100 B each. */
export const DEFAULT_MAX_KEYS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly fullAfterMs: number;
  private lastSweep = 0;

  constructor(
    /** Tokens added per second. */
    private readonly ratePerSec: number,
    /** Bucket size: how many may come at once after a quiet period. */
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    this.fullAfterMs = (burst / ratePerSec) * 1000;
  }

  /** Takes one token for `key`; false when the key is over its rate. */
  take(key: string): boolean {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key);
    if (!bucket) {
      this.makeRoom();
      this.buckets.set(key, { tokens: this.burst - 1, updatedAt: now, movedAt: now });
      return true;
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.ratePerSec);
    bucket.updatedAt = now;
    if (now - bucket.movedAt >= REORDER_MS) {
      // Re-insert: the map's order is the order of last use (to within REORDER_MS).
      bucket.movedAt = now;
      this.buckets.delete(key);
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Drops buckets that have refilled completely, oldest first, at most once per refill period. */
  private sweep(now: number): void {
    if (now - this.lastSweep < Math.max(this.fullAfterMs, 1000)) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      // Ordered by movedAt: every bucket after this one was used within the last fullAfterMs + REORDER_MS.
      if (now - bucket.movedAt < this.fullAfterMs) break;
      if (now - bucket.updatedAt >= this.fullAfterMs) this.buckets.delete(key);
    }
  }

  /**
   * At the cap, the least recently used bucket goes. That key starts full again
   * when it returns — the price of bounded memory, paid only by a key idle
   * longer than `maxKeys` others.
   */
  private makeRoom(): void {
    while (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (oldest.done) return;
      this.buckets.delete(oldest.value);
    }
  }
}
