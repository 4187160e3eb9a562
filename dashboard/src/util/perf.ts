/**
 * Render timings of the queue, kept in `window.__hcPerf` for the browser tests
 * and for anyone profiling a busy console: how long each render took to reach
 * the DOM, and how long after the change that caused it it was painted.
 */
export interface QueueTiming {
  rows: number;
  /** From the start of the queue's render to the DOM commit. */
  commitMs: number;
  /** From the data change (stream message applied) to the DOM commit. */
  sinceChangeMs: number;
  /** From the data change to the next frame after the commit (painted). */
  paintedMs?: number;
}

interface PerfLog {
  queue: QueueTiming[];
}

declare global {
  interface Window {
    __hcPerf?: PerfLog;
  }
}

export function recordQueueRender(rows: number, renderStart: number, changeAt: number): void {
  const log = (window.__hcPerf ??= { queue: [] });
  const now = performance.now();
  const timing: QueueTiming = { rows, commitMs: now - renderStart, sinceChangeMs: now - changeAt };
  log.queue.push(timing);
  if (log.queue.length > 100) log.queue.shift();
  requestAnimationFrame(() => setTimeout(() => (timing.paintedMs = performance.now() - changeAt), 0));
}
