/**
 * Alarms forwarded to the leader, on PostgreSQL (InboundAlarmStore, migration
 * 0004, docs/CLUSTER.md "Forwarding to the leader").
 *
 * `put` is one statement in its own transaction — the INSERT and, only when a
 * row was inserted, the NOTIFY that wakes the leader (delivered at commit) —
 * so an alarm costs the follower one round trip before its PUBACK. Every
 * connection runs with synchronous_commit on (database.ts): when it returns,
 * the row is on the server's disk. Writes are not serialised here: the
 * forwarder keeps each device's messages in order, and different devices'
 * alarms must not wait for each other.
 */
import type { InboundAlarm, InboundAlarmStore, NewInboundAlarm } from '../ports.js';
import type { PgDatabase } from './database.js';
import { NotifyListener } from './notify-listener.js';
import { explainPgError, PgStore } from './pg-store.js';

/** The NOTIFY channel: a wake-up for the leader's drain, never the message itself. */
export const INBOUND_ALARM_CHANNEL = 'inbound_alarm';

const INSERT = `
  WITH stored AS (
    INSERT INTO inbound_alarm (device_id, seq, ts, payload, received_at, received_by)
    VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6)
    ON CONFLICT (device_id, seq, ts) WHERE seq IS NOT NULL DO NOTHING
    RETURNING id
  )
  SELECT id, pg_notify('${INBOUND_ALARM_CHANNEL}', '') FROM stored`;

interface Row {
  id: string;
  device_id: string;
  payload: Buffer;
  received_ms: string;
  received_by: string;
}

export class PgInboundAlarms extends PgStore implements InboundAlarmStore {
  private readonly listeners = new Set<NotifyListener>();

  constructor(
    db: PgDatabase,
    private readonly listenRetryMs?: { min: number; max: number },
  ) {
    super(db);
  }

  async put({ deviceId, key, payload, receivedAt, receivedBy }: NewInboundAlarm): Promise<{ stored: boolean }> {
    await this.open();
    try {
      const { rows } = await this.db.query(INSERT, [deviceId, key?.seq ?? null, key?.ts ?? null, payload, receivedAt, receivedBy]);
      return { stored: rows.length > 0 };
    } catch (err) {
      throw explainPgError(err, this.db);
    }
  }

  async oldest(limit: number): Promise<InboundAlarm[]> {
    await this.open();
    // ORDER BY the column: a bare `id` would sort by the text alias, where '10' < '2'.
    const { rows } = await this.db.query<Row>(
      `SELECT id::text AS id, device_id, payload, round(extract(epoch FROM received_at) * 1000)::bigint::text AS received_ms, received_by
       FROM inbound_alarm ORDER BY inbound_alarm.id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, deviceId: r.device_id, payload: r.payload, receivedAt: Number(r.received_ms), receivedBy: r.received_by }));
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.open();
    await this.db.query('DELETE FROM inbound_alarm WHERE id = ANY($1::bigint[])', [ids]);
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

  override async close(): Promise<void> {
    await Promise.all([...this.listeners].map((l) => l.close()));
    this.listeners.clear();
    await super.close();
  }
}
