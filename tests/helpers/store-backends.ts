/**
 * The two storage backends for the port contract tests (hub/storage/ports.ts):
 * the files in a temp dir, and the PostgreSQL database of the test file
 * (usePgDatabase, emptied before each test). Both hand out adapters through
 * the composition root's own selectStores(), so the tests exercise exactly
 * what the hub is given. `breakWrites` makes the next writes fail the way
 * each store fails: a directory where a file must go, or a database that
 * refuses connections.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { deviceMessageKeyOf } from '../../hub/alerts/message-key.js';
import { silentLogger } from '../../hub/core/logger.js';
import { selectStores, type Stores } from '../../hub/storage/select-stores.js';
import { usePgDatabase, type PgTestDatabase } from './pg-database.js';
import { makeTempDir } from './temp-dir.js';

export type ServiceStores = Omit<Stores, 'kind' | 'registry' | 'journal' | 'ownerLeases' | 'partitionDirectory' | 'nodeAnnouncer'>;

export interface StoreBackend {
  readonly kind: 'files' | 'postgres';
  /** New adapter instances on this test's storage: a second call is a reopen. */
  open(now?: () => number): ServiceStores;
  /** The next writes to `file` (files) or to the database (postgres) fail. */
  breakWrites(file: string): Promise<void>;
  dispose(): Promise<void>;
}

const TABLES = 'sessions, visits, hardship_periods, webhooks, delivery_log, rules_snapshot';
const opened = (stores: Stores): ServiceStores => {
  const { kind: _k, registry: _r, journal: _j, ownerLeases: _o, partitionDirectory: _d, nodeAnnouncer: _a, ...rest } = stores;
  return rest;
};

export async function filesBackend(): Promise<StoreBackend> {
  const temp = await makeTempDir('service-stores-');
  return {
    kind: 'files',
    open: (now = Date.now) => opened(selectStores({ dataDir: temp.path, now, log: silentLogger(), messageKeyOf: deviceMessageKeyOf })),
    async breakWrites(file) {
      // write-file-atomic renames over the file, appends open it: a directory in its place fails both.
      const path = join(temp.path, file);
      await rm(path, { force: true });
      await mkdir(join(path, 'blocker'), { recursive: true });
    },
    dispose: temp.remove,
  };
}

export async function postgresBackend(database: PgTestDatabase): Promise<StoreBackend> {
  // The tables exist once a store has run the migrations; before that there is nothing to empty.
  await database.query(`TRUNCATE ${TABLES}`).catch((err: { code?: string }) => {
    if (err.code !== '42P01') throw err;
  });
  const temp = await makeTempDir('service-stores-pg-');
  let broken = false;
  return {
    kind: 'postgres',
    open: (now = Date.now) => opened(selectStores({ dataDir: temp.path, databaseUrl: database.url, now, log: silentLogger(), messageKeyOf: deviceMessageKeyOf })),
    async breakWrites() {
      broken = true;
      await database.allowConnections(false);
      await database.terminateBackends();
    },
    async dispose() {
      if (broken) await database.allowConnections(true);
      // Nothing of a PostgreSQL store may land in the data dir.
      const left = await readdir(temp.path);
      await temp.remove();
      if (left.length > 0) throw new Error(`postgres stores wrote files: ${left.join(', ')}`);
    },
  };
}

/** Closes every store of an open(); what a hub's stop does. */
export async function closeStores(stores: ServiceStores): Promise<void> {
  for (const store of Object.values(stores)) await store.close();
}

export interface BackendContext {
  readonly backend: StoreBackend;
  /** The stores' clock (ms); reset to `start` before each test. */
  now: number;
  /** A new set of adapters on the test's storage, closed after the test: a second call is a reopen. */
  stores(): ServiceStores;
}

/**
 * For `describe.each(storeBackends())`: both backends, PostgreSQL on the test
 * file's own fresh database (created before the first test, dropped after).
 */
export function storeBackends(database: PgTestDatabase = usePgDatabase()): (readonly ['files' | 'postgres', () => Promise<StoreBackend>])[] {
  return [
    ['files', () => filesBackend()],
    ['postgres', () => postgresBackend(database)],
  ];
}

/** A backend per test from `make`, with its clock and every opened store closed afterwards. */
export function useBackend(make: () => Promise<StoreBackend>, start: number): BackendContext {
  const open: ServiceStores[] = [];
  let backend: StoreBackend | undefined;
  const context: BackendContext = {
    get backend() {
      if (!backend) throw new Error('useBackend: used outside a test');
      return backend;
    },
    now: start,
    stores() {
      const s = context.backend.open(() => context.now);
      open.push(s);
      return s;
    },
  };
  beforeEach(async () => {
    context.now = start;
    backend = await make();
  });
  afterEach(async () => {
    for (const stores of open.splice(0)) await closeStores(stores);
    await backend?.dispose();
  });
  return context;
}
