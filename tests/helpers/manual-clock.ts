/** A Clock that moves only when the test says so; timers fire in time order on advance(). */
import type { Clock, TimerHandle } from '../../hub/core/clock.js';

interface PendingTimer {
  id: number;
  due: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private timers: PendingTimer[] = [];
  private nextId = 1;

  constructor(private current = Date.UTC(2026, 10, 24, 2, 0, 0)) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, due: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== (handle as unknown as number));
  }

  /** Moves time forward, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
  }

  get pending(): number {
    return this.timers.length;
  }
}
