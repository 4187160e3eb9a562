/**
 * The Registry's write-through cache, without the domain: every record held in
 * memory with its indexes (serials, households), loaded at start, changed only
 * by staging records and committing them through the RegistryStore port (undone
 * in memory if the write fails), and kept up to date with what other processes
 * commit through the store's change feed. registry.ts says what a home, a
 * resident, a device and a user are; this file says how they are kept.
 */
import { byCodeUnits } from '../core/compare.js';
import { waitAtMost } from '../core/wait-at-most.js';
import type { RegistryChanges, RegistryFeedSink, RegistryMigration, RegistryRecords, RegistryStore } from '../storage/ports.js';
import { ExternalChangeListeners, foldExternal, WritesInFlight, type RegistryChange } from './external-records.js';
import type { ResidentRecord } from './records.js';

export type Kind = keyof RegistryRecords;
export type RecordOf<K extends Kind> = RegistryRecords[K][number];

/** Records staged in memory by one operation, and what they replaced (to undo a failed write). */
export class Staged {
  readonly changes: { [K in Kind]?: RecordOf<K>[] } = {};
  readonly undo: (() => void)[] = [];
}

export class RegistryCache implements RegistryFeedSink {
  protected readonly items: { [K in Kind]: Map<string, RecordOf<K>> } = { homes: new Map(), residents: new Map(), devices: new Map(), users: new Map() };
  /** device serials already registered, `kind:serial` → device id */
  protected readonly serials = new Map<string, string>();
  /** home id → its residents' ids, first resident first (couples, issue 13 item 12): the rules engine asks per message. */
  protected readonly householdIds = new Map<string, string[]>();
  /** Records staged here and not yet committed: another node's notice about them waits (external-records.ts). */
  private readonly inFlight = new WritesInFlight();
  private readonly externalListeners = new ExternalChangeListeners();
  private changes = 0;

  constructor(
    private readonly store: RegistryStore,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts every change to what this cache holds (a record put, undone, or
   * folded in from another process). Equal counts: nothing read from it
   * since has changed. For caches of values derived from several records,
   * read per message (the overload triage's limits: hub/rules/telemetry-limits.ts),
   * which then check one number instead of every record they came from.
   */
  get generation(): number {
    return this.changes;
  }

  /** Layout upgrades done by the store on start (empty when everything was current). */
  get migrations(): readonly RegistryMigration[] {
    return this.store.migrations;
  }

  async start(): Promise<void> {
    // Listening starts before the load, so nothing committed between the two is missed.
    const feed = this.store.changeFeed;
    await feed?.listen();
    const loaded = await this.store.load();
    for (const kind of Object.keys(this.items) as Kind[]) {
      const map = this.items[kind] as Map<string, { id: string }>;
      for (const record of loaded[kind]) map.set(record.id, record);
    }
    for (const device of this.items.devices.values()) this.serials.set(`${device.kind}:${device.serial}`, device.id);
    const byAge = [...this.items.residents.values()].sort((a, b) => byCodeUnits(a.createdAt, b.createdAt) || byCodeUnits(a.id, b.id));
    for (const resident of byAge) this.indexResident(resident);
    this.changes++;
    feed?.attach(this);
  }

  /**
   * A record this process does not hold, read from the store before a write
   * that names it runs here: another node may have created it a moment ago,
   * and its notice may not have arrived yet (a home created through the
   * leader, then given a device through the home's owner). Resolves at once
   * when the record is here or the store has no change feed (one process
   * owns the files); else once the store was read, at most `timeoutMs` later
   * (an id nobody created is then answered as unknown, as before).
   */
  catchUp(kind: Kind, id: string, timeoutMs = 2_000): Promise<void> | undefined {
    const feed = this.store.changeFeed;
    if (!feed || this.items[kind].has(id)) return undefined;
    return waitAtMost(feed.reload({ [kind]: [id] }), timeoutMs).then(() => undefined);
  }

  /** Records another process committed: folded in, and what changed is told to the listeners. */
  applyExternal(changes: RegistryChanges): void {
    const maps = { items: this.items, serials: this.serials, householdIds: this.householdIds };
    const changed = foldExternal(maps, changes, this.inFlight);
    if (changed.length > 0) this.changes++;
    this.externalListeners.tell(changed);
  }

  /** Every record (or a slice of them), after the feed may have missed changes. The registry never deletes, so this is the same fold. */
  resync(records: RegistryRecords): void {
    this.applyExternal(records);
  }

  /** Called with the records other processes changed, once they are in memory; returns the unsubscribe function. */
  onExternalChange(listener: (changes: readonly RegistryChange[]) => void): () => void {
    return this.externalListeners.add(listener);
  }

  private indexResident(resident: ResidentRecord): () => void {
    const ids = this.householdIds.get(resident.homeId) ?? [];
    if (ids.includes(resident.id)) return () => undefined;
    this.householdIds.set(resident.homeId, [...ids, resident.id]);
    return () => {
      this.householdIds.set(resident.homeId, (this.householdIds.get(resident.homeId) ?? []).filter((id) => id !== resident.id));
      this.changes++;
    };
  }

  async stop(): Promise<void> {
    await this.store.close();
  }

  protected stamp(): string {
    return new Date(this.now()).toISOString();
  }

  /** Puts a record into memory now, remembering how to take it out again. */
  protected put<K extends Kind>(staged: Staged, kind: K, record: RecordOf<K>): void {
    const map = this.items[kind] as Map<string, RecordOf<K>>;
    const previous = map.get(record.id);
    map.set(record.id, record);
    this.changes++;
    this.inFlight.begin(kind, record.id);
    staged.undo.push(() => {
      // Only if no later operation replaced it meanwhile: that one's own write decides its fate.
      if (map.get(record.id) !== record) return;
      if (previous) map.set(record.id, previous);
      else map.delete(record.id);
      this.changes++;
    });
    ((staged.changes[kind] ??= []) as RecordOf<K>[]).push(record);
    if (kind === 'residents') staged.undo.push(this.indexResident(record as ResidentRecord));
  }

  /** Writes what was staged through the store; on failure memory goes back to what the store holds. */
  protected async commit(staged: Staged): Promise<void> {
    try {
      await this.store.write(staged.changes as RegistryChanges);
    } catch (err) {
      for (const undo of staged.undo.reverse()) undo();
      throw err;
    } finally {
      // A notice set aside during the write: read the record again, whatever the write's fate.
      const again = this.inFlight.end(staged.changes as RegistryChanges);
      if (again) void this.store.changeFeed?.reload(again);
    }
  }

  protected async putOne<K extends Kind>(kind: K, record: RecordOf<K>): Promise<RecordOf<K>> {
    const staged = new Staged();
    this.put(staged, kind, record);
    await this.commit(staged);
    return record;
  }

  /**
   * Short ids (8 hex digits) are readable but collide by the birthday bound
   * (~1 % at 10,000, ~20 % at 40,000 devices): draw again until unused.
   * Records staged by the same operation are already in the map, so a batch
   * cannot draw one id twice either.
   */
  protected unusedId(next: () => string, taken: ReadonlyMap<string, unknown>): string {
    for (;;) {
      const id = next();
      if (!taken.has(id)) return id;
    }
  }
}
