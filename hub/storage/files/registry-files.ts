/**
 * The registry's file adapter (the default store, DESIGN.md §6): homes,
 * residents, devices and users each in its own lowdb JSON file under
 * `<dataDir>/registry`, written atomically with fsync (durable-json-file.ts).
 * Files written by an older release are upgraded on load
 * (registry-migrations.ts); a newer one refuses the start.
 *
 * lowdb rewrites a whole file per write, so `write` touches each affected
 * file once, residents before homes: a home on disk always points at a
 * resident that exists. The files are not written as one unit — one writer
 * process and write-through before every reply is what keeps them in step.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { REGISTRY_SCHEMA_VERSION, type RegistryFile } from '../../registry/records.js';
import type { RegistryChanges, RegistryMigration, RegistryRecords, RegistryStore } from '../ports.js';
import { DurableJsonFile } from './durable-json-file.js';
import { migrateRegistryFile } from './registry-migrations.js';

type Kind = keyof RegistryRecords;
const FILES: readonly Kind[] = ['homes', 'residents', 'devices', 'users'];
/** Write order: a record is on disk before anything that points at it. */
const WRITE_ORDER: readonly Kind[] = ['residents', 'homes', 'devices', 'users'];

type Store = Low<RegistryFile<{ id: string }>>;

export class RegistryFiles implements RegistryStore {
  private readonly stores = new Map<Kind, Store>();
  readonly migrations: RegistryMigration[] = [];

  constructor(private readonly dir: string) {}

  get location(): string {
    return this.dir;
  }

  async load(): Promise<RegistryRecords> {
    // Private to the hub's user: password hashes, device secrets, medical notes (DESIGN.md §11).
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const records: Partial<Record<Kind, { id: string }[]>> = {};
    for (const kind of FILES) {
      const store = new Low<RegistryFile<{ id: string }>>(new DurableJsonFile(this.pathOf(kind)), { schemaVersion: REGISTRY_SCHEMA_VERSION, items: {} });
      await store.read();
      await this.migrate(this.pathOf(kind), store);
      this.stores.set(kind, store);
      records[kind] = Object.values(store.data.items);
    }
    return records as unknown as RegistryRecords;
  }

  async write(changes: RegistryChanges): Promise<void> {
    for (const kind of WRITE_ORDER) {
      const changed = changes[kind] as { id: string }[] | undefined;
      if (!changed?.length) continue;
      const store = this.stores.get(kind);
      if (!store) throw new Error('registry files: write() before load()');
      for (const record of changed) store.data.items[record.id] = record;
      await store.write();
    }
  }

  async close(): Promise<void> {
    // Every write completed before it returned; there is nothing to release.
  }

  private pathOf(kind: Kind): string {
    return join(this.dir, `${kind}.json`);
  }

  /** Files written by an older release are upgraded (the original kept as `<name>.json.v<from>.bak`). */
  private async migrate(path: string, store: Store): Promise<void> {
    const { data, from, to } = migrateRegistryFile(path, store.data as unknown as Record<string, unknown>);
    if (from === to) return;
    // Keep the original next to it: a migration is the one write that changes a file's layout.
    await copyFile(path, `${path}.v${from}.bak`);
    store.data = data as unknown as RegistryFile<{ id: string }>;
    await store.write();
    this.migrations.push({ file: path, from, to });
  }
}
