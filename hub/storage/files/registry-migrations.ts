/**
 * Schema migrations of the registry files (issue 7 item 6: "a data dir written
 * by an older release is migrated on start"). Each file carries
 * `schemaVersion`; on start a file older than REGISTRY_SCHEMA_VERSION goes
 * through the steps below, one version at a time, and is written back (the
 * original is kept next to it as `<name>.json.v<from>.bak`). A file newer than
 * this hub refuses the start with one line: an older hub must not rewrite
 * what a newer one wrote.
 *
 * Version 0 is the pre-release layout: no `schemaVersion`, `items` an array of
 * records. Version 1 (today): `{ schemaVersion: 1, items: { [id]: record } }`.
 * To change the layout: bump REGISTRY_SCHEMA_VERSION (records.ts), add the
 * step from the previous version here, and a test feeding a file of the old
 * version (tests/data-safety.test.ts).
 */
import { StartupError } from '../../core/data-dir.js';
import { REGISTRY_SCHEMA_VERSION } from '../../registry/records.js';

/** Turns a file of version `from` into version `from + 1`. Pure; may throw on input it cannot read. */
type MigrationStep = (file: Record<string, unknown>) => Record<string, unknown>;

export const REGISTRY_MIGRATIONS: Readonly<Record<number, MigrationStep>> = {
  0: (file) => {
    const items = file.items ?? {};
    if (Array.isArray(items)) {
      const byId: Record<string, unknown> = {};
      for (const [index, record] of items.entries()) {
        const id = (record as { id?: unknown } | null)?.id;
        if (typeof id !== 'string' || id === '') throw new Error(`item ${index} has no id`);
        byId[id] = record;
      }
      return { ...file, schemaVersion: 1, items: byId };
    }
    if (typeof items !== 'object' || items === null) throw new Error('items is neither an array nor an object');
    return { ...file, schemaVersion: 1, items };
  },
};

export interface MigrationResult {
  data: Record<string, unknown>;
  from: number;
  to: number;
}

/** The schema version a file declares (0 when it has none: the pre-release layout). */
export function schemaVersionOf(file: Record<string, unknown>): number {
  const v = file.schemaVersion;
  return v === undefined ? 0 : typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : NaN;
}

/**
 * Brings one parsed registry file up to REGISTRY_SCHEMA_VERSION. Throws a
 * StartupError (one line, naming the file) for a newer or unreadable version.
 */
export function migrateRegistryFile(path: string, file: Record<string, unknown>, target = REGISTRY_SCHEMA_VERSION): MigrationResult {
  const from = schemaVersionOf(file);
  if (Number.isNaN(from)) throw new StartupError(`registry file ${path} has an invalid schemaVersion (${JSON.stringify(file.schemaVersion)}): restore it from a backup`);
  if (from > target) {
    throw new StartupError(
      `registry file ${path} has schema version ${from}, newer than this hub understands (${target}): run the newer hub, or restore a backup made by this version`,
    );
  }
  let data = file;
  for (let v = from; v < target; v++) {
    const step = REGISTRY_MIGRATIONS[v];
    if (!step) throw new StartupError(`registry file ${path}: no migration from schema version ${v} to ${v + 1}`);
    try {
      data = step(data);
    } catch (err) {
      throw new StartupError(`registry file ${path}: migration from schema version ${v} failed (${(err as Error).message}); restore it from a backup`);
    }
  }
  return { data, from, to: target };
}
