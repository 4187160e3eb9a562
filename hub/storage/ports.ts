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
import type { DeviceRecord, HomeRecord, ResidentRecord, UserRecord } from '../registry/records.js';
import type { JournalEntry } from './journal-format.js';

export type { JournalEntry } from './journal-format.js';
// Sessions, visits, webhooks, deliveries, rule state, forwarded alarms: service-ports.ts.
export type * from './service-ports.js';

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
  /**
   * Reads these records again and delivers them (the sink set a notice aside
   * while its own write of them was in flight; or a request names a record
   * another node created a moment ago). Resolves once a reload begun after
   * this call has delivered or failed, or the feed stopped; not while the
   * feed is down (callers that wait bound the wait).
   */
  reload(refs: RegistryRefs): Promise<void>;
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
