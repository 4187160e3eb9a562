/**
 * The registry on PostgreSQL: one row per record (a JSONB body plus the key
 * columns the database indexes and enforces, see the migration), loaded whole
 * at start and written record by record, each operation in one transaction.
 * Writes go one at a time, in call order (PgStore says why).
 */
import type { PoolClient } from 'pg';
import { DomainError } from '../../core/errors.js';
import type { DeviceRecord, HomeRecord, ResidentRecord, UserRecord } from '../../registry/records.js';
import type { RegistryChanges, RegistryRecords, RegistryStore } from '../ports.js';
import { uniqueViolation } from './errors.js';
import { PgStore } from './pg-store.js';

/** Each table: its key columns (besides id and body), and how to take them from a record. */
const TABLES = {
  residents: { columns: ['home_id'], keys: (r: ResidentRecord) => [r.homeId] },
  homes: { columns: [], keys: (_r: HomeRecord) => [] },
  devices: { columns: ['home_id', 'kind', 'serial'], keys: (r: DeviceRecord) => [r.homeId, r.kind, r.serial] },
  users: { columns: ['username'], keys: (r: UserRecord) => [r.username] },
} as const;

type Kind = keyof typeof TABLES;
const KINDS = Object.keys(TABLES) as Kind[];

export class PgRegistryStore extends PgStore implements RegistryStore {
  readonly migrations = [];

  async load(): Promise<RegistryRecords> {
    await this.open();
    const records: Partial<Record<Kind, unknown[]>> = {};
    for (const kind of KINDS) {
      // ORDER BY id: a stable order, as the files gave (insertion order is not kept by a table).
      const { rows } = await this.db.query<{ body: unknown }>(`SELECT body FROM ${kind} ORDER BY id`);
      records[kind] = rows.map((r) => r.body);
    }
    return records as RegistryRecords;
  }

  write(changes: RegistryChanges): Promise<void> {
    return this.serial(() =>
      this.db.transaction((client) => upsertRecords(client, changes)).catch((err: unknown) => {
        throw explainConstraint(err);
      }),
    );
  }
}

/** Writes records of every kind, residents first, inside the caller's transaction. */
export async function upsertRecords(client: PoolClient, changes: RegistryChanges): Promise<void> {
  for (const kind of KINDS) {
    const records = changes[kind] as { id: string }[] | undefined;
    // Chunks keep the bind parameters (5 per device) below PostgreSQL's 65,535.
    for (let i = 0; records && i < records.length; i += 5_000) await upsert(client, kind, records.slice(i, i + 5_000));
  }
}

/** One multi-row INSERT … ON CONFLICT (id) DO UPDATE per table. */
async function upsert(client: PoolClient, kind: Kind, records: readonly { id: string }[]): Promise<void> {
  const table = TABLES[kind];
  const columns = ['id', ...table.columns, 'body'];
  const values: unknown[] = [];
  const tuples = records.map((record) => {
    const row = [record.id, ...(table.keys as (r: unknown) => readonly string[])(record), JSON.stringify(record)];
    const placeholders = row.map((v, i) => `$${values.length + i + 1}${i === row.length - 1 ? '::jsonb' : ''}`);
    values.push(...row);
    return `(${placeholders.join(', ')})`;
  });
  const updates = columns.slice(1).map((c) => `${c} = EXCLUDED.${c}`);
  await client.query(`INSERT INTO ${kind} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`, values);
}

/** The registry's unique keys in the words the API uses (409); the rest is explained by PgStore (explainPgError). */
function explainConstraint(err: unknown): unknown {
  const constraint = uniqueViolation(err);
  if (constraint === 'devices_kind_serial') return new DomainError('conflict', 'a device with this kind and serial is already registered');
  if (constraint === 'users_username') return new DomainError('conflict', 'a user with this username already exists');
  return err;
}
