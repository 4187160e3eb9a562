/**
 * Who leads the cluster, as this node last read it (issue 12): the
 * `cluster_leader` row and whether its lock is held, re-read every second.
 * Front ends proxy consoles to `current()?.httpUrl`; /health shows it. A
 * second is the resolution a console's retry needs after a failover (the
 * lease itself is 10 s); one small query a second per node is nothing to
 * PostgreSQL. Reads that fail keep the last answer and mark it stale.
 */
import type { Logger } from '../core/logger.js';
import type { LeaderRecord } from '../storage/ports.js';

export const LEADER_POLL_MS = 1_000;

export interface LeaderSeen {
  nodeId: string;
  httpUrl: string | undefined;
  epoch: number;
  since: string | undefined;
}

export class LeaderWatch {
  /** New leaders seen since start (/metrics): every epoch after the first one read counts once, whether or not a moment without a leader came between. */
  changes = 0;
  private seen: LeaderSeen | undefined;
  private lastEpoch: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly read: () => Promise<LeaderRecord>,
    private readonly log: Logger,
    /** Told when the leader (node or epoch) is no longer the one last seen, or is gone. */
    private readonly onChange: (seen: LeaderSeen | undefined) => void = () => undefined,
    private readonly pollMs = LEADER_POLL_MS,
  ) {}

  /** False while the last reads of the leader row failed (the database does not answer). */
  get reachable(): boolean {
    return !this.failing;
  }

  /** The leader while its lock is held; undefined between a leader's death and the next one's claim. */
  current(): LeaderSeen | undefined {
    return this.seen;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
  }

  /** Reads now (also after this node has just claimed leadership, so it names itself at once). */
  refresh(): Promise<void> {
    this.reading ??= this.readOnce().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    try {
      const record = await this.read();
      const before = this.seen;
      this.seen =
        record.held && record.nodeId
          ? { nodeId: record.nodeId, httpUrl: record.httpUrl ?? undefined, epoch: record.epoch, since: record.since?.toISOString() }
          : undefined;
      if (before && (this.seen?.epoch !== before.epoch || this.seen?.nodeId !== before.nodeId)) this.onChange(this.seen);
      if (this.seen && this.seen.epoch !== this.lastEpoch) {
        if (this.lastEpoch !== undefined) this.changes++;
        this.lastEpoch = this.seen.epoch;
      }
      if (this.failing) this.log.info('leader record readable again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn({ err }, 'cannot read who leads the cluster; keeping the last answer');
      this.failing = true;
    }
  }
}
