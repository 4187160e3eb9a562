/**
 * Alarms forwarded to the leader, on PostgreSQL (InboundAlarmStore, migration
 * 0004, docs/CLUSTER.md "Forwarding to the leader").
 *
 * `put` is group-committed, as the journal is: while one INSERT is in flight
 * the alarms that arrive meanwhile wait, then go together in the next one —
 * one statement (the rows, and a NOTIFY that wakes the leader, delivered at
 * commit), one transaction, one fsync. Every connection runs with
 * synchronous_commit on (database.ts): when it returns, the rows are on the
 * server's disk and each alarm's promise resolves. An alarm a device
 * retransmits while its first copy still waits conflicts with the message
 * key and is answered `stored: false`. The forwarder keeps each device's
 * alarms in order (one in flight per device), so a batch never holds two of
 * one device.
 *
 * With owners (issue 12 step 3, migration 0009) each row carries the
 * partition of the device's home, and each node's drain reads only its own
 * partitions' rows (`oldest` with a filter): two drains never read the same
 * partition, so they never deliver the same row. The rows are read without a
 * lock, as with one leader: the filter, not a row lock, keeps drains apart,
 * and a drain holds no transaction open while the pipeline takes a row.
 */
import { HOMELESS_PARTITION, PARTITION_COUNT } from '../../core/partitions.js';
import type { InboundAlarm, InboundAlarmFilter, InboundAlarmStore, NewInboundAlarm } from '../ports.js';
import type { PgDatabase } from './database.js';
import { NotifyListener } from './notify-listener.js';
import { explainPgError, PgStore } from './pg-store.js';

/** The NOTIFY channel: a wake-up for the drains (each looks for its own partitions' rows), never the message itself. */
export const INBOUND_ALARM_CHANNEL = 'inbound_alarm';

/** Most alarms in one INSERT: the arrays are bound as seven parameters, whatever the count. */
const MAX_BATCH = 500;

/** Rows in the order given; RETURNING names the keyed ones actually inserted (a conflict returns nothing). */
const INSERT = `
  WITH stored AS (
    INSERT INTO inbound_alarm (device_id, seq, ts, payload, received_at, received_by, partition)
    SELECT device_id, seq, ts, payload, to_timestamp(received_ms / 1000.0), received_by, partition
    FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bytea[], $5::float8[], $6::text[], $7::smallint[])
      WITH ORDINALITY AS input(device_id, seq, ts, payload, received_ms, received_by, partition, i)
    ORDER BY i
    ON CONFLICT (device_id, seq, ts) WHERE seq IS NOT NULL DO NOTHING
    RETURNING device_id, seq::text AS seq, ts::text AS ts
  ), woken AS (
    SELECT pg_notify('${INBOUND_ALARM_CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM stored)
  )
  SELECT device_id, seq, ts FROM stored, (SELECT count(*) FROM woken) AS w`;

interface Waiting {
  alarm: NewInboundAlarm;
  resolve(result: { stored: boolean }): void;
  reject(err: unknown): void;
}

const keyText = (deviceId: string, seq: unknown, ts: unknown) => `${deviceId} ${String(seq)} ${ts === null || ts === undefined ? '-' : String(ts)}`;

interface Row {
  id: string;
  device_id: string;
  payload: Buffer;
  received_ms: string;
  received_by: string;
  partition: number | null;
}

/**
 * A row's partition must be a home partition or the home-less one (the
 * table's CHECK says the same; refused here first, so one bad alarm fails
 * alone instead of its whole group-committed batch).
 */
function checkPartition(partition: number | undefined): void {
  if (partition === undefined) return;
  if (!Number.isInteger(partition) || partition < HOMELESS_PARTITION || partition >= PARTITION_COUNT) {
    throw new RangeError(`inbound alarm refused: partition ${partition} is not a partition (${HOMELESS_PARTITION} to ${PARTITION_COUNT - 1})`);
  }
}

const ROW_COLUMNS = `id::text AS id, device_id, payload, round(extract(epoch FROM received_at) * 1000)::bigint::text AS received_ms, received_by, partition`;

export class PgInboundAlarms extends PgStore implements InboundAlarmStore {
  private readonly listeners = new Set<NotifyListener>();
  private readonly waiting: Waiting[] = [];
  /** The flush in progress, if any (close() waits for it). */
  private flushing: Promise<void> | undefined;

  constructor(
    db: PgDatabase,
    private readonly listenRetryMs?: { min: number; max: number },
  ) {
    super(db);
  }

  put(alarm: NewInboundAlarm): Promise<{ stored: boolean }> {
    try {
      checkPartition(alarm.partition);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ alarm, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * One INSERT at a time; what arrives meanwhile forms the next batch. `flushing` is cleared in
   * the same step as the last look at `waiting`: an alarm put by a callback of the batch just
   * answered (the forwarder's next alarm of that device) must start a new flush, not find one
   * that is already over.
   */
  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        try {
          await this.open();
          const inserted = await this.insert(batch.map((w) => w.alarm));
          for (const w of batch) w.resolve({ stored: inserted(w.alarm) });
        } catch (err) {
          const explained = explainPgError(err, this.db);
          for (const w of batch) w.reject(explained);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Inserts the batch; answers, per alarm, whether it made a row (keyless ones always do). */
  private async insert(alarms: NewInboundAlarm[]): Promise<(alarm: NewInboundAlarm) => boolean> {
    const { rows } = await this.db.query<{ device_id: string; seq: string; ts: string | null }>(INSERT, [
      alarms.map((a) => a.deviceId),
      alarms.map((a) => a.key?.seq ?? null),
      alarms.map((a) => a.key?.ts ?? null),
      alarms.map((a) => a.payload),
      alarms.map((a) => a.receivedAt),
      alarms.map((a) => a.receivedBy),
      alarms.map((a) => a.partition ?? null),
    ]);
    const stored = new Set(rows.map((r) => keyText(r.device_id, r.seq, r.ts)));
    return (alarm) => !alarm.key || stored.delete(keyText(alarm.deviceId, alarm.key.seq, alarm.key.ts));
  }

  async oldest(limit: number, filter?: InboundAlarmFilter): Promise<InboundAlarm[]> {
    await this.open();
    // ORDER BY the column: a bare `id` would sort by the text alias, where '10' < '2'.
    const { rows } = filter
      ? await this.db.query<Row>(
          `SELECT ${ROW_COLUMNS} FROM inbound_alarm
           WHERE partition = ANY($2::smallint[]) OR ($3 AND partition IS NULL)
           ORDER BY inbound_alarm.id LIMIT $1`,
          [limit, filter.partitions, filter.withNull],
        )
      : await this.db.query<Row>(`SELECT ${ROW_COLUMNS} FROM inbound_alarm ORDER BY inbound_alarm.id LIMIT $1`, [limit]);
    return rows.map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      payload: r.payload,
      receivedAt: Number(r.received_ms),
      receivedBy: r.received_by,
      partition: r.partition,
    }));
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.open();
    await this.db.query('DELETE FROM inbound_alarm WHERE id = ANY($1::bigint[])', [ids]);
  }

  async pending(): Promise<number> {
    await this.open();
    // A count of the whole table: it holds only what the leader has not drained yet (normally none).
    const { rows } = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM inbound_alarm');
    return Number(rows[0]!.n);
  }

  async listen(onWake: () => void): Promise<{ close(): Promise<void> }> {
    await this.open();
    const listener = new NotifyListener({ db: this.db, channel: INBOUND_ALARM_CHANNEL, onWake, ...(this.listenRetryMs ? { retryDelayMs: this.listenRetryMs } : {}) });
    await listener.start();
    this.listeners.add(listener);
    return {
      close: async () => {
        this.listeners.delete(listener);
        await listener.close();
      },
    };
  }

  /** Waits for the alarms already handed over (stored or refused), then releases the database. */
  override async close(): Promise<void> {
    await this.flushing;
    await Promise.all([...this.listeners].map((l) => l.close()));
    this.listeners.clear();
    await super.close();
  }
}
