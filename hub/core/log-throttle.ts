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
