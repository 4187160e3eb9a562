/**
 * A cluster node's leases when the home partitions are spread over the nodes
 * (issue 12 step 3, docs/CLUSTER.md "Owners' writers"):
 *
 * - its share of the home partitions, from the lease balancer
 *   (partition-owner.ts);
 * - the home-less partition (-1: logins, user admin, drills, forwarded
 *   audit) while it leads: the journal's advisory lock, taken on a session
 *   of its own that writes nothing (journal-writer-connection.ts,
 *   `homelessOnly`) — who leads is still the lock's holder, as before;
 * - `held()`: both, one fence for the journal's batches (journal-pg.ts,
 *   `homeLeases`).
 *
 * What the node's services are told (`OwnedPartitions` in hub/core):
 * - a partition is gained only once the journal has read every line
 *   committed before the lease was taken (`readUpToNow`): the last owner's
 *   lines are all applied before this node acts for those homes;
 * - a partition given up (surplus, hand-over, a clean stop) is lost before
 *   the lease is released, and the release waits until every line this node
 *   appended is durable: nothing it wrote for those homes lands after the
 *   next owner's first line;
 * - a lease that moved or ran out is lost at once.
 */
import { HOMELESS_PARTITION } from '../../core/partitions.js';
import type { LeaderRecord } from '../ports.js';
import type { LeaderIdentity } from './cluster-leader.js';
import type { PgDatabase } from './database.js';
import { JournalWriterConnection, type LeadershipLostError } from './journal-writer-connection.js';
import { HeldPartitions } from './partition-leases.js';
import { PartitionOwner, type LossReason, type RoundReport } from './partition-owner.js';
import { NodeAliveLock } from './node-alive-lock.js';

/** What the leases are told of and wait on: the journal they fence. */
export interface FencedJournal {
  readUpToNow(maxMs: number): Promise<boolean>;
  whenDurable(): Promise<void>;
}

export interface OwnerLeasesOptions {
  /** The balancer's connection pool (its rounds); the lock has a session of its own from it. */
  db: PgDatabase;
  nodeId: string;
  liveNodes: () => Promise<readonly string[]> | readonly string[];
  leaseMs?: number;
  /** Written into cluster_leader when this node takes the lock. */
  identity: () => LeaderIdentity;
  /** Set once the journal is built (it is fenced by these leases, and these wait on it). */
  journal: () => FencedJournal;
  /** Where the node's services hear of their partitions (hub/core/partition-ownership.ts OwnedPartitions). */
  ownership: { gain(partitions: readonly number[]): void; lose(partitions: readonly number[]): void; ownsPartition(partition: number): boolean };
  /**
   * Before the services hear of gained partitions (the journal read up to the
   * take): the pipeline snapshot's slices of those partitions are read here,
   * so the gain restores them. A rejection is reported (`onError`) and the
   * partitions are gained all the same: their homes need an owner more than a
   * snapshot.
   */
  beforeGain?: (partitions: readonly number[]) => Promise<void>;
  /** Before partitions are given up, while the services still act for them: their state is saved for the next owner. Errors are reported; the release goes on. */
  saveBeforeRelease?: (partitions: readonly number[]) => Promise<void>;
  onLeading?: (leader: LeaderRecord | undefined) => void;
  onWaitingForLock?: (holder: string, leader: LeaderRecord) => void;
  onLeadershipLost?: (err: LeadershipLostError) => void;
  onRound?: (report: RoundReport) => void;
  onLost?: (partitions: readonly number[], reason: LossReason) => void;
  onError?: (err: Error) => void;
}

export class OwnerLeases {
  readonly balancer: PartitionOwner;
  private readonly lock: JournalWriterConnection;
  /** The node's alive lock: the others take its partitions as soon as its session is gone (node-alive-lock.ts). */
  private readonly alive: NodeAliveLock;
  private leadingNow = false;
  private stopped = false;
  /** Partitions whose gain waits for the journal to catch up. */
  private readonly gaining = new Set<number>();
  /** Partitions being given up: dropped by the services, waiting for the journal before the release. */
  private readonly releasing = new Set<number>();

  constructor(private readonly options: OwnerLeasesOptions) {
    this.balancer = new PartitionOwner({
      db: options.db,
      nodeId: options.nodeId,
      liveNodes: options.liveNodes,
      leaseMs: options.leaseMs,
      deadOwnersFree: true,
      beforeRelease: (partitions) => this.beforeRelease(partitions),
      onGained: (gained) => void this.gained(gained.map((g) => g.partition)),
      onLost: (partitions, reason) => {
        options.ownership.lose(partitions);
        options.onLost?.(partitions, reason);
      },
      onRound: (report) => {
        this.reconcile();
        options.onRound?.(report);
      },
      onError: options.onError,
    });
    this.alive = new NodeAliveLock(options.db, options.nodeId, (err) => options.onError?.(err));
    this.lock = new JournalWriterConnection({
      db: options.db,
      waitForLeadership: true,
      homelessOnly: true,
      leaseMs: options.leaseMs,
      identity: options.identity,
      onWaiting: options.onWaitingForLock,
      onLeadershipLost: (err) => {
        this.leadingNow = false;
        options.onLeadershipLost?.(err);
      },
    });
  }

  /** Every lease this node holds now, one fence: the balancer's home partitions, and -1 while it leads. */
  held(): HeldPartitions {
    const home = this.balancer.held;
    return this.leadingNow ? home.with(this.lock.partitions) : home;
  }

  get leading(): boolean {
    return this.leadingNow && !this.lock.leadershipLost;
  }

  /** Whether the partition's lease is held at this instant (PartitionOwner.holdsNow); the home-less one while leading. */
  holdsNow(partition: number): boolean {
    return partition === HOMELESS_PARTITION ? this.leading : this.balancer.holdsNow(partition);
  }

  /** Takes the node's alive lock, starts the balancer's rounds, and the wait for the journal's lock in the background (it may last the node's life). */
  async start(): Promise<void> {
    await this.alive.start();
    this.balancer.start();
    void this.lock.open().then(
      (leader) => {
        if (this.stopped) return;
        this.leadingNow = true;
        this.options.onLeading?.(leader ?? this.lock.leader);
      },
      (err: unknown) => {
        if (!this.stopped) this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /** Gives every partition up (after the services dropped them and the journal's lines are durable), and the lock. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.balancer.stop({ release: true });
    this.leadingNow = false;
    await this.lock.end();
    await this.alive.stop();
  }

  /** A lease just taken: the services hear of it once the journal holds everything written before the take. */
  private async gained(partitions: readonly number[]): Promise<void> {
    const waiting = partitions.filter((p) => !this.gaining.has(p));
    if (waiting.length === 0) return;
    for (const p of waiting) this.gaining.add(p);
    try {
      const journal = this.options.journal();
      const lease = this.balancer.leaseMs;
      while (!this.stopped && !(await journal.readUpToNow(lease).catch(() => false))) {
        // Not read within a lease (a slow or unreachable database): still worth waiting only while the balancer holds one.
        if (waiting.every((p) => !this.holds(p))) return;
      }
      const ready = waiting.filter((p) => this.holds(p));
      if (this.stopped || ready.length === 0) return;
      await this.options.beforeGain?.(ready).catch((err: unknown) => this.options.onError?.(err instanceof Error ? err : new Error(String(err))));
      const stillHeld = ready.filter((p) => this.holds(p));
      if (!this.stopped && stillHeld.length > 0) this.options.ownership.gain(stillHeld);
    } finally {
      for (const p of waiting) this.gaining.delete(p);
    }
  }

  /**
   * After each round: a lease held that the services do not act for (a
   * release that did not happen after they were told to drop it — its round
   * was abandoned, or the plan changed) is gained again.
   */
  private reconcile(): void {
    const { ownership } = this.options;
    const orphans = this.balancer.held.homePartitions.filter((p) => !ownership.ownsPartition(p) && !this.gaining.has(p) && !this.releasing.has(p));
    if (orphans.length > 0) void this.gained(orphans);
  }

  private holds(partition: number): boolean {
    return this.balancer.held.epochOf(partition) !== undefined;
  }

  /** Before a release: the services stop acting for those homes, then what they wrote commits. */
  private async beforeRelease(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) this.releasing.add(p);
    await this.options.saveBeforeRelease?.(partitions).catch((err: unknown) => this.options.onError?.(err instanceof Error ? err : new Error(String(err))));
    this.options.ownership.lose(partitions);
    try {
      await this.options.journal().whenDurable();
    } finally {
      // Released, or kept (a journal that failed, an abandoned round): kept ones are gained again by the next round's reconcile.
      for (const p of partitions) this.releasing.delete(p);
    }
  }
}
