/**
 * Audited actions (refused connections and topics, logins, provisioning,
 * every alert transition later) go into the same hash-chained journal as the
 * alerts, one line each, so nobody can quietly remove one (DESIGN.md §6).
 * Recent entries are also kept in memory for the audit view.
 */
import type { JournalWriter } from '../alerts/alert-store.js';
import type { Logger } from '../core/logger.js';
import type { JournalEntry } from '../storage/journal-format.js';

export interface AuditEntry {
  at: string;
  action: string;
  /** `user:<username>`, `device:<id>`, `ip:<addr>` or `system`. */
  actor: string;
  target?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

const RECENT = 1_000;

/**
 * Where an audit line goes when the homes' partitions are spread over the
 * nodes (HUB_PARTITIONS=spread, docs/CLUSTER.md "Owners"): into the home's
 * partition when this node owns the home the action concerns, into the
 * home-less partition when this node holds it (the leader), and otherwise
 * to the leader's journal through PostgreSQL (hub/cluster/audit-hand-off.ts),
 * whose line this node's tail then brings back for the audit view.
 */
export interface AuditRoute {
  ownedHomeOf(action: string, target: string | undefined, detail: Record<string, unknown> | undefined): string | undefined;
  writesHomeless(): boolean;
  handOff(record: { action: string; actor: string; target?: string | undefined; detail?: Record<string, unknown> | undefined }): void;
}

export class AuditLog {
  private readonly recentEntries: AuditEntry[] = [];

  constructor(
    private readonly journal: JournalWriter,
    private readonly log: Logger,
    /** Spread partitions only; a hub alone and the leader holding every lease write every line themselves. */
    private readonly route?: AuditRoute,
  ) {}

  /**
   * Appends the line; resolves once it is durable (rejects if it cannot be
   * made so, already logged). Most callers need not wait: a cluster leader
   * journaling a standby's record does, before it deletes that record's row.
   */
  record(action: string, actor: string, target?: string, detail?: Record<string, unknown>): Promise<void> {
    const homeId = this.route?.ownedHomeOf(action, target, detail);
    if (this.route && homeId === undefined && !this.route.writesHomeless()) {
      this.route.handOff({ action, actor, target, detail });
      return Promise.resolve();
    }
    const { entry, durable } = this.journal.append('audit', { action, actor, target, detail }, homeId);
    this.remember({ at: entry.at, action, actor, target, detail });
    durable.catch((err: unknown) => this.log.error({ err, action }, 'audit entry not stored'));
    return durable;
  }

  /**
   * An audited action whose journal line was already written by someone else
   * (an alert transition is its own record): remembered for the audit view
   * without a second line.
   */
  noteJournaled(at: string, action: string, actor: string, target: string, detail?: Record<string, unknown>): void {
    this.remember({ at, action, actor, target, detail });
  }

  /** Replays its own journal lines (`audit`) at start; ignores the rest. */
  replay(entry: JournalEntry): void {
    if (entry.type === 'audit') this.remember({ at: entry.at, ...(entry.data as Omit<AuditEntry, 'at'>) });
  }

  /** The newest RECENT entries, oldest first. */
  recent(): readonly AuditEntry[] {
    this.trim(RECENT);
    return this.recentEntries;
  }

  /**
   * Kept up to twice RECENT, cut back to RECENT at once: a replay remembers an entry for nearly
   * every line, and a shift() per entry moved the whole array each time.
   */
  private remember(entry: AuditEntry): void {
    this.recentEntries.push(entry);
    if (this.recentEntries.length > 2 * RECENT) this.trim(RECENT);
  }

  private trim(keep: number): void {
    const extra = this.recentEntries.length - keep;
    if (extra > 0) this.recentEntries.splice(0, extra);
  }
}
