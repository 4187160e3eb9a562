/**
 * Runs a time-ordered action list. `advanceTo(t)` is what makes time pass:
 * against a live hub it sleeps until the sped-up simulated clock reaches t;
 * in a test it moves the hub's injected clock to t (firing the hub's timers),
 * so a 12-hour scenario takes seconds and the hub sees the same hours pass.
 */
import { performance } from 'node:perf_hooks';
import type { Action } from './actions.js';

export interface SimClock {
  now(): number;
}

/** Simulated time that starts at `start` and runs `speed` times faster than the wall clock. */
export class SpedUpClock implements SimClock {
  private readonly origin = performance.now();

  constructor(
    readonly start: number,
    readonly speed: number,
  ) {}

  now(): number {
    return this.start + (performance.now() - this.origin) * this.speed;
  }

  /** Sleeps (in real time) until simulated time reaches `t`. */
  async until(t: number, signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted && this.now() < t) {
      await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(1, (t - this.now()) / this.speed))));
    }
  }
}

export async function runActions(
  actions: readonly Action[],
  perform: (action: Action) => Promise<void>,
  advanceTo: (t: number) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<void> {
  for (const action of actions) {
    if (signal?.aborted) return;
    await advanceTo(action.at);
    if (signal?.aborted) return;
    await perform(action);
  }
}
