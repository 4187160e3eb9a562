/**
 * The registry on PostgreSQL: one row per record (a JSONB body plus the key
 * columns the database indexes and enforces, see the migration), loaded whole
 * at start and written record by record, each operation in one transaction.
 *
 * Writes go one at a time, in call order. The Registry changes its memory
 * before it writes; two overlapping writes of the same device committing in
 * the other order would leave the database one change behind the cache.
 */
import type { PoolClient } from 'pg';
import { DomainError } from '../../core/errors.js';
import type { DeviceRecord, HomeRecord, ResidentRecord, UserRecord } from '../../registry/records.js';
import type { RegistryChanges, RegistryRecords, RegistryStore } from '../ports.js';
import type { PgDatabase } from './database.js';
import { isConnectionError, uniqueViolation } from './errors.js';

/** Each table: its key columns (besides id and body), and how to take them from a record. */
const TABLES = {
  residents: { columns: ['home_id'], keys: (r: ResidentRecord) => [r.homeId] },
  homes: { columns: [], keys: (_r: HomeRecord) => [] },
  devices: { columns: ['home_id', 'kind', 'serial'], keys: (r: DeviceRecord) => [r.homeId, r.kind, r.serial] },
  users: { columns: ['username'], keys: (r: UserRecord) => [r.username] },
} as const;

type Kind = keyof typeof TABLES;
const KINDS = Object.keys(TABLES) as Kind[];

export class PgRegistryStore implements RegistryStore {
  readonly migrations = [];
  private queue: Promise<unknown> = Promise.resolve();
  private acquired = false;

  constructor(private readonly db: PgDatabase) {}

  get location(): string {
    return this.db.description;
  }

  async load(): Promise<RegistryRecords> {
    if (!this.acquired) {
      this.acquired = true;
      this.db.acquire();
    }
    await this.db.ready();
    const records: Partial<Record<Kind, unknown[]>> = {};
    for (const kind of KINDS) {
      // ORDER BY id: a stable order, as the files gave (insertion order is not kept by a table).
      const { rows } = await this.db.query<{ body: unknown }>(`SELECT body FROM ${kind} ORDER BY id`);
      records[kind] = rows.map((r) => r.body);
    }
    return records as RegistryRecords;
  }

  write(changes: RegistryChanges): Promise<void> {
    const next = this.queue.then(() => this.writeNow(changes));
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

  private async writeNow(changes: RegistryChanges): Promise<void> {
    await this.db.transaction((client) => upsertRecords(client, changes)).catch((err: unknown) => {
      throw explain(err, this.db);
    });
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

/** The database's refusals in the words the API uses (409/400), not a bare 500. */
function explain(err: unknown, db: PgDatabase): unknown {
  if (isConnectionError(err)) return new DomainError('unavailable', db.lastError ?? `${db.description} unreachable: ${(err as Error).message}`);
  const constraint = uniqueViolation(err);
  if (constraint === 'devices_kind_serial') return new DomainError('conflict', 'a device with this kind and serial is already registered');
  if (constraint === 'users_username') return new DomainError('conflict', 'a user with this username already exists');
  // jsonb cannot hold \u0000 (SQLSTATE 22P05 untranslatable_character).
  if ((err as { code?: string }).code === '22P05') return new DomainError('invalid', 'text must not contain NUL characters (\\u0000)');
  return err;
}
