/**
 * Alert state backed by the journal. Every change is one journal line, applied
 * to memory by the reducer at once (so dedupe and transition checks see it)
 * but shown to people — listed, pushed — only once the line is durable
 * (DESIGN.md §4 "an alert is on disk before it is shown to anyone").
 */
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { SEVERITY_RANK, triggerActor, type Alert, type AlertStatus, type Severity } from './alert.js';
import type { JournalEntry } from '../storage/journal-format.js';
import { ALERT_RECORD_TYPES, AlertState, type AlertRecordData, type AlertRecordType } from './alert-reducer.js';

export interface JournalWriter {
  /**
   * `homeId`: the home the line belongs to, absent for none (JournalStore.append).
   * `entry.n` may be known only once `durable` resolves (PostgreSQL numbers lines at commit).
   */
  append<T>(type: string, data: T, homeId?: string): { entry: { n: number; at: string }; durable: Promise<void> };
}

/** Audit entries backed by alert lines (no second journal line: the alert line is the record). */
export interface AuditSink {
  noteJournaled(at: string, action: string, actor: string, target: string, detail?: Record<string, unknown>): void;
}

/**
 * Told of every alert change in journal order, with the alert as it is right
 * after that line: the stream's replay of what a console missed
 * (hub/realtime/alert-feed.ts). Replayed lines at start are durable already;
 * a new line is shown (the returned function, given the line's n) once it is
 * durable, before the bus hears of it, so the feed and the bus agree on what
 * people may see.
 */
export interface AlertChangeLog {
  replayed(n: number, at: string, type: AlertRecordType, alert: Alert): void;
  appended(at: string, type: AlertRecordType, alert: Alert): (n: number) => void;
}

export interface AlertFilter {
  status?: AlertStatus | undefined;
  /** Everything not resolved. */
  unresolved?: boolean | undefined;
  severity?: Severity | undefined;
  kind?: string | undefined;
  homeIds?: ReadonlySet<string> | undefined;
  /** raisedAt ≥ from, raisedAt < to (ISO strings compare in time order). */
  from?: string | undefined;
  to?: string | undefined;
}

export class AlertStore {
  private readonly state = new AlertState();
  /** Told of every line applied here: written by this process (before it is durable) or replayed and followed from the journal. */
  private readonly appliedListeners = new Set<(alert: Alert) => void>();

  constructor(
    private readonly journal: JournalWriter,
    private readonly bus: EventBus<HubEvents>,
    private readonly audit: AuditSink,
    private readonly log: Logger,
    private readonly changes?: AlertChangeLog,
  ) {}

  /**
   * Replays its own journal lines (the alert record types) at start; ignores the rest. The
   * line's data becomes the state as it is (JournalStore.open: a replayed entry is parsed for
   * the replayers alone, and only the replayer that owns its type keeps any of it).
   */
  replay({ n, at, type, data }: JournalEntry): void {
    if (!ALERT_RECORD_TYPES.has(type)) return;
    const alert = this.state.apply(at, type as AlertRecordType, data as never, true);
    if (!alert) return;
    this.noteAudit(at, type, data, alert);
    this.changes?.replayed(n, at, type as AlertRecordType, alert);
    this.tellApplied(alert);
  }

  /**
   * `listener` is told of the alert as each line leaves it, on every node
   * that keeps this store: the lines this process writes, at once (before
   * they are durable, and before the bus hears of them), and the lines it
   * replays at start or follows from other nodes (a cluster standby, or an
   * owner of other partitions), which the bus never hears of. The alert is
   * the store's own: read it, do not keep or change it. Returns the
   * unsubscribe function. For what every node must know of the alerts of
   * every home (emergency-homes.ts); what only the pipeline acts on listens
   * to the bus.
   */
  onApplied(listener: (alert: Alert) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  private tellApplied(alert: Alert): void {
    for (const listener of this.appliedListeners) listener(alert);
  }

  /**
   * Appends one line and applies it. `durable` resolves once it is on disk,
   * after the change has been pushed on the bus (`alert.raised` or
   * `alert.updated`, plus `alert.transition` for everyone reacting to it).
   */
  record<T extends AlertRecordType>(type: T, data: AlertRecordData[T]): { alert: Alert; durable: Promise<Alert> } {
    const homeId = type === 'alert.raised' ? (data as AlertRecordData['alert.raised']).alert.homeId : this.state.alerts.get((data as { alertId: string }).alertId)?.alert.homeId;
    const { entry, durable } = this.journal.append(type, data, homeId);
    const alert = this.state.apply(entry.at, type, data);
    if (!alert) throw new Error(`journal line ${type} for an unknown alert`);
    this.noteAudit(entry.at, type, data, alert);
    this.tellApplied(alert);
    const show = this.changes?.appended(entry.at, type, alert);
    const shown = durable.then(
      () => {
        if (type === 'alert.raised') this.state.markDurable(alert.id);
        show?.(entry.n); // known now, on every journal
        const snapshot = structuredClone(alert);
        this.bus.emit(type === 'alert.raised' ? 'alert.raised' : 'alert.updated', snapshot);
        this.bus.emit('alert.transition', { alert: snapshot, change: type.slice('alert.'.length), actor: actorOf(data) });
        return snapshot;
      },
      (err: unknown) => {
        // The journal is now unhealthy (sticky until restart) and a device that caused this got no
        // PUBACK, so it will retransmit to the restarted hub: loud, never silent.
        this.log.fatal({ err, alertId: alert.id, type }, 'ALERT CHANGE NOT STORED: journal write failed');
        throw err;
      },
    );
    shown.catch(() => undefined); // callers that do not await must not crash the process
    return { alert, durable: shown };
  }

  /** The unresolved alert of this kind in this home for this resident, durable or not yet (for dedupe). */
  openFor(homeId: string, kind: string, residentId: string | undefined): Alert | undefined {
    const id = this.state.openByKey.get(AlertState.key(homeId, kind, residentId));
    return id === undefined ? undefined : this.state.alerts.get(id)?.alert;
  }

  /** Whether a line raised this alert here, durable or not yet (an owner raises a drill's alert once). */
  has(id: string): boolean {
    return this.state.alerts.has(id);
  }

  /** A durable alert by id. */
  get(id: string): Alert | undefined {
    const stored = this.state.alerts.get(id);
    return stored?.durable ? stored.alert : undefined;
  }

  /** Durable alerts matching the filter, most urgent first, then oldest first. */
  list(filter: AlertFilter = {}): Alert[] {
    const out: Alert[] = [];
    for (const { alert, durable } of this.state.alerts.values()) {
      if (!durable || !matches(alert, filter)) continue;
      out.push(alert);
    }
    return out.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.raisedAt.localeCompare(b.raisedAt));
  }

  private noteAudit(at: string, type: string, data: unknown, alert: Alert): void {
    // A location fix is telemetry, not an action: the audit lists what people and the hub did.
    if (type === 'alert.location') return;
    this.audit.noteJournaled(at, type, actorOf(data) ?? triggerActor(alert.trigger), alert.id, { homeId: alert.homeId, kind: alert.kind });
  }
}

function actorOf(data: unknown): string | undefined {
  const actor = (data as { actor?: unknown }).actor;
  return typeof actor === 'string' ? actor : undefined;
}

function matches(alert: Alert, f: AlertFilter): boolean {
  if (f.status && alert.status !== f.status) return false;
  if (f.unresolved && alert.status === 'resolved') return false;
  if (f.severity && alert.severity !== f.severity) return false;
  if (f.kind && alert.kind !== f.kind) return false;
  if (f.homeIds && !f.homeIds.has(alert.homeId)) return false;
  if (f.from && alert.raisedAt < f.from) return false;
  if (f.to && alert.raisedAt >= f.to) return false;
  return true;
}
