/**
 * The storage ports (DESIGN.md §2 "ports with defaults", §8 "stores behind
 * ports"): every store the hub has is an interface declared here, with the
 * files under HUB_DATA_DIR as the default adapter and PostgreSQL
 * (HUB_DATABASE_URL) as the other. The composition root picks the adapters
 * once (select-stores.ts); nothing else knows which one it got.
 *
 * Every store has the same shape: a `load()` of everything the service keeps
 * in memory (the hot paths read memory, never the store), record-level writes
 * that resolve once the record is durable, and `close()`. Commissioning has
 * no store of its own: its checklist ticks are journal lines.
 */
import type { Session } from '../auth/sessions.js';
import type { WatchdogCheckpoint } from '../ingest/watchdog-checkpoint.js';
import type { DeliveryLine } from '../notify/types.js';
import type { OrgWebhook } from '../notify/webhook-store.js';
import type { DeviceRecord, HomeRecord, ResidentRecord, UserRecord } from '../registry/records.js';
import type { RulesSnapshot } from '../rules/engine.js';
import type { HardshipPeriod, VisitRecord } from '../visits/visit.js';
import type { JournalEntry } from './journal-format.js';

export type { JournalEntry } from './journal-format.js';

// ── registry ─────────────────────────────────────────────────────────────

/** Every registry record, as the Registry keeps them in memory. */
export interface RegistryRecords {
  homes: HomeRecord[];
  residents: ResidentRecord[];
  devices: DeviceRecord[];
  users: UserRecord[];
}

/** Records created or changed by one registry operation (upserts by id; the registry never deletes). */
export type RegistryChanges = Partial<RegistryRecords>;

/** The registry's record kinds: the tables (PostgreSQL) or files. */
export type RegistryKind = keyof RegistryRecords;

/** Records named by kind and id, e.g. what another process changed. */
export type RegistryRefs = { [K in RegistryKind]?: string[] };

/** What a change feed hands the records it reloaded to: the Registry. */
export interface RegistryFeedSink {
  /** The newest committed state of records another process changed. */
  applyExternal(changes: RegistryChanges): void;
  /** Every record, after the feed may have missed changes (its connection was lost); a large registry over several calls. */
  resync(records: RegistryRecords): void;
}

/**
 * Registry changes committed by other processes sharing the store (issue 12:
 * every node of a cluster keeps the registry in memory and must follow the
 * writes made through another node). PostgreSQL has one (LISTEN/NOTIFY,
 * postgres/registry-feed.ts); the files have none: one process owns them.
 */
export interface RegistryChangeFeed {
  /** Starts listening. Changes noticed before `attach` are held, so nothing committed after this call is missed. */
  listen(): Promise<void>;
  /** Starts delivering to the sink, which has loaded every record since `listen` resolved. */
  attach(sink: RegistryFeedSink): void;
  /** Reads these records again and delivers them (the sink set a notice aside while its own write of them was in flight). */
  reload(refs: RegistryRefs): void;
  /** False while the feed is disconnected or has not yet reloaded what it may have missed. */
  readonly upToDate: boolean;
  stop(): Promise<void>;
}

/** A registry file (or table set) brought up to the current layout by `load()`. */
export interface RegistryMigration {
  file: string;
  from: number;
  to: number;
}

/**
 * Where the Registry loads its records at start and persists every change.
 * The Registry keeps the hot-path reads (device by id, the secret check, the
 * home of a device) in memory and calls `write` before an operation returns.
 */
/** A service that rebuilds its state from its own journal lines at start, ignoring the others' (issue 11). */
export interface JournalReplayer {
  replay(entry: JournalEntry): void;
}

export interface RegistryStore {
  /** For messages: the directory or the database. */
  readonly location: string;
  /** Layout upgrades done by the last `load()` (empty when everything was current). */
  readonly migrations: readonly RegistryMigration[];
  load(): Promise<RegistryRecords>;
  /** Persists the records as one unit (PostgreSQL: one transaction; files: one file write each, residents first). */
  write(changes: RegistryChanges): Promise<void>;
  /** Changes made by other processes on the same store; absent where only one process writes (files). Stopped by `close()`. */
  readonly changeFeed?: RegistryChangeFeed | undefined;
  close(): Promise<void>;
}

// ── journal ──────────────────────────────────────────────────────────────

export interface AppendResult<T> {
  /**
   * The line as appended. On a journal numbered at commit (PostgreSQL, where
   * several writers share one global n: docs/CLUSTER.md "Step 3's writers")
   * `n` is 0 and `prev` empty until `durable` resolves, when the commit fills
   * them in; the files know both at once. `at`, `type` and `data` are final.
   */
  entry: JournalEntry<T>;
  /** Resolves once the line is durable (fdatasync'd, or committed); rejects if it never will be. */
  durable: Promise<void>;
}

export interface JournalStats {
  appends: number;
  /** Completed write+fdatasync rounds, or committed transactions. */
  flushes: number;
  /** Bytes of line text made durable. */
  bytes: number;
}

/**
 * A device message's identity (DESIGN.md §3): its `seq`, and `ts` when it has
 * one — the same seq with a new ts is a restarted counter, not a duplicate.
 */
export interface DeviceMessageKey {
  deviceId: string;
  seq: number;
  ts?: number | undefined;
}

/**
 * The alert/audit journal (DESIGN.md §6): append-only, hash-chained lines
 * `{n, at, type, data, prev}`, made durable with group commit. `append` is
 * synchronous — it fixes `at` and queues the line (the files fix n and prev
 * too; PostgreSQL numbers and chains it at commit) — so the whole ingest →
 * rules → alert path stays synchronous and the broker can await durability
 * before the PUBACK.
 */
/** Who leads the cluster: the cluster_leader row (PostgreSQL, migration 0003) and whether its lock is held now. */
export interface LeaderRecord {
  /** 0 before anyone ever led; +1 at every change of leader. */
  epoch: number;
  nodeId: string | null;
  /** Where front ends proxy to; null when the leader did not say (a hub alone). */
  httpUrl: string | null;
  since: Date | null;
  /** Whether some session holds the leadership lock now: false after the leader's session ended and before the next one took it. */
  held: boolean;
}

/** How far this process's copy of the journal has been read in n order, and each step of it. */
export interface LineOrder {
  position(): number;
  onProgress(listener: (n: number) => void): () => void;
}

export interface JournalStore {
  /** For messages and /health: the journal directory, or the database. */
  readonly location: string;
  /** The newest line this process knows: appended (files), or committed or read back (PostgreSQL, numbered at commit). */
  readonly lastN: number;
  /** The newest line known durable. */
  readonly durableN: number;
  /**
   * The SHA-256 of line 1 (line 2's `prev`): the same for every process that
   * reads this journal — every leader of a cluster, a hub restarted on its
   * data dir — and different for any other journal, so a line number (a
   * stream event id) means one thing under it. Undefined while the journal
   * has no line.
   */
  readonly chainId: string | undefined;
  /** False while lines cannot be made durable (a failed disk, an unreachable database). */
  readonly healthy: boolean;
  readonly lastError: string | undefined;
  readonly stats: JournalStats;
  /**
   * Replays every line in order into `onEntry` and continues n and the chain; resolves to the number of lines.
   * Each entry is parsed from its line for this call alone and referenced by nothing else: the
   * replayer that owns the line's type may keep its data as its state (AlertStore does, and changes
   * it with later lines); other replayers only read it, during their own call.
   */
  open(onEntry?: (entry: JournalEntry) => void): Promise<number>;
  /**
   * `homeId`: the home the line belongs to (hub/core/partitions.ts), absent
   * for lines of no home. PostgreSQL stores its partition and fences the batch
   * by that partition's lease; the file journal, one writer by construction,
   * has no partitions.
   */
  append<T>(type: string, data: T, homeId?: string): AppendResult<T>;
  /** Resolves once every line appended so far is durable. */
  whenDurable(): Promise<void>;
  /** Waits for pending lines (as far as they can be written), then releases the files or connections. */
  close(): Promise<void>;
  /**
   * Whether lines caused by this device message are already durable, looked
   * up in the store's unique message keys (PostgreSQL). Absent for files,
   * where the in-memory seq window rebuilt by the replay is the only dedupe.
   */
  isJournaled?(key: DeviceMessageKey): Promise<boolean>;
  /**
   * Answers without I/O when it can: true when this key is surely not
   * journaled (newer than every key the store holds for the device), false
   * when only `isJournaled` can tell. Only a store with `isJournaled` has it.
   */
  isSurelyNew?(key: DeviceMessageKey): boolean;
  /**
   * Completes a batch whose write has finished but whose completion the event loop has not
   * heard of yet (files: the writer thread, hub/storage/durable-append.ts). Cheap; the broker
   * calls it on every socket read, so under load a PUBACK does not wait for the loop to poll.
   */
  noticeDurable?(): void;
  /**
   * The epoch this process writes under (PostgreSQL: the cluster_leader row,
   * +1 at every change of leader). Undefined for files, which have one writer
   * by construction, and before open().
   */
  readonly leaderEpoch: number | undefined;
  /**
   * Registers a listener told once when this process stops being the
   * journal's writer (PostgreSQL: its lock session ended in a cluster, or
   * another process led since; told at once if that already happened). Every
   * later append is refused. Files never lose it.
   */
  onLeadershipLost(listener: (err: Error) => void): void;
  /** PostgreSQL: the home partitions this process holds the leases of (all once open, none on a standby). Absent for files. */
  readonly partitionsHeld?: readonly number[];
  /** PostgreSQL: milliseconds until the leases held run out unless renewed (undefined: none held). Absent for files. */
  readonly partitionLeaseLeftMs?: number | undefined;
  /** PostgreSQL: reads the leader record (for front ends and /health) through the pool. Absent for files. */
  readLeader?(): Promise<LeaderRecord>;
  /** A cluster node (PostgreSQL): what it applied of the leader's lines while it waited for the lock. Absent for files. */
  readonly standbyTail?: StandbyTailStats | undefined;
  /**
   * A cluster standby (PostgreSQL): whether its copy of the journal may answer
   * console reads now (following, caught up once, last read not failed).
   * False on a leader, a hub alone and files.
   */
  readonly replicaCurrent?: boolean;
  /**
   * Resolves true once this process holds line `n` (lastN ≥ n: a standby's
   * copy has applied it), false after `maxMs` or when the copy stops. Absent
   * for files.
   */
  reachLine?(n: number, maxMs: number): Promise<boolean>;
  /**
   * Present when this process learns of lines out of n order — its own at
   * commit, other writers' when its tail reads them (PostgreSQL with several
   * writers: docs/CLUSTER.md "Step 3's writers"). Whatever shows line
   * numbers to people (the alert feed) then shows line n only once the
   * position has passed it. Absent: lines are known in n order.
   */
  readonly order?: LineOrder | undefined;
}

/** A cluster node's journal tail (hub/storage/postgres/journal-tail.ts), as it stands. */
export interface StandbyTailStats {
  /** Lines applied while standing by. */
  lines: number;
  /** Reads of new lines (notified or polled). */
  reads: number;
  /** Once it leads: the lines after the last one it applied, replayed once it had the lock, and how long that took. */
  linesAfterLock: number | undefined;
  replayAfterLockMs: number | undefined;
}

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
