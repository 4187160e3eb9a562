/**
 * Brute-force protection for logins (issue 7: 10 failed logins lock the
 * account or the IP for 5 minutes). Failures are counted per username and per
 * source address within a sliding window; either reaching the limit locks
 * that name or address. A success clears the name's count.
 */
export interface LoginGuardOptions {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

const DEFAULTS: LoginGuardOptions = { maxFailures: 10, windowMs: 5 * 60_000, lockMs: 5 * 60_000 };

interface Counter {
  failures: number[];
  lockedUntil: number;
}

export class LoginGuard {
  private readonly counters = new Map<string, Counter>();
  private readonly options: LoginGuardOptions;

  constructor(
    private readonly now: () => number = Date.now,
    options: Partial<LoginGuardOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** Milliseconds the username or the address is still locked for (0 = not locked). */
  lockedFor(username: string, ip: string): number {
    const now = this.now();
    return Math.max(0, ...[`user:${username}`, `ip:${ip}`].map((k) => (this.counters.get(k)?.lockedUntil ?? 0) - now));
  }

  /** Records a failure; returns true when this failure locked the name or the address. */
  failed(username: string, ip: string): boolean {
    let locked = false;
    for (const key of [`user:${username}`, `ip:${ip}`]) locked = this.count(key) || locked;
    if (this.counters.size > 50_000) this.sweep();
    return locked;
  }

  succeeded(username: string): void {
    this.counters.delete(`user:${username}`);
  }

  private count(key: string): boolean {
    const now = this.now();
    const counter = this.counters.get(key) ?? { failures: [], lockedUntil: 0 };
    counter.failures = counter.failures.filter((t) => now - t < this.options.windowMs);
    counter.failures.push(now);
    this.counters.set(key, counter);
    if (counter.failures.length >= this.options.maxFailures && counter.lockedUntil <= now) {
      counter.lockedUntil = now + this.options.lockMs;
      counter.failures = [];
      return true;
    }
    return false;
  }

  /** Forgets counters that are neither locked nor recent, so a spray of usernames cannot grow memory for ever. */
  private sweep(): void {
    const now = this.now();
    for (const [key, c] of this.counters) {
      if (c.lockedUntil <= now && c.failures.every((t) => now - t >= this.options.windowMs)) this.counters.delete(key);
    }
  }
}
