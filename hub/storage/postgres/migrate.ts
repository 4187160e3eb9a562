/**
 * Schema migrations of the PostgreSQL store, run at every start with
 * node-pg-migrate (a kept tool, not a hand-rolled runner): the SQL files in
 * ./migrations/, forward only, each recorded in the `pgmigrations` table,
 * under node-pg-migrate's advisory lock so two hubs starting together do not
 * both migrate. A database that has a migration this code does not know was
 * written by a newer release: the start stops with one line rather than let
 * older code write into a schema it does not understand.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PoolClient } from 'pg';
import { StartupError } from '../../core/data-dir.js';
import type { Logger } from '../../core/logger.js';

export const MIGRATIONS_TABLE = 'pgmigrations';
const FROM_ROOT = join('hub', 'storage', 'postgres', 'migrations');

/**
 * The migrations folder. Found by walking up to the repository root because
 * this code runs both from hub/storage/postgres/ (tsx) and from the
 * dist/hub.mjs bundle, where import.meta.url is one file at another depth.
 */
export function migrationsDir(from = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, FROM_ROOT);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`PostgreSQL migrations not found (looked for ${FROM_ROOT} above ${from})`);
  }
}

/** Names of the migrations this code has, in order (file names without `.sql`, as node-pg-migrate records them). */
export function knownMigrations(dir = migrationsDir()): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => basename(name, '.sql'));
}

/** Refuses a database migrated by a newer release; returns the migrations already applied. */
async function checkNotNewer(client: PoolClient, known: readonly string[], description: string): Promise<string[]> {
  const table = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE]);
  if (!table.rows[0]?.t) return [];
  const applied = (await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`)).rows.map((r) => r.name);
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new StartupError(
      `${description} (HUB_DATABASE_URL) has schema migration ${unknown.join(', ')}, newer than this hub understands (it knows up to ${known.at(-1) ?? 'none'}): run the newer hub, or restore a backup made by this version`,
    );
  }
  return applied;
}

export async function runMigrations(client: PoolClient, description: string, log?: Logger): Promise<string[]> {
  const dir = migrationsDir();
  const known = knownMigrations(dir);
  const applied = await checkNotNewer(client, known, description);
  if (applied.length === known.length) return [];
  const { runner } = await import('node-pg-migrate');
  const quiet = (msg: string) => log?.debug(msg);
  const ran = await runner({
    dbClient: client,
    dir,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log: quiet,
  }).catch((err: Error) => {
    throw new StartupError(
      `${description} (HUB_DATABASE_URL): schema migration failed: ${err.message}; nothing was changed (one transaction): fix the cause — often a user that may not create tables in this database — and start the hub again`,
    );
  });
  if (ran.length > 0) log?.info({ migrations: ran.map((m) => m.name) }, `${description}: schema migrated`);
  return ran.map((m) => m.name);
}
