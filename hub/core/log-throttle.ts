/**
 * Lets one log line (or audit entry) through per key per window and counts
 * the ones held back, so a device that keeps sending garbage cannot flood the
 * log or the journal while its problem stays visible.
 */
export class Throttle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns null when held back, or how many were held back since the last one let through. */
  pass(key: string): { suppressed: number } | null {
    const now = this.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.windowMs) {
      entry.suppressed++;
      return null;
    }
    if (this.last.size > 10_000) this.last.clear(); // bound memory under a flood of distinct keys
    this.last.set(key, { at: now, suppressed: 0 });
    return { suppressed: entry?.suppressed ?? 0 };
  }
}

/**
 * At most `lines` log lines per `windowMs` over all keys, beside the
 * per-key Throttle: one device's garbage is held back by its key, but a
 * fleet sending garbage at once (a bad firmware roll-out, a misconfigured
 * gateway) has a key per device, and writing a line costs far more than
 * dropping the message. What is held back is counted and told with the next
 * line let through.
 */
export class LineBudget {
  private windowStart = -Infinity;
  private used = 0;
  private heldBack = 0;

  constructor(
    private readonly lines: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Returns null when the window's lines are used up, or how many were held back before this one. */
  take(): { heldBack: number } | null {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.lines) {
      this.heldBack++;
      return null;
    }
    this.used++;
    const heldBack = this.heldBack;
    this.heldBack = 0;
    return { heldBack };
  }
}
