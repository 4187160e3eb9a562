/** What a PostgreSQL journal (journal-pg.ts) is opened with. */
import type { DeviceMessageKey, LeaderRecord } from '../ports.js';
import type { LeaderIdentity } from './cluster-leader.js';
import type { PgDatabase } from './database.js';
import type { HeldPartitions } from './partition-leases.js';

export interface PgJournalOptions {
  db: PgDatabase;
  now?: () => number;
  /** Called once, when the journal gives up for good (not for a connection that drops). */
  onError?: (err: Error) => void;
  /** A broken chain on open, a duplicate message key at commit. */
  onWarning?: (msg: string) => void;
  /** The device message a line records (alarm triggers), for the unique message key. */
  messageKeyOf?: (type: string, data: unknown) => DeviceMessageKey | undefined;
  /** Most lines in one INSERT (bind parameters stay far below PostgreSQL's 65,535). */
  maxBatch?: number;
  /** Back-off between attempts while the database is unreachable. */
  retryDelayMs?: { min: number; max: number };
  /** How long close() waits for pending lines while the database is unreachable. */
  closeTimeoutMs?: number;
  /** How long open() (or a reconnect) waits for the journal's writer lock (journal-writer-connection.ts). */
  lockWaitMs?: number;
  /** The lock is held by another session and open() is waiting for it; told again whenever another leader takes over. */
  onWaitingForLock?: (holder: string, leader: LeaderRecord) => void;
  /** A cluster node: open() waits for the lock (leadership) without limit; a lost session is lost leadership. */
  waitForLeadership?: boolean;
  /** The writer session's lease: the server ends it after this long idle (writer-lease.ts). Default 10 s. */
  leaseMs?: number;
  /** Written into cluster_leader when this process becomes leader. */
  identity?: () => LeaderIdentity;
  /** A cluster node's tail reads at least this often while it stands by, notified or not. Default 5 s. */
  tailPollMs?: number;
  /**
   * Keep following the journal once writing (issue 12 step 3): other writers
   * commit lines of their partitions in between this one's, and this
   * process applies them as a standby does, skipping its own. Its batches
   * then wake the other nodes' tails too. Off: the one writer of today.
   */
  followWhileWriting?: boolean;
  /**
   * A node owning a share of the home partitions (issue 12 step 3): each
   * batch is fenced by these leases (the lease balancer's, read afresh per
   * batch), the journal's lock is not taken, and the journal is followed
   * while written (`followWhileWriting`). A line for a partition not held
   * fails the journal for good, as a lost lease does.
   */
  homeLeases?: () => HeldPartitions;
  /** With `homeLeases`: milliseconds until the first of them counts as lost unless renewed (/metrics' hub_partition_lease_seconds_left). */
  homeLeaseLeftMs?: () => number | undefined;
}

