/**
 * Taking the journal's writer lock on the writer's connection
 * (journal-writer-connection.ts explains why the lock, and why on that
 * connection): the wait for it, who holds it meanwhile, and the one line that
 * says why this process gives up. Kept apart from the connection's life
 * (connect, run, drop, renew) because it is a job of its own: a loop over
 * pg_try_advisory_lock and the messages about its holder.
 */
import type { Client } from 'pg';
import { JOURNAL_LOCK, JOURNAL_LOCK_HELD, type LeaderRecord, readLeader, tryJournalLock } from './cluster-leader.js';
import { JournalLockedError, LeadershipLostError } from './journal-writer-errors.js';

const POLL_MS = 100;

export interface LockWait {
  /** The epoch this process led under before its connection dropped; undefined for a first take. */
  mine: LeaderRecord | undefined;
  /** Wait without limit (a standby's first take); otherwise until `lockWaitMs`. */
  forever: boolean;
  lockWaitMs: number;
  /** The database, as named in the refusal. */
  where: string;
  /** The connection was ended (end()): the wait stops. */
  ended: () => boolean;
  /** Told when the wait starts and whenever the leader changes during it. */
  onWaiting?: (holder: string, leader: LeaderRecord) => void;
}

/** Waits for the lock: `lockWaitMs`, or without limit for a standby's first take. */
export async function waitForJournalLock(client: Client, wait: LockWait): Promise<void> {
  const { mine } = wait;
  const deadline = wait.forever ? Infinity : Date.now() + wait.lockWaitMs;
  let toldEpoch: number | undefined;
  for (;;) {
    if (wait.ended()) throw new Error('journal writer connection ended while waiting for the lock');
    const { locked, leader } = await tryJournalLock(client);
    // Reconnecting: whoever led since us wrote rows after ours; waiting longer cannot help.
    if (mine && leader.epoch !== mine.epoch) throw ledSince(leader, mine);
    if (locked) return;
    // Who holds it is looked up only to say so: when the wait starts, when the leader changes, when it ends.
    const givingUp = Date.now() >= deadline;
    if (givingUp || toldEpoch !== leader.epoch) {
      const holder = await describeHolder(client);
      if (givingUp) throw refusal(wait.where, holder, mine !== undefined);
      wait.onWaiting?.(holder, leader);
      toldEpoch = leader.epoch;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Reconnected with the lock: continue only if nobody led in between (read after the lock, so nobody can change it now). */
export async function confirmEpoch(client: Client, mine: LeaderRecord): Promise<LeaderRecord> {
  const now = await readLeader(client);
  if (now.epoch !== mine.epoch) throw ledSince(now, mine);
  return mine;
}

function refusal(where: string, holder: string, reconnecting: boolean): Error {
  if (reconnecting) {
    return new LeadershipLostError(`lost the journal's writer lock in ${where}: it is being written by another process (${holder}) since this hub's connection dropped`);
  }
  return new JournalLockedError(
    `the journal in ${where} is being written by another process (${holder}); stop that hub (or let its last write finish), or give this hub a database of its own in HUB_DATABASE_URL`,
  );
}

function ledSince(leader: LeaderRecord, mine: LeaderRecord): LeadershipLostError {
  return new LeadershipLostError(
    `node ${leader.nodeId ?? '(unknown)'} leads the journal since ${leader.since?.toISOString() ?? 'an unknown time'} (epoch ${leader.epoch}; this process led epoch ${mine.epoch})`,
  );
}

/** Who holds the journal lock, for the waiting and refusal messages. */
async function describeHolder(client: Client): Promise<string> {
  const { rows } = await client.query<{ pid: number; application_name: string; client_addr: string | null }>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE ${JOURNAL_LOCK_HELD}`,
    [...JOURNAL_LOCK],
  );
  const r = rows[0];
  if (!r) return 'a session that has just ended';
  return `server backend ${r.pid}, "${r.application_name}"${r.client_addr ? ` from ${r.client_addr}` : ''}`;
}
