/**
 * The device message keys a PostgreSQL journal answers for (DESIGN.md §3
 * dedupe): the newest keys it has seen, which answer most look-ups without
 * I/O, and the unique key table for the rest, asked again with back-off while
 * the database is unreachable — the device gets no PUBACK meanwhile and stays
 * connected, and its message goes on as soon as the database is back.
 */
import type { DeviceMessageKey } from '../ports.js';
import type { PgDatabase } from './database.js';
import { isConnectionError } from './errors.js';
import { messageJournaled } from './journal-sql.js';
import { NewestMessageKeys } from './newest-message-keys.js';

export class PgMessageKeys {
  private readonly newest = new NewestMessageKeys();
  private waiting = 0;

  constructor(
    private readonly db: PgDatabase,
    private readonly retryDelays: () => { min: number; max: number },
    /** The journal is closed: a look-up stops waiting for the database. */
    private readonly closed: () => boolean,
  ) {}

  /** A key appended or read back: later keys of the device are surely new. */
  note(key: DeviceMessageKey): void {
    this.newest.note(key);
  }

  /** Newer than every key held for the device: cannot be a retransmission. */
  isSurelyNew(key: DeviceMessageKey): boolean {
    return this.newest.isNewer(key);
  }

  async isJournaled(key: DeviceMessageKey): Promise<boolean> {
    const { min, max } = this.retryDelays();
    this.waiting += 1;
    try {
      for (let delay = min; ; delay = Math.min(max, delay * 2)) {
        try {
          return await messageJournaled(this.db, key);
        } catch (err) {
          if (!isConnectionError(err) || this.closed()) throw err;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    } finally {
      this.waiting -= 1;
    }
  }

  /** Look-ups in progress or waiting for the database. */
  get pending(): number {
    return this.waiting;
  }
}
