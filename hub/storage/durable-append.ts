/**
 * The journal's durable write, done by one worker thread so that the event
 * loop learns at once that a batch is on disk (issue 14, alarms first).
 *
 * Why: a write through libuv's thread pool (fs.promises) is finished when the
 * disk says so, but the event loop notices only when it next polls. Under
 * load that is the rest of the current turn — every socket that has data is
 * read first — and an alarm's PUBACK waited one to three turns for its batch:
 * 50 ms at p50 with 25,000 msg/s offered, where the disk took 0.3 ms
 * (docs/PERFORMANCE.md, issue 14 third pass).
 *
 * How: the batch is posted to the worker, which appends it with one write to
 * the O_DSYNC file (journal-writer.ts) and then flags completion in shared
 * memory. The main thread waits on that flag (Atomics.wait) for at most
 * `waitMs`: on a healthy disk the write is done well within it, and the batch
 * — with the PUBACKs waiting on it — completes in the same turn. On a slow or
 * stalled disk (or a writer thread waiting for a core) the main thread stops
 * waiting after `waitMs`; the batch then completes at the next `poll()` that
 * finds the flag set — the broker calls it on every socket read, so under
 * load that is microseconds later — or when the worker's message arrives,
 * whichever comes first. A stalled disk never stalls the event loop for more
 * than `waitMs`, so /health, the pipeline heartbeat and telemetry go on
 * (DESIGN.md §8).
 *
 * One write in flight at a time (the journal's group commit guarantees it);
 * the worker writes to the descriptor the main thread opened and keeps
 * nothing open itself.
 */
import { Worker } from 'node:worker_threads';

/** The worker: CommonJS, evaluated from this string (no file to find in the bundle). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const done = new Int32Array(workerData.done);
parentPort.on('message', ({ seq, fd, bytes }) => {
  let error = null;
  try {
    for (let off = 0; off < bytes.length; ) {
      const written = writeSync(fd, bytes, off, bytes.length - off);
      if (written <= 0) throw new Error('write accepted 0 bytes');
      off += written;
    }
  } catch (err) {
    error = { message: err.message, code: err.code };
  }
  // DONE slot first (the main thread may be waiting on it), then the message for one that stopped waiting.
  Atomics.store(done, 1, error ? 1 : 0);
  Atomics.store(done, 0, seq);
  Atomics.notify(done, 0);
  parentPort.postMessage({ seq, error });
});
`;

interface Outcome {
  seq: number;
  error: { message: string; code?: string } | null;
}

export class DurableAppend {
  private worker: Worker | undefined;
  /** [0]: the last write done, [1]: 1 when it failed. */
  private readonly done = new Int32Array(new SharedArrayBuffer(8));
  private seq = 0;
  private pending: { seq: number; resolve: () => void; reject: (err: Error) => void } | undefined;

  /** `waitMs`: how long the event loop may wait for the disk before it lets the write finish in the background. */
  constructor(private readonly waitMs: number) {}

  /**
   * Starts the thread (about 9 MiB: a Node environment of its own), so the first write does not
   * wait for it to boot; the journal calls it from open(). Idempotent.
   */
  prepare(): void {
    this.start();
  }

  /** Appends `bytes` to the O_DSYNC file `fd`; resolves once they are on disk. */
  write(fd: number, bytes: Buffer): Promise<void> {
    if (this.pending) return Promise.reject(new Error('durable append: a write is already in flight'));
    const seq = ++this.seq;
    this.start().postMessage({ seq, fd, bytes });
    Atomics.wait(this.done, 0, seq - 1, this.waitMs);
    if (Atomics.load(this.done, 0) === seq && Atomics.load(this.done, 1) === 0) return Promise.resolve();
    // Failed (the message carries the reason) or still writing: settle when the worker says so.
    return new Promise((resolve, reject) => (this.pending = { seq, resolve, reject }));
  }

  /**
   * Completes a write that finished after the main thread stopped waiting, without waiting for
   * the worker's message: one Atomics.load while a write is pending, nothing otherwise. A failed
   * write is left to the message, which carries the reason.
   */
  poll(): void {
    const pending = this.pending;
    if (!pending || Atomics.load(this.done, 0) !== pending.seq || Atomics.load(this.done, 1) !== 0) return;
    this.pending = undefined;
    pending.resolve();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // No execArgv of the process (a loader such as tsx's would make the evaluated source an ES module).
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { done: this.done.buffer } });
    // It must not keep the process alive; close() ends it.
    worker.unref();
    worker.on('message', (outcome: Outcome) => this.settle(outcome));
    worker.on('error', (err: Error) => this.fail(err));
    worker.on('exit', (code) => code !== 0 && this.fail(new Error(`durable append: the writer thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle({ seq, error }: Outcome): void {
    const pending = this.pending;
    if (!pending || pending.seq !== seq) return; // already completed: while the main thread waited, or by poll()
    this.pending = undefined;
    if (!error) return pending.resolve();
    pending.reject(Object.assign(new Error(error.message), error.code ? { code: error.code } : {}));
  }

  private fail(err: Error): void {
    this.worker = undefined;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }
}
