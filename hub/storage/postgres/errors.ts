/**
 * Which PostgreSQL errors mean "the database is not reachable right now" —
 * wait and try the same thing again — and which mean the statement itself is
 * wrong and will never succeed. The journal's retry-until-committed
 * (journal-pg.ts) and the health flag (database.ts) both depend on this split.
 */

/** SQLSTATE classes of a statement that will fail the same way every time (data, integrity, syntax/schema). */
const PERMANENT_CLASSES = new Set(['22', '23', '42', '44']);

/** Node socket errors that mean the server could not be reached or went away. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The connection is gone or cannot be made: a refused or reset socket, the
 * server shutting down or terminating this backend (57P01–57P05: 57P05 is
 * idle_session_timeout ending a session, writer-lease.ts), a transaction left
 * idle past idle_in_transaction_session_timeout (25P03, which also ends the
 * session), a connection exception (class 08), a database that does not
 * accept connections (55000), or node-postgres' own "Connection terminated" /
 * connect timeout.
 */
export function isConnectionError(err: unknown): boolean {
  const code = codeOf(err);
  if (code && (SOCKET_CODES.has(code) || code.startsWith('08') || code.startsWith('57P') || code === '25P03' || code === '55000')) return true;
  const message = (err as Error | null)?.message ?? '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(message);
}

/** The statement itself is at fault; retrying cannot help. */
export function isPermanentError(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && code.length === 5 && PERMANENT_CLASSES.has(code.slice(0, 2));
}

/** A unique-key violation, and on which constraint. */
export function uniqueViolation(err: unknown): string | undefined {
  if (codeOf(err) !== '23505') return undefined;
  return (err as { constraint?: string }).constraint ?? '';
}
