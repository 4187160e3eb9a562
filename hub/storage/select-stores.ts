/**
 * Chooses the storage adapters, once, for the composition root (DESIGN.md §8
 * "stores behind ports"): HUB_DATABASE_URL set → PostgreSQL for the registry
 * and the journal, sharing one pool; unset → the files under HUB_DATA_DIR, so
 * `npm start` needs no set-up. Nothing else in the hub knows which it got.
 */
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import { RegistryFiles } from './files/registry-files.js';
import { Journal, type OpenJournalFile } from './journal.js';
import type { DeviceMessageKey, JournalStore, RegistryStore } from './ports.js';
import { PgDatabase } from './postgres/database.js';
import { PgJournal } from './postgres/journal-pg.js';
import { PgRegistryStore } from './postgres/registry-pg.js';

export interface StoreSettings {
  dataDir: string;
  databaseUrl?: string | undefined;
  now: () => number;
  log: Logger;
  /** The device message a journal line records (for the database's unique message key). */
  messageKeyOf: (type: string, data: unknown) => DeviceMessageKey | undefined;
  /** Tests only: wrap the journal's files. */
  journalFileOpener?: OpenJournalFile | undefined;
}

export interface Stores {
  kind: 'files' | 'postgres';
  registry: RegistryStore;
  journal: JournalStore;
}

export function selectStores(settings: StoreSettings): Stores {
  const { log, now } = settings;
  const onWarning = (msg: string) => log.warn({ module: 'journal' }, msg);
  if (settings.databaseUrl) {
    const db = new PgDatabase({ url: settings.databaseUrl, log: log.child({ module: 'database' }) });
    const journal = new PgJournal({
      db,
      now,
      onError: (err) => log.fatal({ err }, 'JOURNAL WRITE FAILED: alarms are refused (no PUBACK) until the hub is restarted; see the error for the rows concerned'),
      onWarning,
      onWaitingForLock: (holder) => log.warn({ module: 'journal' }, `waiting for the journal's writer lock, held by ${holder} (a hub that just stopped finishes its last commit first)`),
      messageKeyOf: settings.messageKeyOf,
    });
    return { kind: 'postgres', registry: new PgRegistryStore(db), journal };
  }
  const journal = new Journal({
    dir: join(settings.dataDir, 'journal'),
    now,
    onError: (err) => log.fatal({ err }, 'JOURNAL WRITE FAILED: alarms are refused (no PUBACK) until the hub is restarted with a writable data dir'),
    onWarning,
    ...(settings.journalFileOpener ? { openFile: settings.journalFileOpener } : {}),
  });
  return { kind: 'files', registry: new RegistryFiles(join(settings.dataDir, 'registry')), journal };
}
