/**
 * The two ways the journal's writer connection refuses for good, in a file of
 * their own so that the connection (journal-writer-connection.ts), its lock
 * wait (journal-lock-wait.ts) and the journal (journal-pg.ts) can all throw
 * and recognise them without importing one another in a circle.
 * journal-writer-connection.ts re-exports both: importers keep using it.
 */
import { StartupError } from '../../core/data-dir.js';

/**
 * The lock is held by another session: not a connection problem, retrying the
 * batch cannot help. At start it stops the hub with its one line.
 */
export class JournalLockedError extends StartupError {}

/** This process no longer leads: it must never write the journal again (a new process may lead later). */
export class LeadershipLostError extends Error {
  override name = 'LeadershipLostError';
}
