/**
 * A fresh PostgreSQL database for each test (not each file: tests of leases
 * and journals leave rows the next test must not see), migrated through a
 * connection of the test's own (`admin`), and dropped after the test — after
 * whatever the test registered with `later`, which runs first, last
 * registered first (cleanup.ts).
 */
import { beforeEach } from 'vitest';
import { PgDatabase } from '../../hub/storage/postgres/database.js';
import { useCleanup } from './cleanup.js';
import { createPgDatabase } from './pg-server.js';

export interface PgPerTest {
  readonly url: string;
  /** The test's own connection pool on the database (migrated: every table exists). */
  readonly admin: PgDatabase;
  /** Runs `close` after the test, before the database goes. */
  later(close: () => unknown): void;
}

export function usePgPerTest(prefix: string): PgPerTest {
  const keep = useCleanup();
  let url = '';
  let admin: PgDatabase | undefined;
  beforeEach(async () => {
    url = keep(await createPgDatabase(prefix), (db) => db.drop()).url;
    admin = keep(new PgDatabase({ url }), (db) => db.release());
    await admin.ready();
  });
  return {
    get url() {
      return url;
    },
    get admin() {
      if (!admin) throw new Error('usePgPerTest: used outside a test');
      return admin;
    },
    later: (close) => void keep(undefined, close),
  };
}
