/**
 * The storage ports of the services around the alert pipeline (DESIGN.md §2,
 * §8): sessions, visits, webhooks and their delivery log, the pipeline's
 * rule state and watchdog silences, and the alarms a cluster node stores for
 * a home's owner. Split from ports.ts (the registry and the journal) to keep
 * each file to one subject; ports.ts re-exports everything here, so callers
 * import from it as before.
 */
import type { Session } from '../auth/sessions.js';
import type { WatchdogCheckpoint } from '../ingest/watchdog-checkpoint.js';
import type { DeliveryLine } from '../notify/types.js';
import type { OrgWebhook } from '../notify/webhook-store.js';
import type { RulesSnapshot } from '../rules/engine.js';
import type { HardshipPeriod, VisitRecord } from '../visits/visit.js';

// ── sessions ─────────────────────────────────────────────────────────────

/** A session as stored: the SHA-256 digest of its token (never the token itself) and what it grants. */
export interface StoredSession {
  digest: string;
  session: Session;
}

/**
 * Where login sessions are kept (hub/auth/sessions.ts holds them in memory
 * for every request). Files: memory only, as before — a restart ends every
 * session. PostgreSQL: a table, so a restart keeps them and (later) every
 * node sees them.
 */
export interface SessionsStore {
  readonly location: string;
  /** The sessions not expired at `now`; expired ones may be removed on the way. */
  load(now: number): Promise<StoredSession[]>;
  put(stored: StoredSession): Promise<void>;
  remove(digests: readonly string[]): Promise<void>;
  /**
   * One session as stored now, undefined when there is none or it has expired
   * at `now`. A cluster standby reads it per request before answering a read
   * itself, so a logout or revocation on the leader holds at once there too.
   * Absent where the sessions are this process's alone (files).
   */
  find?(digest: string, now: number): Promise<StoredSession | undefined>;
  /**
   * Tells every node of the cluster that these sessions ended, with why (a
   * logout on one node must end them on all, open WebSockets included:
   * DESIGN.md §11). PostgreSQL: removes the rows and announces them in the
   * same statement, so the announcement goes out only if the removal commits.
   * Absent (files): `remove` alone, the sessions being this process's.
   */
  removeAndAnnounce?(digests: readonly string[], reason: string): Promise<void>;
  /**
   * Calls `listener` for each announcement of ended sessions from any node
   * (this one's included), and with `undefined` when some may have been
   * missed (after the listening connection was made again): the caller then
   * checks what it holds with `stored`. Resolves once listening.
   */
  watchRevocations?(listener: SessionRevocationListener): Promise<{ close(): Promise<void> }>;
  /** Which of these sessions are still stored and not expired at `now` (a catch-up after missed announcements). */
  stored?(digests: readonly string[], now: number): Promise<ReadonlySet<string>>;
  close(): Promise<void>;
}

/** Sessions ended on some node (their token digests and why), or `undefined`: announcements may have been missed. */
export type SessionRevocationListener = (revoked: { digests: readonly string[]; reason: string } | undefined) => void;

// ── visits ───────────────────────────────────────────────────────────────

export interface VisitsData {
  visits: VisitRecord[];
  /** residentId → the periods the resident was flagged special-hardship, oldest first. */
  hardship: Record<string, HardshipPeriod[]>;
}

/** Community workers' visits and the special-hardship flag history (hub/visits/visit-store.ts). */
export interface VisitsStore {
  readonly location: string;
  load(): Promise<VisitsData>;
  putVisit(visit: VisitRecord): Promise<void>;
  putHardship(residentId: string, periods: HardshipPeriod[]): Promise<void>;
  close(): Promise<void>;
}

// ── webhooks ─────────────────────────────────────────────────────────────

/** The organisation's webhooks, secrets in clear (they sign with them): private to the hub in either store. */
export interface WebhooksStore {
  readonly location: string;
  load(): Promise<OrgWebhook[]>;
  put(webhook: OrgWebhook): Promise<void>;
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}

// ── the delivery log ─────────────────────────────────────────────────────

/**
 * The notification delivery log, from which the delivery queue is rebuilt at
 * start (hub/notify/delivery-queue.ts keeps the queue in memory). Best effort
 * by design: `append` never throws or blocks the alert path; a failed write is
 * logged and counted in `writeErrors`.
 */
export interface DeliveryLogStore {
  readonly location: string;
  readonly writeErrors: number;
  /** The lines of this month and the last (older ones cannot hold a pending delivery). */
  load(): Promise<DeliveryLine[]>;
  /**
   * The lines a node needs when it takes these home partitions over (issue 12
   * step 3: the new owner resumes the old one's pending deliveries): at least
   * every line of theirs that `load()` would return, in the same order. Other
   * lines may come along (those written before lines carried their partition);
   * the queue keeps only the deliveries of the partitions asked for. Absent:
   * the caller reads `load()` whole.
   */
  loadPartitions?(partitions: readonly number[]): Promise<DeliveryLine[]>;
  append(line: DeliveryLine): void;
  /** Resolves once everything appended so far is written (or failed and was logged). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

// ── rule state and watchdogs across a planned restart or a failover ──────

/**
 * What the pipeline carries over: the rules engine's states and wake-ups, and
 * the device watchdogs' silences (absent from a snapshot saved before they were
 * checkpointed: every watchdog is then armed afresh).
 */
export type PipelineSnapshot = RulesSnapshot & WatchdogCheckpoint;

/**
 * What a partition's slice is fenced by (issue 12 step 3): the lease its
 * owner holds. The journal's HeldPartitions fits (owner, epochOf).
 */
export interface PartitionSnapshotFence {
  readonly owner: string;
  /** The epoch of the lease held on the partition; undefined: not held (its slice is not written). */
  epochOf(partition: number): number | undefined;
}

/** The pipeline snapshot, saved at a planned stop (and by a cluster leader every 5 s) and taken (read and removed) at the next start. */
export interface RulesSnapshotStore {
  readonly location: string;
  save(snapshot: PipelineSnapshot): Promise<void>;
  /** Reads and removes the snapshot; undefined when absent, unreadable or too old (rules-snapshot.ts). */
  take(now: number): Promise<PipelineSnapshot | undefined>;
  /**
   * Per-partition slices (issue 12 step 3: each owner saves its own
   * partitions', a new owner of p reads p's). Only where several nodes own
   * partitions, i.e. on PostgreSQL; a store without them (the files: a hub
   * alone, which owns everything) keeps using save/take.
   *
   * Replaces each given partition's slice (partition → slice, from
   * hub/rules/partition-snapshot.ts). Every partition must be a home
   * partition (0–255), or nothing is written and it rejects with a
   * RangeError. With `fence`, a slice is written only while its lease is the
   * fence's (same owner and epoch, not run out); resolves with the
   * partitions the fence refused (their rows unchanged).
   */
  savePartitions?(slices: ReadonlyMap<number, PipelineSnapshot>, fence?: PartitionSnapshotFence): Promise<{ refused: number[] }>;
  /**
   * The last slice saved for each of these partitions (not removed: the
   * next owner may need it too), when it is readable and not older than
   * MAX_SNAPSHOT_AGE_MS at `now`; partitions with none are absent from the
   * map. A partition out of range rejects with a RangeError.
   */
  readPartitions?(partitions: Iterable<number>, now: number): Promise<Map<number, PipelineSnapshot>>;
  close(): Promise<void>;
}

// ── alarms forwarded to the leader (cluster) ─────────────────────────────

/** An alarm a follower received, as it hands it to the store before the device's PUBACK. */
export interface NewInboundAlarm {
  deviceId: string;
  /** The message key (seq, ts) when the payload has one; without it the row is never a duplicate. */
  key: { seq: number; ts?: number | undefined } | undefined;
  payload: Buffer;
  receivedAt: number;
  /** The node id of the follower that received it. */
  receivedBy: string;
  /**
   * The partition of the device's home (0 to PARTITION_COUNT − 1), or -1
   * (HOMELESS_PARTITION) for a device with no known home and a node's own
   * rows: whose drain takes the row (migration 0009). Absent: stored as
   * NULL, which the leader drains, as it drained every row before owners.
   */
  partition?: number | undefined;
}

/** A stored alarm, as the leader reads it back. */
export interface InboundAlarm {
  /** The row's id (a bigserial, as text): the order the leader feeds rows in. */
  id: string;
  deviceId: string;
  payload: Buffer;
  receivedAt: number;
  receivedBy: string;
  /** The row's partition; null for a row stored without one (an older node, a node's own audit row). */
  partition: number | null;
}

/**
 * Which rows a drain takes (issue 12 step 3): the rows of these partitions,
 * and those without one when `withNull`. Absent: every row (the leader
 * alone, as before owners).
 */
export interface InboundAlarmFilter {
  partitions: readonly number[];
  withNull: boolean;
}

/**
 * Alarms on their way from the node that received them to the leader, which
 * runs the pipeline (issue 12 item 2, docs/CLUSTER.md "Forwarding to the
 * leader"). PostgreSQL only: the rows must outlive either node.
 */
export interface InboundAlarmStore {
  readonly location: string;
  /**
   * Resolves once the alarm is committed (synchronous_commit on): the device
   * may have its PUBACK. `stored: false` when an alarm with the same key is
   * already waiting (a retransmission): as durable as the first, no second row.
   * Rejects when the database cannot be reached.
   */
  put(alarm: NewInboundAlarm): Promise<{ stored: boolean }>;
  /** The oldest waiting alarms, by id; only the filter's when one is given. */
  oldest(limit: number, filter?: InboundAlarmFilter): Promise<InboundAlarm[]>;
  /** Deletes delivered alarms. */
  remove(ids: readonly string[]): Promise<void>;
  /** How many alarms wait now (the leader's /metrics). */
  pending(): Promise<number>;
  /**
   * Calls `onWake` when an alarm was stored (by any node), and once after the
   * listening connection is (re)made — notifications sent while it was down
   * are lost. A wake-up only: the rows are read with `oldest`.
   */
  listen(onWake: () => void): Promise<{ close(): Promise<void> }>;
  close(): Promise<void>;
}
