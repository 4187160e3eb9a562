/**
 * The pipeline of a cluster node that must lead before it runs it (issue 12,
 * docs/CLUSTER.md "Leadership and fencing"): the journal's open() waits for
 * the writer lock, so starting the pipeline's services in order *is* the
 * wait. It runs in the background: the node's front (broker, HTTP) serves
 * meanwhile, forwarding to whoever leads. Stopping aborts a wait still in
 * progress (closing the journal ends its lock wait).
 */
import type { Logger } from '../core/logger.js';
import { ServiceList, type Service } from '../core/service.js';

export interface LeadershipDeps {
  /** The pipeline, journal (the wait) first among the writers; started in order once it leads. */
  services: Service[];
  /** Ends a lock wait in progress, so stop() never hangs on a leader that never goes. */
  abortWait(): Promise<void>;
  /** Every service started: this node leads. */
  onLeading(): void;
  /** The pipeline could not start (not because we are stopping): the node cannot lead; the caller exits. */
  onFailed(err: unknown): void;
  log: Logger;
}

export class Leadership implements Service {
  readonly name = 'leadership';
  private readonly pipeline: ServiceList;
  private running: Promise<void> | undefined;
  private stopping = false;
  private leadingNow = false;

  constructor(private readonly deps: LeadershipDeps) {
    this.pipeline = new ServiceList(deps.services, deps.log);
  }

  get leading(): boolean {
    return this.leadingNow;
  }

  start(): void {
    this.running = this.pipeline.start().then(
      () => {
        if (this.stopping) return;
        this.leadingNow = true;
        this.deps.onLeading();
      },
      (err: unknown) => {
        if (!this.stopping) this.deps.onFailed(err);
      },
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const wasLeading = this.leadingNow;
    this.leadingNow = false;
    // A leader stops its pipeline in order (the journal last, after what still writes to it);
    // a node still waiting (or starting) has its wait ended first, or stop() would wait for a lock.
    if (!wasLeading) await this.deps.abortWait().catch((err: unknown) => this.deps.log.warn({ err }, 'ending the leadership wait failed'));
    await this.running;
    await this.pipeline.stop();
  }
}
