/**
 * Commands sent for an alert (issue 10): "help is coming" when an operator
 * takes an SOS or a fall, and "silence" for a siren. They go through the
 * command outbox, so a bracelet that is offline gets them when it is back;
 * each state change of such a command is mirrored on the alert as an
 * `alert.command_updated` line, so the console shows pending → delivered →
 * confirmed and the alert's audit trail holds it.
 *
 * help_coming goes to the bracelet that raised the alarm. If that one has not
 * confirmed after 30 s — or at once when it is not connected — it also goes
 * to the home's other bracelets. A critical alert none of them confirmed
 * within 60 s is flagged (`alert.help_unconfirmed`) so the operator knows the
 * resident may not know help is coming. Both timers run from the first
 * help_coming's `queuedAt`, so a restart re-arms them with the time left.
 *
 * Owned (issue 12 step 3): only the owner of the alert's home's partition
 * (`ownership`) sends, mirrors, falls back, flags or withdraws; its timers
 * are armed for owned homes only, re-armed from `queuedAt` for a partition
 * gained (as at a start: the time left, or at once) and cancelled for one
 * lost, without a line.
 */
import { findDeviceKind } from '../../devices/catalog.js';
import type { Alert } from '../alerts/alert.js';
import type { AlertStore } from '../alerts/alert-store.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { OWNS_EVERYTHING, type PartitionOwnership, unlessNotOwnedHere } from '../core/partition-ownership.js';
import { partitionOfHome } from '../core/partitions.js';
import type { DeviceRecord } from '../registry/records.js';
import type { CommandView } from './command-book.js';
import type { CommandOutbox } from './command-outbox.js';

/** Without a confirmation from the alarm's bracelet by then, the home's other bracelets get it too. */
export const HELP_FALLBACK_MS = 30_000;
/** Without any confirmation by then, a critical alert says so. */
export const HELP_CONFIRM_MS = 60_000;
/** Hours later "help is coming" would mislead: withdrawn if never delivered by then. */
export const HELP_COMING_TTL_MS = 60 * 60_000;
export const SILENCE_TTL_MS = 10 * 60_000;

export type AlertCommandName = 'help_coming' | 'silence';

export interface AlertCommandsDeps {
  store: AlertStore;
  outbox: CommandOutbox;
  bus: EventBus<HubEvents>;
  clock: Clock;
  registry: { listDevices(homeId: string): DeviceRecord[] };
  /** Resolves once everything appended so far is on disk. */
  whenDurable(): Promise<void>;
  log: Logger;
  /** Whose homes' alerts this node commands for (issue 12 step 3); default: every home's (a hub alone, the leader). */
  ownership?: PartitionOwnership | undefined;
}

export class AlertCommands {
  /** alertId → its fallback and confirmation timers. */
  private readonly timers = new Map<string, TimerHandle[]>();
  private unsubscribe: (() => void)[] = [];
  private readonly ownership: PartitionOwnership;

  constructor(private readonly deps: AlertCommandsDeps) {
    this.ownership = deps.ownership ?? OWNS_EVERYTHING;
  }

  start(): void {
    const { bus } = this.deps;
    this.unsubscribe = [
      bus.on('command.changed', (command) => this.mirror(command)),
      bus.on('alert.transition', ({ alert, change }) => {
        if (change === 'resolved' && this.ownership.owns(alert.homeId)) this.withdraw(alert.id);
      }),
      this.ownership.onGained((partitions) => this.rearm(new Set(partitions))),
      this.ownership.onLost((partitions) => this.disarmPartitions(new Set(partitions))),
    ];
    this.rearm();
  }

  /** The timers of unresolved alerts with an unconfirmed help_coming, from its `queuedAt`: of every owned home, or of the partitions just gained. */
  private rearm(gained?: ReadonlySet<number>): void {
    for (const alert of this.deps.store.list({ unresolved: true })) {
      if (gained ? !gained.has(partitionOfHome(alert.homeId)) : !this.ownership.owns(alert.homeId)) continue;
      const first = helpComings(alert)[0];
      if (first && !anyConfirmed(alert)) this.arm(alert.id, Date.parse(first.queuedAt));
    }
  }

  private disarmPartitions(lost: ReadonlySet<number>): void {
    for (const alertId of [...this.timers.keys()]) {
      const homeId = this.deps.store.get(alertId)?.homeId;
      if (homeId === undefined || lost.has(partitionOfHome(homeId))) this.disarm(alertId);
    }
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const alertId of [...this.timers.keys()]) this.disarm(alertId);
  }

  /** Queues a command for the alert's device; returns once its lines are on disk. */
  async send(alert: Alert, actor: string, command: AlertCommandName): Promise<void> {
    const deviceId = alert.deviceId;
    if (!deviceId) return;
    if (!this.ownership.owns(alert.homeId)) {
      // The operator's action reached a node that does not serve the home: its owner sends (nothing queued or written here).
      this.deps.log.warn({ alertId: alert.id, homeId: alert.homeId, command }, 'device command not sent from this node: another node serves the home');
      return;
    }
    if (command === 'silence') {
      this.deps.outbox.enqueue(deviceId, { cmd: 'silence' }, { actor, alertId: alert.id, ttlMs: SILENCE_TTL_MS });
    } else {
      this.sendHelp(alert, deviceId, actor);
      // The alarm's bracelet is not connected: the others need not wait 30 s for it.
      if (!this.deps.outbox.reachable(deviceId)) this.fallBack(alert.id);
      this.arm(alert.id, this.deps.clock.now());
    }
    await this.deps.whenDurable();
  }

  private sendHelp(alert: Alert, deviceId: string, actor: string): void {
    this.deps.outbox.enqueue(deviceId, { cmd: 'help_coming', alertId: alert.id }, { actor, alertId: alert.id, ttlMs: HELP_COMING_TTL_MS });
  }

  /** The outbox's change, as a line of the alert it belongs to. */
  private mirror(command: CommandView): void {
    if (!command.alertId) return;
    const alert = this.deps.store.get(command.alertId);
    if (!alert || !this.ownership.owns(alert.homeId)) return;
    const actor = command.state === 'pending' ? command.actor : command.state === 'confirmed' ? `device:${command.deviceId}` : 'system';
    this.deps.store.record('alert.command_updated', {
      alertId: alert.id,
      actor,
      cmdId: command.cmdId,
      deviceId: command.deviceId,
      command: command.cmd,
      state: command.state,
      reason: command.expiryReason,
    });
    if (command.state === 'confirmed' && command.cmd === 'help_coming') this.disarm(alert.id);
  }

  private arm(alertId: string, firstSentAt: number): void {
    this.disarm(alertId);
    const { clock } = this.deps;
    const at = (due: number) => Math.max(0, due - clock.now());
    this.timers.set(alertId, [
      clock.setTimeout(unlessNotOwnedHere(() => this.fallBack(alertId)), at(firstSentAt + HELP_FALLBACK_MS)),
      clock.setTimeout(unlessNotOwnedHere(() => this.flagUnconfirmed(alertId)), at(firstSentAt + HELP_CONFIRM_MS)),
    ]);
  }

  private disarm(alertId: string): void {
    for (const timer of this.timers.get(alertId) ?? []) this.deps.clock.clearTimeout(timer);
    this.timers.delete(alertId);
  }

  /** help_coming to every other bracelet of the home that has not had it for this alert. */
  private fallBack(alertId: string): void {
    const alert = this.deps.store.get(alertId);
    if (!alert || alert.status === 'resolved' || anyConfirmed(alert) || !this.ownership.owns(alert.homeId)) return;
    const had = new Set(helpComings(alert).map((c) => c.deviceId));
    const others = this.deps.registry
      .listDevices(alert.homeId)
      .filter((d) => !d.revokedAt && !had.has(d.id) && findDeviceKind(d.kind)?.commands.has('help_coming'));
    for (const device of others) this.sendHelp(alert, device.id, 'system');
    if (others.length > 0) this.deps.log.info({ alertId, to: others.map((d) => d.id) }, 'help_coming not confirmed by the alarm bracelet: sent to the other bracelets');
  }

  private flagUnconfirmed(alertId: string): void {
    this.timers.delete(alertId);
    const alert = this.deps.store.get(alertId);
    if (!alert || alert.status === 'resolved' || alert.severity !== 'critical' || alert.flags.helpUnconfirmed || anyConfirmed(alert) || !this.ownership.owns(alert.homeId)) return;
    this.deps.store.record('alert.help_unconfirmed', { alertId });
  }

  /** A resolved alert's commands that never arrived are withdrawn: hours later they would mislead. */
  private withdraw(alertId: string): void {
    this.disarm(alertId);
    for (const command of this.deps.outbox.open()) if (command.alertId === alertId) this.deps.outbox.expire(command.cmdId, 'alert_resolved');
  }
}

function helpComings(alert: Alert) {
  return (alert.commands ?? []).filter((c) => c.command === 'help_coming').sort((a, b) => a.queuedAt.localeCompare(b.queuedAt));
}

function anyConfirmed(alert: Alert): boolean {
  return helpComings(alert).some((c) => c.state === 'confirmed');
}
