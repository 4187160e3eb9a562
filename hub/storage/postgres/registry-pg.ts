/**
 * The registry on PostgreSQL: one row per record (a JSONB body plus the key
 * columns the database indexes and enforces, see the migration), loaded whole
 * at start and written record by record, each operation in one transaction.
 * Writes go one at a time, in call order (PgStore says why). Each write also
 * announces the records it changed (NOTIFY, registry-notice.ts) in its
 * transaction, and the change feed (registry-feed.ts) follows what other
 * processes write: the nodes of a cluster (issue 12).
 */
import { randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';
import { DomainError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { DeviceRecord, HomeRecord, ResidentRecord, UserRecord } from '../../registry/records.js';
import type { RegistryChanges, RegistryRecords, RegistryRefs, RegistryStore } from '../ports.js';
import type { PgDatabase } from './database.js';
import { uniqueViolation } from './errors.js';
import { PgStore } from './pg-store.js';
import { PgRegistryFeed, type PgRegistryFeedOptions } from './registry-feed.js';
import { noticePayloads, refsOf, REGISTRY_CHANNEL } from './registry-notice.js';

/** Each table: its key columns (besides id and body), and how to take them from a record. */
const TABLES = {
  residents: { columns: ['home_id'], keys: (r: ResidentRecord) => [r.homeId] },
  homes: { columns: [], keys: (_r: HomeRecord) => [] },
  devices: { columns: ['home_id', 'kind', 'serial'], keys: (r: DeviceRecord) => [r.homeId, r.kind, r.serial] },
  users: { columns: ['username'], keys: (r: UserRecord) => [r.username] },
} as const;

type Kind = keyof typeof TABLES;
const KINDS = Object.keys(TABLES) as Kind[];

export interface PgRegistryStoreOptions {
  log?: Logger | undefined;
  /** Tests: the change feed's back-off and ping timings. */
  feed?: Pick<PgRegistryFeedOptions, 'retryMs' | 'ping'> | undefined;
}

export class PgRegistryStore extends PgStore implements RegistryStore {
  readonly migrations = [];
  /** Names this process's writes in their notices, so its own feed skips them. */
  private readonly origin = randomBytes(6).toString('base64url');
  readonly changeFeed: PgRegistryFeed;

  constructor(db: PgDatabase, options: PgRegistryStoreOptions = {}) {
    super(db);
    this.changeFeed = new PgRegistryFeed({
      db,
      origin: this.origin,
      open: () => this.open(),
      loadAll: () => this.load(),
      loadSome: (refs) => this.loadSome(refs),
      log: options.log,
      ...options.feed,
    });
  }

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

  /** The named records as they are now (ids that are not there are left out). */
  async loadSome(refs: RegistryRefs): Promise<RegistryChanges> {
    await this.open();
    const records: RegistryChanges = {};
    for (const kind of KINDS) {
      const ids = refs[kind];
      if (!ids || ids.length === 0) continue;
      const { rows } = await this.db.query<{ body: never }>(`SELECT body FROM ${kind} WHERE id = ANY($1::text[]) ORDER BY id`, [ids]);
      records[kind] = rows.map((r) => r.body);
    }
    return records;
  }

  write(changes: RegistryChanges): Promise<void> {
    return this.serial(() =>
      this.db
        .transaction(async (client) => {
          await upsertRecords(client, changes);
          await notifyChanged(client, this.origin, changes);
        })
        .catch((err: unknown) => {
          throw explainConstraint(err);
        }),
    );
  }

  override async close(): Promise<void> {
    await this.changeFeed.stop();
    await super.close();
  }
}

/** Tells the other processes which records changed; delivered by PostgreSQL only if this transaction commits. */
async function notifyChanged(client: PoolClient, origin: string, changes: RegistryChanges): Promise<void> {
  const payloads = noticePayloads(origin, refsOf(changes));
  if (payloads.length > 0) await client.query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [REGISTRY_CHANNEL, payloads]);
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
