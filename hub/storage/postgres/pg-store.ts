/**
 * What every PostgreSQL store but the journal shares: it holds the one
 * database (acquire at first use, release at close — the pool ends with the
 * last store), writes one statement at a time in call order (the service
 * changes memory around its writes; two overlapping writes of one record
 * committing the other way round would leave the table behind the cache),
 * and reports refusals in the API's words instead of a bare 500.
 */
import { DomainError } from '../../core/errors.js';
import type { PgDatabase } from './database.js';
import { isConnectionError } from './errors.js';

export class PgStore {
  private queue: Promise<unknown> = Promise.resolve();
  private acquired = false;

  constructor(protected readonly db: PgDatabase) {}

  get location(): string {
    return this.db.description;
  }

  /** Takes a share of the database and waits for its migrations (once for all stores). */
  protected async open(): Promise<void> {
    if (!this.acquired) {
      this.acquired = true;
      this.db.acquire();
    }
    await this.db.ready();
  }

  /** Runs `write` after every earlier one of this store; a failure is explained, and does not stop later writes. */
  protected serial(write: () => Promise<unknown>): Promise<void> {
    const next = this.queue.then(write).then(
      () => undefined,
      (err: unknown) => {
        throw explainPgError(err, this.db);
      },
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.acquired) {
      this.acquired = false;
      await this.db.release();
    }
  }
}

/** An unreachable database as a 503-style error naming it; text jsonb cannot hold as a 400-style one. */
export function explainPgError(err: unknown, db: PgDatabase): unknown {
  if (isConnectionError(err)) return new DomainError('unavailable', db.lastError ?? `${db.description} unreachable: ${(err as Error).message}`);
  // jsonb cannot hold \u0000 (SQLSTATE 22P05 untranslatable_character).
  if ((err as { code?: string }).code === '22P05') return new DomainError('invalid', 'text must not contain NUL characters (\\u0000)');
  return err;
}
