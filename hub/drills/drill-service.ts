/**
 * Starts and ends drills and keeps them (issue 13 item 8). A drill is its own
 * journal lines (`drill.started`, `drill.ended`), replayed at start like the
 * alerts' (DESIGN.md §6); its alerts are ordinary `alert.raised` lines carrying
 * a drill mark, so they go through the whole alert path: queue, sound,
 * escalation, dispatch, notifications and the stream.
 */
import { randomUUID } from 'node:crypto';
import type { Alert } from '../alerts/alert.js';
import { newAlert } from '../alerts/alert-intake.js';
import type { AlertStore, JournalWriter } from '../alerts/alert-store.js';
import { conflict, DomainError, notFound } from '../core/errors.js';
import type { HomeRecord } from '../registry/records.js';
import type { PartitionOwnership } from '../core/partition-ownership.js';
import type { JournalEntry } from '../storage/journal-format.js';
import { DEFAULT_DRILL_TARGETS, DRILL_TITLE_PREFIX, DRILL_TITLES, drillReport, type DrillKind, type DrillRecord, type DrillReport, type DrillTargets } from './drill.js';

export interface StartDrill {
  kind: DrillKind;
  homeId?: string | undefined;
  community?: string | undefined;
  note?: string | undefined;
  targets?: Partial<DrillTargets> | undefined;
}

interface DrillLines {
  'drill.started': { drill: DrillRecord };
  'drill.ended': { drillId: string; actor: string };
}

export interface DrillServiceDeps {
  alerts: Pick<AlertStore, 'record' | 'get' | 'has'>;
  journal: Pick<JournalWriter, 'append'>;
  homes: { getHome(id: string): HomeRecord | undefined; listHomes(): HomeRecord[]; residentIds(homeId: string): readonly string[] };
  audit: { noteJournaled(at: string, action: string, actor: string, target: string, detail?: Record<string, unknown>): void };
  now: () => number;
  /**
   * HUB_PARTITIONS=spread: which homes this node acts for (docs/CLUSTER.md
   * "Owners"). The node that starts a drill (the leader: its line belongs to
   * no home) raises the alerts of the homes it owns; every other owner raises
   * its homes' alerts, under the ids the drill line gave them, when its
   * journal brings it the line — or when it gains such a home later — and
   * resolves them when the drill ends. Absent: one node raises them all.
   */
  ownership?: Pick<PartitionOwnership, 'owns' | 'onGained'> | undefined;
  /** Told when an owner could not raise or resolve a drill alert (never thrown: it runs from the journal's tail). */
  onError?: (err: unknown) => void;
}

export class DrillService {
  private readonly drills = new Map<string, DrillRecord>();

  constructor(private readonly deps: DrillServiceDeps) {
    // A home gained while one of its drills runs (or ended): its alert raised (or resolved) here, if its last owner had not.
    deps.ownership?.onGained(() => {
      for (const drill of this.drills.values()) this.actForOwnedHomes(drill);
    });
  }

  /**
   * Replays its own journal lines at start; ignores the rest. With spread
   * partitions the same lines reach the other owners from the journal's
   * tail: each acts for its own homes (at start it owns none yet).
   */
  replay(entry: JournalEntry): void {
    let drillId: string;
    if (entry.type === 'drill.started') {
      const { drill } = entry.data as DrillLines['drill.started'];
      this.applyStarted(entry.at, drill);
      drillId = drill.id;
    } else if (entry.type === 'drill.ended') {
      const ended = entry.data as DrillLines['drill.ended'];
      this.applyEnded(entry.at, ended);
      drillId = ended.drillId;
    } else return; // every other line of the journal: nothing to look up
    const drill = this.drills.get(drillId);
    // Not from inside the journal's apply: the alert lines are appended once it returns.
    if (drill && this.deps.ownership) queueMicrotask(() => this.actForOwnedHomes(drill));
  }

  /** Raises one drill alert per home; resolves once the drill and its alerts are on disk. */
  async start(input: StartDrill, actor: string): Promise<DrillRecord> {
    const homes = this.homesFor(input);
    const busy = homes.find((h) => this.running().some((d) => d.homeIds.includes(h.id)));
    if (busy) throw conflict(`home ${busy.name} is already in a running drill: end that drill first`);
    const at = new Date(this.deps.now()).toISOString();
    const id = `dr-${randomUUID()}`;
    // Like a real home alarm, a couple's drill alert names the home, not one of them (issue 13 item 12).
    const alerts = homes.map((home) => drillAlert(home, this.deps.homes.residentIds(home.id).length > 1 ? undefined : home.residentId, input.kind, id, actor, at));
    const drill: DrillRecord = {
      id,
      kind: input.kind,
      scope: input.homeId !== undefined ? { homeId: input.homeId } : { community: input.community! },
      homeIds: homes.map((h) => h.id),
      alertIds: alerts.map((a) => a.id),
      targets: { ...DEFAULT_DRILL_TARGETS, ...input.targets },
      note: input.note,
      startedAt: at,
      startedBy: actor,
    };
    // The drill line first: a replay then always knows the drill its alerts belong to.
    const line = this.append('drill.started', { drill });
    // Spread: the other owners raise theirs from the line (replay above); they follow in milliseconds.
    const raised = alerts.filter((alert) => this.owns(alert.homeId)).map((alert) => this.deps.alerts.record('alert.raised', { alert }).durable);
    await Promise.all([line, ...raised]);
    return structuredClone(this.drills.get(id)!);
  }

  /** Ends the drill; drill alerts nobody resolved are resolved now, so the queue is left with real work only. */
  async end(drillId: string, actor: string): Promise<DrillRecord> {
    const drill = this.require(drillId);
    if (drill.endedAt) throw conflict(`drill ${drillId} already ended at ${drill.endedAt}`);
    await this.append('drill.ended', { drillId, actor });
    const open = this.alertsOf(drill).filter((a) => a.status !== 'resolved' && this.owns(a.homeId));
    await Promise.all(open.map((a) => this.deps.alerts.record('alert.resolved', { alertId: a.id, actor, outcome: 'false_alarm', note: 'drill ended' }).durable));
    return structuredClone(this.require(drillId));
  }

  /** Newest first. */
  list(): DrillRecord[] {
    return [...this.drills.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).map((d) => structuredClone(d));
  }

  report(drillId: string): DrillReport {
    const drill = this.require(drillId);
    return drillReport(structuredClone(drill), this.alertsOf(drill));
  }

  private running(): DrillRecord[] {
    return [...this.drills.values()].filter((d) => !d.endedAt);
  }

  private alertsOf(drill: DrillRecord): Alert[] {
    return drill.alertIds.map((id) => this.deps.alerts.get(id)).filter((a): a is Alert => a !== undefined);
  }

  /** The live homes a drill covers: a drill rehearses real response, so a home still being installed is refused. */
  private homesFor(input: StartDrill): HomeRecord[] {
    if (input.homeId !== undefined) {
      const home = this.deps.homes.getHome(input.homeId);
      if (!home) throw notFound('home', input.homeId);
      if (home.status !== 'live') throw conflict(`home ${home.name} is not live yet: drills are for live homes; finish commissioning it (POST /homes/${home.id}/go-live) first`);
      return [home];
    }
    const homes = this.deps.homes.listHomes().filter((h) => h.status === 'live' && h.community === input.community);
    if (homes.length === 0) throw new DomainError('not_found', `community ${input.community} has no live home: check the name against the homes' community, or put a home there live first`);
    return homes;
  }

  private owns(homeId: string): boolean {
    return this.deps.ownership?.owns(homeId) ?? true;
  }

  /**
   * Spread: this node's part of a drill another node started or ended — its
   * homes' drill alerts raised under the ids the drill line gave them, once;
   * resolved once the drill has ended.
   */
  private actForOwnedHomes(drill: DrillRecord): void {
    drill.homeIds.forEach((homeId, i) => {
      const alertId = drill.alertIds[i];
      if (alertId === undefined || !this.owns(homeId)) return;
      try {
        const alert = this.deps.alerts.get(alertId);
        if (drill.endedAt) {
          if (alert && alert.status !== 'resolved') void this.deps.alerts.record('alert.resolved', { alertId, actor: drill.endedBy ?? 'system', outcome: 'false_alarm', note: 'drill ended' }).durable.catch((err: unknown) => this.deps.onError?.(err));
          return;
        }
        const home = this.deps.homes.getHome(homeId);
        // `has`, not `get`: a raise still on its way to disk (a gain right after the line came) is not raised twice.
        if (this.deps.alerts.has(alertId) || !home) return;
        const raised = drillAlert(home, this.deps.homes.residentIds(homeId).length > 1 ? undefined : home.residentId, drill.kind, drill.id, drill.startedBy, drill.startedAt);
        raised.id = alertId;
        void this.deps.alerts.record('alert.raised', { alert: raised }).durable.catch((err: unknown) => this.deps.onError?.(err));
      } catch (err) {
        // A partition lost meanwhile (the journal refuses the line): its next owner does it.
        this.deps.onError?.(err);
      }
    });
  }

  private require(drillId: string): DrillRecord {
    const drill = this.drills.get(drillId);
    if (!drill) throw notFound('drill', drillId);
    return drill;
  }

  private append<T extends keyof DrillLines>(type: T, data: DrillLines[T]): Promise<void> {
    const { entry, durable } = this.deps.journal.append(type, data);
    if (type === 'drill.started') this.applyStarted(entry.at, (data as DrillLines['drill.started']).drill);
    else this.applyEnded(entry.at, data as DrillLines['drill.ended']);
    return durable;
  }

  private applyStarted(at: string, drill: DrillRecord): void {
    this.drills.set(drill.id, structuredClone(drill));
    this.deps.audit.noteJournaled(at, 'drill.started', drill.startedBy, drill.id, { kind: drill.kind, homes: drill.homeIds.length, ...drill.scope });
  }

  private applyEnded(at: string, { drillId, actor }: DrillLines['drill.ended']): void {
    const drill = this.drills.get(drillId);
    if (!drill) return;
    drill.endedAt = at;
    drill.endedBy = actor;
    this.deps.audit.noteJournaled(at, 'drill.ended', actor, drillId);
  }
}

function drillAlert(home: HomeRecord, residentId: string | undefined, kind: DrillKind, drillId: string, actor: string, at: string): Alert {
  const alert = newAlert({ kind, severity: 'critical', title: DRILL_TITLE_PREFIX + DRILL_TITLES[kind], homeId: home.id, deviceId: '' }, residentId, { actor, eventType: 'drill', at });
  alert.deviceId = undefined;
  alert.drill = { drillId };
  return alert;
}
