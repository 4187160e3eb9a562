/**
 * Where an answer stands in the journal, so a console reading from a cluster
 * standby sees its own writes (docs/CLUSTER.md "Reads on any node"):
 * - every API answer carries `X-Hub-Journal-N`, the last journal line the
 *   answering node has applied to its memory, which is what the answer shows.
 *   A write's answer is stamped once the lines it appended are durable (its
 *   audit line, which the write itself does not wait for), up to 2 s: on
 *   PostgreSQL a line has its n only once committed (api/journal-position.ts);
 * - a client may send the highest value it has seen as `X-Hub-After`: a
 *   standby answers a read itself only once its copy holds that line,
 *   otherwise the leader answers.
 */

export const JOURNAL_POSITION_HEADER = 'x-hub-journal-n';
export const READ_AFTER_HEADER = 'x-hub-after';
/** Set on an answer a standby gave from its own copy: its node id. */
export const REPLICA_HEADER = 'x-hub-replica';

/** Longest value taken: journal lines are counted in far fewer digits; more is a client's mistake. */
const MAX_DIGITS = 15;

/**
 * A journal line number as a header carries it (a client's `X-Hub-After`, the
 * leader's `X-Hub-Journal-N`): undefined when absent, 'invalid' when it is not
 * one non-negative whole number (for `X-Hub-After` the caller answers 400
 * naming the header).
 */
export function parseJournalLine(value: string | string[] | undefined): number | undefined | 'invalid' {
  if (value === undefined) return undefined;
  if (Array.isArray(value) || value.length === 0 || value.length > MAX_DIGITS || !/^\d+$/.test(value)) return 'invalid';
  return Number(value);
}
