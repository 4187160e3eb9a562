/**
 * One node's share of the home partitions' leases (docs/CLUSTER.md "Built
 * (step 3, part): spreading the leases"). Not wired into the hub yet: the
 * cluster's leader still takes every lease with the journal's lock.
 *
 * Every `renewEveryMs` (a fifth of the lease) one round, never two at once:
 * 1. renew what it holds; a lease the database no longer renews (it ran out,
 *    or moved) is lost at once;
 * 2. learn the live nodes and compute the bounded rendezvous assignment and
 *    the plan (partition-plan.ts);
 * 3. give up hand-overs and surplus, after `beforeRelease` (the work for them
 *    drained);
 * 4. take free ones, its own first (partition-balance-sql.ts).
 * The home-less partition (-1) is not this class's: it stays with the holder
 * of the journal's lock.
 *
 * What this node believes it holds, and why that is never more than the
 * database gives it: a lease taken or renewed by a statement sent at local
 * time t runs in the database until at least t + lease, since the database
 * stamped it with its own now(), the start of a transaction that began after
 * t. So this node counts each lease as held until t + lease − safetyMargin on
 * its own monotonic clock (`performance.now()`, which wall-clock steps do not
 * move), the margin covering the two clocks' rate difference and the time
 * between a check of `held` and the act it allows. Past that, the lease is
 * lost (`onLost`, 'expired'), whatever rounds are doing: a timer says so when
 * it is due, and `held` never shows a lease past it even if that timer is late
 * (a blocked event loop). No answer is needed for that, so a database that is
 * down or silent costs the leases at their expiry and not before, and never
 * leaves this node acting on a lease another node may hold by then.
 *
 * A round that fails (database unreachable, `liveNodes` throws) changes
 * nothing: it assumes neither a renewal nor a loss. A round that has not ended
 * after `roundTimeoutMs` (a connection that went silent) is abandoned: its
 * late answers are dropped, and the next round starts on time. What it may
 * still have done in the database is harmless: a late renewal only extends
 * leases this node has counted lost by then (nobody may take them until they
 * run out, a lease at most); a late take leaves rows in our name that nobody
 * uses, which run out and are taken again under a new epoch.
 */
import { HOMELESS_PARTITION } from '../../core/partitions.js';
import { waitAtMost } from '../../core/wait-at-most.js';
import type { Queryable } from './journal-sql.js';
import { readHomePartitionLeases, releasePartitions, takeFreePartitions, type TakenPartition } from './partition-balance-sql.js';
import { HeldPartitions, renewPartitions } from './partition-leases.js';
import { checkLeaseMs, DEFAULT_LEASE_MS } from './writer-lease.js';
import { planRound } from '../../core/partition-plan.js';
import { AssignmentCache } from '../../core/partition-rendezvous.js';

/**
 * - moved: a renewal found the lease run out or taken in the database;
 * - expired: no renewal succeeded within the lease (minus the margin);
 * - released: this node gave it up (surplus, hand-over, stop).
 */
export type LossReason = 'moved' | 'expired' | 'released';

export interface PartitionOwnerOptions {
  db: Queryable;
  nodeId: string;
  /** The nodes alive now (Redis heartbeats, in the cluster); this node counts whether listed or not. */
  liveNodes: () => Promise<readonly string[]> | readonly string[];
  /** HUB_LEADER_LEASE_MS's idea: 10 s by default, at least 1 s. */
  leaseMs?: number;
  /** A fifth of the lease by default. */
  renewEveryMs?: number;
  /** How long before the database's expiry this node stops counting a lease as held; a tenth of the lease by default. */
  safetyMarginMs?: number;
  /** A free partition meant for another node is left to it this long before others may take it; two rounds by default. */
  othersFreeForMs?: number;
  /** Every node holds an alive lock (node-alive-lock.ts): a partition whose owner's session is gone is taken at once. */
  deadOwnersFree?: boolean;
  /** A round still running after this is abandoned; the lease by default. */
  roundTimeoutMs?: number;
  /**
   * Called before partitions are given up; the release waits for it (the
   * owner drains their work). If it rejects, or the round is abandoned
   * meanwhile, they are kept, and no `onLost` follows for them.
   */
  beforeRelease?: (partitions: readonly number[]) => Promise<void>;
  onGained?: (gained: readonly TakenPartition[]) => void;
  onLost?: (partitions: readonly number[], reason: LossReason) => void;
  /**
   * A round of the timer's ended well (the cluster's heartbeat should follow
   * it: a node listed live but failing its rounds keeps its share from the
   * others, see docs/CLUSTER.md).
   */
  onRound?: (report: RoundReport) => void;
  /** A round failed (or a callback threw); nothing was assumed. */
  onError?: (err: Error) => void;
}

/** What a round did. */
export interface RoundReport {
  live: number;
  share: number;
  gained: TakenPartition[];
  /** Lost without giving them up: moved, or past their local expiry. */
  lost: number[];
  released: number[];
  held: number;
}

interface Lease {
  epoch: number;
  /** Local monotonic time until which this node counts the lease as held. */
  validUntil: number;
}

/** A round overtaken by its deadline or by stop(): its late answers change nothing. */
class RoundAbandoned extends Error {
  override name = 'RoundAbandoned';
}

const now = () => performance.now();

export class PartitionOwner {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly renewEveryMs: number;
  private readonly marginMs: number;
  private readonly othersFreeForMs: number;
  private readonly roundTimeoutMs: number;
  private readonly leases = new Map<number, Lease>();
  private snapshot: HeldPartitions;
  private readonly assignments = new AssignmentCache();
  private running: Promise<RoundReport> | undefined;
  /** Bumped when a round ends or is abandoned: a round whose number is no longer current changes nothing. */
  private generation = 0;
  private roundTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private started = false;
  /** Set by stop() until start() or round(): no timer of any kind runs, as in a killed or frozen process. */
  private frozen = false;
  /** Losses (not releases) of the round in progress, for its report, with those the expiry timer found meanwhile. */
  private lostInRound: number[] = [];

  constructor(private readonly options: PartitionOwnerOptions) {
    this.nodeId = options.nodeId;
    this.leaseMs = checkLeaseMs(options.leaseMs ?? DEFAULT_LEASE_MS);
    this.renewEveryMs = options.renewEveryMs ?? this.leaseMs / 5;
    this.marginMs = options.safetyMarginMs ?? this.leaseMs / 10;
    this.othersFreeForMs = options.othersFreeForMs ?? 2 * this.renewEveryMs;
    this.roundTimeoutMs = options.roundTimeoutMs ?? this.leaseMs;
    // A renewal must come well inside the believed lease, or leases would lapse between rounds.
    if (!(this.renewEveryMs > 0 && this.renewEveryMs * 2 <= this.leaseMs - this.marginMs)) {
      throw new RangeError(`renewEveryMs (${this.renewEveryMs}) must be positive and at most half of the lease less the margin (${this.leaseMs} − ${this.marginMs} ms)`);
    }
    if (!(this.othersFreeForMs > 0)) throw new RangeError('othersFreeForMs must be positive: a node must not take back at once what it handed over');
    this.snapshot = new HeldPartitions(this.nodeId, new Map());
  }

  /**
   * The partitions held now, with their epochs: what a journal batch of theirs
   * is fenced by. Never a lease past its local expiry, even before the expiry
   * timer has run.
   */
  get held(): HeldPartitions {
    const t = now();
    const overdue = [...this.leases.values()].some((l) => l.validUntil <= t);
    if (!overdue) return this.snapshot;
    return new HeldPartitions(this.nodeId, new Map([...this.leases].filter(([, l]) => l.validUntil > t).map(([p, l]) => [p, l.epoch])));
  }

  /**
   * Whether this node counts the partition's lease as held at this instant:
   * one look-up, cheap enough for every device message. False from the
   * lease's local expiry on, before the expiry timer has told anyone (a
   * process frozen past its lease reads its sockets before its timers).
   */
  holdsNow(partition: number): boolean {
    const lease = this.leases.get(partition);
    return lease !== undefined && lease.validUntil > now();
  }

  /** Milliseconds until the first held lease counts as lost unless renewed (/metrics); undefined when none is held. */
  get leaseLeftMs(): number | undefined {
    if (this.leases.size === 0) return undefined;
    return Math.min(...[...this.leases.values()].map((l) => l.validUntil)) - now();
  }

  /** Runs a round now, then one every `renewEveryMs` (from the start of the last). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.frozen = false;
    this.armExpiry();
    this.loop();
  }

  /**
   * Stops the rounds, after the one in progress. With `release`, gives up every
   * lease (after `beforeRelease`) so other nodes take them at their next round
   * instead of waiting for the expiry. Without, the leases run out in the
   * database, and this object stays as it is (no timer, no loss reported): what
   * a killed or frozen node leaves. `start()` or `round()` wakes it up again.
   */
  async stop({ release = false }: { release?: boolean } = {}): Promise<void> {
    this.started = false;
    clearTimeout(this.roundTimer);
    await this.running?.catch(() => undefined);
    this.frozen = true;
    clearTimeout(this.expiryTimer);
    if (!release || this.leases.size === 0) return;
    const all = this.held.homePartitions;
    // The node is going away either way: a drain that fails, or that has not finished within the lease, does not
    // keep the leases (past the lease they would run out anyway). Releasing is safe while it still runs: whatever
    // it writes after another node took a partition is refused by that partition's fence (the new epoch).
    const drain = this.options.beforeRelease?.(all).catch((err: unknown) => this.report(err));
    if (drain && !(await waitAtMost(drain, this.leaseMs))) {
      this.report(new Error(`the drain before releasing ${all.length} partitions did not finish within the lease (${this.leaseMs} ms): released all the same`));
    }
    await this.giveUp(all).catch((err: unknown) => this.report(err));
  }

  /**
   * One round (module comment). A call while a round runs gets that round's
   * result: two never run at once. Rejects when the round fails or is
   * abandoned; the timer's rounds report that to `onError` instead.
   */
  round(): Promise<RoundReport> {
    this.frozen = false;
    this.running ??= this.roundWithDeadline().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private loop(): void {
    if (!this.started) return;
    const startedAt = now();
    this.round()
      .then(
        (report) => this.notify(() => this.options.onRound?.(report)),
        (err: unknown) => this.report(err),
      )
      .finally(() => {
        if (!this.started) return;
        clearTimeout(this.roundTimer);
        this.roundTimer = setTimeout(() => this.loop(), Math.max(0, startedAt + this.renewEveryMs - now()));
        this.roundTimer.unref();
      });
  }

  private async roundWithDeadline(): Promise<RoundReport> {
    const generation = ++this.generation;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RoundAbandoned(`the round did not end within ${this.roundTimeoutMs} ms: abandoned`)), this.roundTimeoutMs);
    });
    const work = this.runRound(generation);
    work.catch(() => undefined); // abandoned, its error is nobody's
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
      this.generation += 1;
    }
  }

  /** Throws if the round was abandoned meanwhile. */
  private still(generation: number): void {
    if (generation !== this.generation) throw new RoundAbandoned('the round was abandoned');
  }

  private async runRound(generation: number): Promise<RoundReport> {
    this.lostInRound = [];
    this.dropOverdue();
    await this.renew(generation);

    const live = [...new Set([this.nodeId, ...(await this.options.liveNodes())])];
    this.still(generation);
    const rows = await readHomePartitionLeases(this.options.db, { deadOwnersFree: this.options.deadOwnersFree });
    this.still(generation);
    const plan = planRound({ self: this.nodeId, held: this.held.homePartitions, assignment: this.assignments.of(live), rows });

    let released: number[] = [];
    if (plan.release.length > 0) {
      await this.options.beforeRelease?.(plan.release);
      this.still(generation);
      released = await this.giveUp(plan.release.filter((p) => this.leases.has(p)));
      this.still(generation);
    }
    const room = plan.share - this.leases.size;
    const gained = room > 0 && plan.anyFree ? await this.take(generation, Math.min(room, plan.take), plan.prefer) : [];
    return { live: live.length, share: plan.share, gained, lost: this.lostInRound, released, held: this.leases.size };
  }

  /** Renews every lease held; those the database would not renew are lost at once. */
  private async renew(generation: number): Promise<void> {
    const held = this.held;
    if (held.size === 0) return;
    const sentAt = now();
    const missed = new Set(await renewPartitions(this.options.db, held, this.leaseMs));
    this.still(generation);
    const validUntil = sentAt + this.leaseMs - this.marginMs;
    const moved: number[] = [];
    for (const p of held.homePartitions) {
      const lease = this.leases.get(p);
      // Dropped meanwhile (its local expiry came while the statement ran): it stays lost.
      if (!lease || lease.epoch !== held.epochOf(p)) continue;
      if (missed.has(p)) moved.push(p);
      else lease.validUntil = Math.max(lease.validUntil, validUntil);
    }
    this.drop(moved, 'moved');
    this.armExpiry();
  }

  private async take(generation: number, count: number, prefer: readonly number[]): Promise<TakenPartition[]> {
    const sentAt = now();
    const taken = await takeFreePartitions(this.options.db, { owner: this.nodeId, count, prefer, othersFreeForMs: this.othersFreeForMs, leaseMs: this.leaseMs, deadOwnersFree: this.options.deadOwnersFree });
    this.still(generation);
    const validUntil = sentAt + this.leaseMs - this.marginMs;
    for (const t of taken) {
      if (t.partition === HOMELESS_PARTITION) throw new Error('took the home-less partition: the take statement must name partition >= 0');
      this.leases.set(t.partition, { epoch: t.epoch, validUntil });
    }
    this.changed();
    if (taken.length > 0) this.notify(() => this.options.onGained?.(taken));
    return taken;
  }

  /**
   * Counts the partitions lost first — from here on this node does not act
   * for them — then releases them in the database. If that statement fails
   * they run out by themselves, a lease later.
   */
  private async giveUp(partitions: readonly number[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    const fence = this.snapshot.fenceFor(partitions);
    this.drop(partitions, 'released');
    await releasePartitions(this.options.db, fence);
    return [...partitions];
  }

  private dropOverdue(): void {
    const t = now();
    this.drop(
      [...this.leases].filter(([, l]) => l.validUntil <= t).map(([p]) => p),
      'expired',
    );
  }

  private drop(partitions: readonly number[], reason: LossReason): void {
    const gone = partitions.filter((p) => this.leases.delete(p)).sort((a, b) => a - b);
    if (gone.length === 0) return;
    if (reason !== 'released') this.lostInRound.push(...gone);
    this.changed();
    this.notify(() => this.options.onLost?.(gone, reason));
  }

  private changed(): void {
    this.snapshot = new HeldPartitions(this.nodeId, new Map([...this.leases].map(([p, l]) => [p, l.epoch])));
    this.armExpiry();
  }

  /** A timer at the first local expiry, so a loss is told when due, not at the next round that manages to run. */
  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    if (this.frozen || this.leases.size === 0) return;
    const first = Math.min(...[...this.leases.values()].map((l) => l.validUntil));
    // A timer may fire a fraction of a millisecond before performance.now() reaches its due time:
    // one more millisecond, and armed again whatever it found, so a lease is never left unwatched.
    this.expiryTimer = setTimeout(() => {
      this.dropOverdue();
      this.armExpiry();
    }, Math.max(0, first - now()) + 1);
    this.expiryTimer.unref();
  }

  private notify(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    if (err instanceof RoundAbandoned && !this.started) return; // stopped during the round: nothing to tell
    this.options.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}
