/**
 * The state of every command the hub has queued for a device (issue 10),
 * rebuilt from the outbox's own journal lines by one pure reducer — the same
 * one live and on replay, like the alert reducer — so a restarted hub still
 * knows what each device has not yet confirmed.
 *
 * A command moves pending → delivered (the device's PUBACK) → confirmed (its
 * `cmd_ack`), or to expired (withdrawn) from any open state. States only move
 * forward; a line that would move one back changes nothing.
 */
import type { CommandName, DeviceCommand } from '../../devices/commands.js';

export const COMMAND_STATES = ['pending', 'delivered', 'confirmed', 'expired'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

/** Why a command was withdrawn before the device confirmed it. */
export const EXPIRY_REASONS = ['superseded', 'alert_resolved', 'ttl'] as const;
export type ExpiryReason = (typeof EXPIRY_REASONS)[number];

export interface CommandView {
  cmdId: string;
  deviceId: string;
  cmd: CommandName;
  /** Exactly what the device receives, `cmdId` included. */
  command: DeviceCommand;
  /** The alert it was sent for (help_coming, silence). */
  alertId?: string | undefined;
  /** Who asked: `user:<name>` or `system` (a fallback). */
  actor: string;
  state: CommandState;
  queuedAt: string;
  deliveredAt?: string | undefined;
  confirmedAt?: string | undefined;
  expiredAt?: string | undefined;
  expiryReason?: ExpiryReason | undefined;
  /** Withdrawn at this time if not confirmed by then. */
  expiresAt?: string | undefined;
}

export interface CommandRecordData {
  'command.queued': { cmdId: string; deviceId: string; command: DeviceCommand; alertId?: string | undefined; actor: string; expiresAt?: string | undefined };
  'command.delivered': { cmdId: string; deviceId: string };
  'command.confirmed': { cmdId: string; deviceId: string };
  'command.expired': { cmdId: string; deviceId: string; reason: ExpiryReason };
}
export type CommandRecordType = keyof CommandRecordData;

export const COMMAND_RECORD_TYPES = new Set<string>(['command.queued', 'command.delivered', 'command.confirmed', 'command.expired'] satisfies CommandRecordType[]);

/** Finished commands kept per device for the console; open ones are always kept. */
const FINISHED_KEPT = 20;

export function isOpen(command: CommandView): boolean {
  return command.state === 'pending' || command.state === 'delivered';
}

export class CommandBook {
  private readonly byId = new Map<string, CommandView>();
  /** deviceId → its commands, oldest first. */
  private readonly byDevice = new Map<string, CommandView[]>();

  /** Applies one line; returns the command it changed, or undefined if it changed nothing. */
  apply<T extends CommandRecordType>(at: string, type: T, raw: CommandRecordData[T]): CommandView | undefined {
    if (type === 'command.queued') {
      const d = raw as CommandRecordData['command.queued'];
      if (this.byId.has(d.cmdId)) return undefined;
      const view: CommandView = { cmdId: d.cmdId, deviceId: d.deviceId, cmd: d.command.cmd, command: d.command, alertId: d.alertId, actor: d.actor, state: 'pending', queuedAt: at, expiresAt: d.expiresAt };
      this.byId.set(view.cmdId, view);
      const list = this.byDevice.get(view.deviceId) ?? [];
      list.push(view);
      this.byDevice.set(view.deviceId, list);
      this.trim(view.deviceId);
      return view;
    }
    const view = this.byId.get((raw as { cmdId: string }).cmdId);
    if (!view || !isOpen(view)) return undefined;
    if (type === 'command.delivered') {
      if (view.state !== 'pending') return undefined;
      view.state = 'delivered';
      view.deliveredAt = at;
    } else if (type === 'command.confirmed') {
      view.state = 'confirmed';
      view.deliveredAt ??= at; // a cmd_ack proves delivery even if the PUBACK was never seen
      view.confirmedAt = at;
    } else {
      view.state = 'expired';
      view.expiredAt = at;
      view.expiryReason = (raw as CommandRecordData['command.expired']).reason;
    }
    this.trim(view.deviceId);
    return view;
  }

  get(cmdId: string): CommandView | undefined {
    return this.byId.get(cmdId);
  }

  /** The device's commands, oldest first (open ones and the last few finished). */
  forDevice(deviceId: string): readonly CommandView[] {
    return this.byDevice.get(deviceId) ?? [];
  }

  /** Commands not yet confirmed or withdrawn, oldest first. */
  open(deviceId?: string): CommandView[] {
    const lists = deviceId === undefined ? [...this.byDevice.values()] : [this.forDevice(deviceId)];
    return lists.flatMap((list) => list.filter(isOpen));
  }

  private trim(deviceId: string): void {
    const list = this.byDevice.get(deviceId);
    if (!list) return;
    let finished = list.filter((c) => !isOpen(c)).length;
    if (finished <= FINISHED_KEPT) return;
    const kept = list.filter((c) => {
      if (isOpen(c) || finished <= FINISHED_KEPT) return true;
      finished--;
      this.byId.delete(c.cmdId);
      return false;
    });
    this.byDevice.set(deviceId, kept);
  }
}
