/**
 * The notification delivery log on PostgreSQL (DeliveryLogStore): one row
 * per queued delivery, attempt or drop, inserted in batches (one INSERT per
 * batch, one batch in flight — the same group commit as the files), and this
 * month's and last month's rows read back at start to rebuild the queue,
 * and one partition's rows when a node takes that partition over (0008).
 *
 * Best effort, as on files: a failed batch is logged and counted, never
 * thrown into the alert path, and the notifications themselves still go out.
 */
import type { Logger } from '../../core/logger.js';
import { partitionOf } from '../../core/partitions.js';
import type { DeliveryLine } from '../../notify/types.js';
import type { DeliveryLogStore } from '../ports.js';
import type { PgDatabase } from './database.js';
import type { Queryable } from './journal-sql.js';
import { PgStore } from './pg-store.js';

/** When a line happened: what the `at` column holds and the start-up read filters on. */
export function deliveryLineTime(line: DeliveryLine): number {
  if (line.type === 'queued') return line.delivery.createdAt;
  if (line.type === 'attempt') return line.attempt.at;
  return line.at;
}

/**
 * The row's partition (migration 0008): the one the queue wrote on the line,
 * or for a queued line without one (written before, or copied from files)
 * its alert's home's; NULL for an older attempt or drop, which does not name
 * its home.
 */
export function deliveryLinePartition(line: DeliveryLine): number | null {
  if (line.partition !== undefined) return line.partition;
  if (line.type === 'queued') return partitionOf(line.delivery.alert.homeId || undefined);
  return null;
}

/** The first instant of the month before the one `now` falls in (UTC), like the files' two monthly files. */
function startOfPreviousMonth(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
}

export class PgDeliveryLog extends PgStore implements DeliveryLogStore {
  writeErrors = 0;
  private pending: DeliveryLine[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    db: PgDatabase,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    super(db);
  }

  async load(): Promise<DeliveryLine[]> {
    await this.open();
    const { rows } = await this.db.query<{ line: DeliveryLine }>('SELECT line FROM delivery_log WHERE at >= to_timestamp($1 / 1000.0) ORDER BY id', [
      startOfPreviousMonth(this.now()),
    ]);
    return rows.map((r) => r.line);
  }

  /** One index range per partition (0008), plus the rows that carry none (written before it): the queue keeps only its partitions' deliveries. */
  async loadPartitions(partitions: readonly number[]): Promise<DeliveryLine[]> {
    await this.open();
    const { rows } = await this.db.query<{ line: DeliveryLine }>(
      'SELECT line FROM delivery_log WHERE at >= to_timestamp($1 / 1000.0) AND (partition = ANY($2::smallint[]) OR partition IS NULL) ORDER BY id',
      [startOfPreviousMonth(this.now()), [...partitions]],
    );
    return rows.map((r) => r.line);
  }

  append(line: DeliveryLine): void {
    if (this.closed) return;
    this.pending.push(line);
    this.flushing ??= this.flushLoop();
  }

  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  override async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    await super.close();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await insertDeliveryLines(this.db, batch);
        } catch (err) {
          this.writeErrors++;
          this.log.error({ err, database: this.db.description, lines: batch.length }, 'delivery log write failed: notifications still go out, but this batch of the log is lost');
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}

/** Appends lines in one statement, in order (also used by migrate:to-postgres). */
export async function insertDeliveryLines(db: Queryable, lines: readonly DeliveryLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.query(
    'INSERT INTO delivery_log (at, partition, line) SELECT to_timestamp(t / 1000.0), p, l FROM unnest($1::float8[], $2::smallint[], $3::json[]) WITH ORDINALITY AS u(t, p, l, i) ORDER BY i',
    [lines.map(deliveryLineTime), lines.map(deliveryLinePartition), lines.map((l) => JSON.stringify(l))],
  );
}
