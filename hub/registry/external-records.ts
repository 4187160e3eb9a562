/**
 * Records another process committed (another node of a cluster, issue 12),
 * folded into the Registry's in-memory maps together with the indexes those
 * maps carry (serials, households), and what really changed, for the parts
 * of this node that must react: a revoked device's connection closes here
 * too, a disabled user's sessions end.
 *
 * A record this process is writing itself at that moment is left alone: its
 * own write commits after the other's (the other's notice came first), so
 * memory already holds what the table will hold. The notice is set aside and
 * the record read again once the local write settles, in case it failed.
 */
import type { RegistryChanges, RegistryKind, RegistryRecords, RegistryRefs } from '../storage/ports.js';
import type { DeviceRecord, ResidentRecord } from './records.js';

type RecordOf<K extends RegistryKind> = RegistryRecords[K][number];

/** One record changed by another process: what this node had (none for a new record) and what it has now. */
export type RegistryChange = { [K in RegistryKind]: { kind: K; before: RecordOf<K> | undefined; after: RecordOf<K> } }[RegistryKind];

/** The Registry's maps, as the fold needs them. */
export interface RegistryMaps {
  items: { [K in RegistryKind]: Map<string, RecordOf<K>> };
  /** `kind:serial` → device id */
  serials: Map<string, string>;
  /** home id → its residents' ids, oldest first */
  householdIds: Map<string, string[]>;
}

const KINDS: readonly RegistryKind[] = ['homes', 'residents', 'devices', 'users'];
const keyOf = (kind: RegistryKind, id: string) => `${kind}:${id}`;

/** The records this process is writing right now, and the notices about them set aside meanwhile. */
export class WritesInFlight {
  private readonly counts = new Map<string, number>();
  private readonly setAside = new Map<string, { kind: RegistryKind; id: string }>();

  begin(kind: RegistryKind, id: string): void {
    const key = keyOf(kind, id);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** True, and the record set aside, while a local write of it is in flight. */
  holds(kind: RegistryKind, id: string): boolean {
    const key = keyOf(kind, id);
    if (!this.counts.has(key)) return false;
    this.setAside.set(key, { kind, id });
    return true;
  }

  /** Ends the writes of these records; returns the ones set aside that now need reading again. */
  end(changes: RegistryChanges): RegistryRefs | undefined {
    let again: RegistryRefs | undefined;
    for (const kind of KINDS) {
      for (const { id } of (changes[kind] ?? []) as { id: string }[]) {
        const key = keyOf(kind, id);
        const left = (this.counts.get(key) ?? 1) - 1;
        if (left > 0) {
          this.counts.set(key, left);
          continue;
        }
        this.counts.delete(key);
        if (this.setAside.delete(key)) ((again ??= {})[kind] ??= []).push(id);
      }
    }
    return again;
  }
}

/** The Registry's onExternalChange listeners. */
export class ExternalChangeListeners {
  private readonly listeners = new Set<(changes: readonly RegistryChange[]) => void>();

  add(listener: (changes: readonly RegistryChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every listener runs even if one throws (memory is already up to date); the first failure is thrown afterwards, for the feed to log. */
  tell(changes: readonly RegistryChange[]): void {
    if (changes.length === 0) return;
    const failures: unknown[] = [];
    for (const listener of [...this.listeners]) {
      try {
        listener(changes);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}

/** Puts the committed records into the maps; returns those that differ from what memory had. */
export function foldExternal(maps: RegistryMaps, changes: RegistryChanges, writes: WritesInFlight): RegistryChange[] {
  const changed: RegistryChange[] = [];
  for (const kind of KINDS) {
    const map = maps.items[kind] as Map<string, RecordOf<typeof kind>>;
    for (const after of (changes[kind] ?? []) as RecordOf<typeof kind>[]) {
      if (writes.holds(kind, after.id)) continue;
      const before = map.get(after.id);
      if (before && sameRecord(before, after)) continue;
      map.set(after.id, after);
      if (kind === 'devices') reindexDevice(maps.serials, before as DeviceRecord | undefined, after as DeviceRecord);
      if (kind === 'residents') reindexResident(maps.householdIds, before as ResidentRecord | undefined, after as ResidentRecord);
      changed.push({ kind, before, after } as RegistryChange);
    }
  }
  return changed;
}

/**
 * Equal as JSON values: memory keeps `undefined` fields the table's JSON
 * drops, and JSONB orders keys its own way. Walked in place, without copies:
 * a full reload compares every record while the broker waits on this thread
 * (a JSON round trip per record took ~0.5 s for 30,000 records).
 */
export function sameRecord(inMemory: unknown, stored: unknown): boolean {
  if (inMemory === stored) return true;
  if (typeof inMemory !== 'object' || typeof stored !== 'object' || inMemory === null || stored === null) return false;
  if (Array.isArray(inMemory) || Array.isArray(stored)) {
    if (!Array.isArray(inMemory) || !Array.isArray(stored) || inMemory.length !== stored.length) return false;
    return inMemory.every((item, i) => sameRecord(item, stored[i]));
  }
  const a = inMemory as Record<string, unknown>;
  const b = stored as Record<string, unknown>;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => sameRecord(a[k], b[k]));
}

function reindexDevice(serials: Map<string, string>, before: DeviceRecord | undefined, after: DeviceRecord): void {
  const oldKey = before ? `${before.kind}:${before.serial}` : undefined;
  const newKey = `${after.kind}:${after.serial}`;
  if (oldKey && oldKey !== newKey && serials.get(oldKey) === after.id) serials.delete(oldKey);
  serials.set(newKey, after.id);
}

function reindexResident(householdIds: Map<string, string[]>, before: ResidentRecord | undefined, after: ResidentRecord): void {
  if (before && before.homeId !== after.homeId) {
    householdIds.set(before.homeId, (householdIds.get(before.homeId) ?? []).filter((id) => id !== after.id));
  }
  const ids = householdIds.get(after.homeId) ?? [];
  if (!ids.includes(after.id)) householdIds.set(after.homeId, [...ids, after.id]);
}
