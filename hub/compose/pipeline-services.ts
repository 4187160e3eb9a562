/**
 * The services that replay and write the journal, in start order (the
 * composition root's pipeline: all of it on a hub alone, and on the cluster's
 * leader once it takes the journal's lock). The order matters: the journal
 * is replayed (each service replaying its own lines) before any device
 * message is ingested, so dedupe and alert state are complete; notifications
 * listen before escalation, so an alert that passed 180 s while the hub was
 * down escalates at once. The pipeline snapshot (rule state and watchdog
 * silences: a clean stop's, or a dead leader's last checkpoint) is taken once,
 * before the watchdogs, and each of them restores its part.
 */
import type { AlertLocations } from '../alerts/alert-location.js';
import type { AlertStore } from '../alerts/alert-store.js';
import type { Escalation } from '../alerts/escalation.js';
import type { FollowUp } from '../alerts/follow-up.js';
import { deviceMessageKeyOf } from '../alerts/message-key.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { SessionStore } from '../auth/sessions.js';
import type { CallbackService } from '../callbacks/callback-service.js';
import type { CallbackStore } from '../callbacks/callback-store.js';
import type { AlertCommands } from '../commands/alert-commands.js';
import type { CommandOutbox } from '../commands/command-outbox.js';
import type { DeviceConfig } from '../commands/device-config.js';
import type { Logger } from '../core/logger.js';
import { named, step, type Service } from '../core/service.js';
import type { DrillService } from '../drills/drill-service.js';
import type { Commissioning } from '../homes/commissioning.js';
import type { LoadShedder } from '../ingest/load-shedder.js';
import type { DevicePresence } from '../ingest/presence.js';
import type { SeqWindow } from '../ingest/seq-window.js';
import type { NotifyService } from '../notify/notify-service.js';
import type { Registry } from '../registry/registry.js';
import type { RulesEngine } from '../rules/engine.js';
import type { JournalEntry } from '../storage/journal-format.js';
import type { JournalReplayer, JournalStore, PipelineSnapshot, RulesSnapshotStore } from '../storage/ports.js';
import type { VisitStore } from '../visits/visit-store.js';
import { ensureAdmin, hashFirstAdminPassword, type FirstAdminPassword } from './first-start.js';

/** What the pipeline is made of: the hub's services under their names in hub/hub.ts. */
export interface PipelineParts {
  outbox: CommandOutbox;
  audit: AuditLog;
  commissioning: Commissioning;
  seqWindow: SeqWindow;
  alerts: AlertStore;
  callbackStore: CallbackStore;
  drills: DrillService;
  sessions: SessionStore;
  visitStore: VisitStore;
  journal: JournalStore;
  notify: NotifyService;
  registry: Registry;
  deviceConfig: DeviceConfig;
  presence: DevicePresence;
  locations: AlertLocations;
  rules: RulesEngine;
  escalation: Escalation;
  followUp: FollowUp;
  callbacks: CallbackService;
  alertCommands: AlertCommands;
  load: LoadShedder;
}

export interface PipelineContext {
  adminPassword: string | undefined;
  rulesSnapshot: RulesSnapshotStore;
  now(): number;
  log: Logger;
  /** Only a hub that completed its start saves rule state at stop: a failed start must not refresh a stale snapshot. */
  completedStart(): boolean;
  onReplayed(lines: number): void;
  /** The first admin was created; `generatedPassword` when it was generated (printed once). */
  onFirstAdmin(generatedPassword: string | undefined): void;
  /**
   * HUB_PARTITIONS=spread: every node runs this pipeline, acting for the
   * partitions its leases give it. Their rule state and silences come with
   * each partition (partition-hand-over.ts), not from the one snapshot, and
   * the first admin is the leader's (`firstAdmin`), once it holds the lock.
   */
  spread?: boolean;
}

/** The services that rebuild their state from the journal, in replay order (also what bench/takeover-replay.ts replays into). */
export type ReplayingParts = Pick<PipelineParts, 'outbox' | 'audit' | 'commissioning' | 'seqWindow' | 'alerts' | 'callbackStore' | 'drills'>;

export function journalReplayers(hub: ReplayingParts): JournalReplayer[] {
  return [
    hub.outbox,
    hub.audit,
    hub.commissioning,
    // A retransmission after a restart must still be recognised as a duplicate.
    { replay: (entry) => hub.seqWindow.replay(deviceMessageKeyOf(entry.type, entry.data)) },
    hub.alerts,
    hub.callbackStore,
    hub.drills,
  ];
}

/** One journal line to every replayer, in order. */
export function replayInto(replayers: readonly JournalReplayer[]): (entry: JournalEntry) => void {
  return (entry) => {
    for (const replayer of replayers) replayer.replay(entry);
  };
}

export function pipelineServices(hub: PipelineParts, ctx: PipelineContext): Service[] {
  const replayers = journalReplayers(hub);
  let adminPassword: FirstAdminPassword | undefined;
  let restored: PipelineSnapshot | undefined;
  return [
    // First: on a cluster standby, opening the journal is the wait for leadership. Everything
    // after it loads what the previous leader wrote up to the moment this node took over.
    step('journal', () => openJournal(hub.journal, replayers, ctx), () => hub.journal.close()),
    // An empty hub's first admin: hashed while the steps below start, written once they have.
    step('first admin password', () => void (adminPassword = hashFirstAdminPassword(hub.registry, ctx.adminPassword))),
    named('sessions', hub.sessions),
    named('visits', hub.visitStore),
    named('notifications', hub.notify),
    named('device config', hub.deviceConfig), // before the watchdogs: they use the confirmed intervals
    // Taken (read and removed) once; closed last, after the rules' stop saved the next one.
    step('pipeline snapshot', async () => void (restored = ctx.spread ? undefined : await ctx.rulesSnapshot.take(ctx.now())), () => ctx.rulesSnapshot.close()),
    step('presence', () => startPresence(hub, restored, ctx), () => hub.presence.stop()),
    named('alert locations', hub.locations), // before the rules: a raise sees the fix its own message carried
    step('rules', () => startRules(hub.rules, restored), () => stopRules(hub, ctx)),
    named('commissioning', hub.commissioning),
    named('escalation', hub.escalation),
    named('follow-up', hub.followUp),
    named('call-backs', hub.callbacks),
    named('command outbox', hub.outbox),
    named('alert commands', hub.alertCommands),
    named('load shedder', hub.load),
    ...(ctx.spread ? [] : [step('first admin', () => firstAdmin(hub, ctx, adminPassword))]),
  ];
}

/** An empty hub's first admin, created and audited (the leader's, which writes the home-less partition). */
export async function firstAdmin(hub: Pick<PipelineParts, 'registry' | 'audit'>, ctx: Pick<PipelineContext, 'onFirstAdmin' | 'adminPassword'>, hashed?: FirstAdminPassword): Promise<void> {
  ctx.onFirstAdmin(await ensureAdmin(hub.registry, hub.audit, hashed ?? hashFirstAdminPassword(hub.registry, ctx.adminPassword)));
}

/** Replays the journal into every replayer (a cluster node: while it stands by, then the rest once it holds the lock). */
async function openJournal(journal: JournalStore, replayers: JournalReplayer[], ctx: PipelineContext): Promise<void> {
  const lines = await journal.open(replayInto(replayers));
  ctx.onReplayed(lines);
  const tail = journal.standbyTail;
  if (tail) {
    const afterLock = { lines: tail.linesAfterLock, ms: Math.round(tail.replayAfterLockMs ?? 0) };
    ctx.log.info({ module: 'journal', followedWhileStandingBy: tail.lines, reads: tail.reads, replayedAfterLock: afterLock }, 'journal: writer lock taken; only the lines after those followed as a standby were replayed');
  }
}

/** What the pipeline saves at a clean stop and a cluster leader every 5 s: rule state and the watchdogs' silences at `savedAt`. */
export function pipelineSnapshot(hub: Pick<PipelineParts, 'rules' | 'presence'>, savedAt: number): PipelineSnapshot {
  return { ...hub.rules.snapshot(savedAt), ...hub.presence.checkpoint(savedAt) };
}

/** Every registered device watched: from the snapshot's silence when it has one (watchdog-checkpoint.ts), else afresh. */
function startPresence(hub: PipelineParts, restored: PipelineSnapshot | undefined, ctx: PipelineContext): void {
  const { resumed, fresh } = hub.presence.watchAll(hub.registry.listDevices(), restored, ctx.now());
  if (restored) ctx.log.info({ module: 'presence', resumed, fresh, snapshotAgeMs: ctx.now() - restored.savedAt }, 'device watchdogs resumed from the pipeline snapshot');
}

function startRules(rules: RulesEngine, restored: PipelineSnapshot | undefined): void {
  rules.start();
  if (restored) rules.restore(restored);
}

async function stopRules(hub: PipelineParts, ctx: PipelineContext): Promise<void> {
  if (ctx.completedStart() && !ctx.spread) {
    await ctx.rulesSnapshot.save(pipelineSnapshot(hub, ctx.now())).catch((err: unknown) => ctx.log.error({ err }, 'pipeline snapshot (rule state, watchdog silences) not saved'));
  }
  hub.rules.stop();
}
