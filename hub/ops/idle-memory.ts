/**
 * Gives back the V8 heap that a burst of work leaves behind, once the hub is
 * quiet again (issue 14 item 3, docs/PERFORMANCE.md).
 *
 * Why: V8 sizes its young generation for the busiest moment it has seen and
 * keeps the space. The start (1,000 homes parsed and indexed) grows it to its
 * largest size (2 × 16 MB), so an idle hub held ~13 MB of young-generation
 * pages with ~2 MB in them; a connect storm of 4,000 devices fills all 32 MB
 * and leaves ~30 MB of dead objects between the connections' live ones in the
 * old generation. V8's own memory reducer gives that back only after ~8 to
 * 30+ s of what it judges a low allocation rate (on this shared machine often
 * not within a minute, and not at all with 4,000 idle devices connected).
 *
 * What: right after the start, and after a burst (a second with the event
 * loop at least half busy) once the loop has been nearly idle for two
 * seconds, the hub asks V8 for the collection a memory-pressure signal gets:
 * every heap space compacted, the young generation back to its initial size.
 * The only public way to ask for it is the inspector's
 * `HeapProfiler.collectGarbage`, in-process (no port is opened). It is one
 * pause of the main thread (30-90 ms with 1,000 homes, ~200 ms with 4,000
 * connections on the loaded 2-core machine), which is why it waits for a quiet
 * loop and never runs under steady traffic: a hub that never gets busy leaves
 * it to V8.
 */
import { getHeapStatistics } from 'node:v8';
import { beginPause, endPause } from '../core/deliberate-pauses.js';
import type { Logger } from '../core/logger.js';
import type { UtilisationSampler } from '../ingest/load-shedder.js';

/** A sample at or above this utilisation marks a burst worth cleaning up after. */
export const BUSY_UTILISATION = 0.5;
/** Below this the loop counts as quiet: a few idle devices' keep-alives, the heartbeat probe. */
export const QUIET_UTILISATION = 0.05;
/** Quiet samples in a row (one a second) before the heap goes back. */
export const QUIET_SAMPLES = 2;
/** Heap held but not used, below which a collection is not worth its pause. */
export const MIN_SLACK_BYTES = 16 * 1024 * 1024;
const SAMPLE_MS = 1_000;

/** Asks V8 to collect everything and shrink its spaces; resolves when it has. */
export type ReturnHeap = () => Promise<void>;

export interface IdleMemoryDeps {
  /** The event loop's utilisation (0-1) since the previous call. */
  sample: UtilisationSampler;
  returnHeap: ReturnHeap;
  log: Logger;
  /** Bytes of heap V8 holds but does not use (default: physical − used, node:v8). */
  slackBytes?: () => number;
}

const heapSlack = (): number => {
  const heap = getHeapStatistics();
  return heap.total_physical_size - heap.used_heap_size;
};

export class IdleMemory {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private returning = false;
  private busySinceReturn = false;
  private quietSamples = 0;

  constructor(private readonly deps: IdleMemoryDeps) {}

  /** Once the start is done: its heap goes back now, then bursts' heap when the loop is quiet. */
  start(): void {
    if (this.stopped || this.timer) return;
    void this.giveBack('start');
    this.timer = setInterval(() => this.check(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One sample; public so tests can step it. */
  check(): void {
    const utilisation = this.deps.sample();
    if (utilisation >= BUSY_UTILISATION) this.busySinceReturn = true;
    this.quietSamples = utilisation < QUIET_UTILISATION ? this.quietSamples + 1 : 0;
    if (!this.busySinceReturn || this.quietSamples < QUIET_SAMPLES) return;
    // A burst that left little behind (a short spike) is not worth a pause: wait for the next one.
    if ((this.deps.slackBytes ?? heapSlack)() < MIN_SLACK_BYTES) {
      this.busySinceReturn = false;
      return;
    }
    void this.giveBack('after a burst');
  }

  private async giveBack(why: string): Promise<void> {
    if (this.returning || this.stopped) return;
    this.returning = true;
    this.busySinceReturn = false;
    const rss = process.memoryUsage.rss();
    const started = performance.now();
    // The load shedder leaves this pause out: it is not overload (core/deliberate-pauses.ts).
    beginPause(started);
    try {
      await this.deps.returnHeap();
      const pauseMs = Math.round(performance.now() - started);
      this.deps.log.debug({ why, pauseMs, rssBeforeMb: mb(rss), rssAfterMb: mb(process.memoryUsage.rss()) }, 'idle heap returned');
    } catch (err) {
      this.deps.log.warn({ err }, 'idle heap not returned');
    } finally {
      endPause();
      this.returning = false;
    }
  }
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

/**
 * The collection through an in-process inspector session (node:inspector; no
 * port). Undefined when this Node has no inspector: the hub then leaves the
 * heap to V8's own memory reducer.
 */
export async function inspectorReturnHeap(): Promise<ReturnHeap | undefined> {
  let Session: typeof import('node:inspector').Session;
  try {
    ({ Session } = await import('node:inspector'));
  } catch {
    return undefined;
  }
  return () =>
    new Promise<void>((resolve, reject) => {
      const session = new Session();
      try {
        session.connect();
      } catch (err) {
        return reject(err as Error);
      }
      session.post('HeapProfiler.collectGarbage', (err) => {
        // Not from inside the callback: disconnecting there never returns (Node 20).
        setImmediate(() => {
          session.disconnect();
          if (err) reject(err);
          else resolve();
        });
      });
    });
}
