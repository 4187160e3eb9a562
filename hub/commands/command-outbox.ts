/**
 * The command outbox (issue 10): every hub → device command is kept, per
 * device and durably, until the device confirms it. Before, a command was
 * published once to whoever was subscribed at that instant — nobody, for a
 * bracelet that had just dropped its connection — and recorded as sent.
 *
 * - `enqueue` writes `command.queued` to the journal; the command goes out
 *   only once that line is on disk, and is replayed after a restart.
 * - It is sent when the device is subscribed to its `cmd` topic, and again at
 *   every (re)subscribe until confirmed (devices use clean sessions: the
 *   broker forgets them on every disconnect). One command in flight per
 *   device, so the device's next PUBACK is this command's: Aedes does not say
 *   which packet a clean-session client acknowledged.
 * - delivered = the device PUBACKed it (`command.delivered`); confirmed = its
 *   `cmd_ack` event (`command.confirmed`); expired = withdrawn before that.
 *
 * Self-contained: it replays its own `command.*` lines (`replay`).
 *
 * Owned (issue 12 step 3, docs/CLUSTER.md "Step 3, service by service"):
 * every node replays every `command.*` line, so every node's book holds every
 * command, but only the owner of the device's home's partition (`ownership`)
 * queues, sends, retries, expires or confirms it — every line it writes is of
 * that partition, fenced by the owner's lease. Links (which device is
 * subscribed, here or through the command relay) are kept on every node:
 * they are facts about the broker, not work. A partition gained: its open
 * commands get their expiry timers and are sent again to their devices
 * subscribed now (devices already take a command again at every subscribe
 * until they confirm it). A partition lost: their timers stop, a command in
 * flight is no longer waited for (a late PUBACK is not recorded here), and
 * nothing is written: the next owner carries on from the journal.
 */
import { randomBytes } from 'node:crypto';
import type { CommandBody, DeviceCommand } from '../../devices/commands.js';
import type { JournalWriter } from '../alerts/alert-store.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { DomainError } from '../core/errors.js';
import { OWNS_EVERYTHING, type PartitionOwnership, unlessNotOwnedHere } from '../core/partition-ownership.js';
import { partitionOf } from '../core/partitions.js';
import type { EventBus } from '../core/event-bus.js';
import type { CommandAck, HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { JournalEntry } from '../storage/journal.js';
import { CommandBook, COMMAND_RECORD_TYPES, isOpen, type CommandRecordData, type CommandRecordType, type CommandView, type ExpiryReason } from './command-book.js';

/** A device that has not PUBACKed a command by then is sent the next one (this one waits for the next subscribe). */
export const ACK_TIMEOUT_MS = 30_000;

export interface CommandTransport {
  /** Publishes on the device's cmd topic with QoS 1; resolves once the broker has written it. */
  sendCommand(deviceId: string, command: DeviceCommand): Promise<void>;
}

export interface CommandOutboxDeps {
  journal: JournalWriter;
  /** The device's home, for the journal line's partition (absent: lines of no home) and whose command it is to send. */
  homeOfDevice?: (deviceId: string) => string | undefined;
  /**
   * Whose homes' devices this node commands (issue 12 step 3); default: every
   * home's (a hub alone, the leader). A device of no known home is the
   * home-less partition's (a node with a share of the homes only: not its).
   */
  ownership?: PartitionOwnership | undefined;
  bus: EventBus<HubEvents>;
  transport: CommandTransport;
  clock: Clock;
  log: Logger;
  newCmdId?: () => string;
}

export interface EnqueueOptions {
  actor: string;
  alertId?: string | undefined;
  /** Withdrawn (`ttl`) if not confirmed within this time. */
  ttlMs?: number | undefined;
}

/** One device session subscribed to its cmd topic. */
interface Link {
  /** The broker's client object: acks and disconnects of an older session are ignored. */
  session: object;
  qos: number;
  inFlight: string | undefined;
  ackTimer: TimerHandle | undefined;
  /** Commands sent in this session: each goes once per subscribe. */
  sent: Set<string>;
}

const newCmdId = () => `cmd-${randomBytes(8).toString('hex')}`;

export class CommandOutbox {
  private readonly book = new CommandBook();
  private readonly links = new Map<string, Link>();
  private readonly expiryTimers = new Map<string, TimerHandle>();
  /** Queued live but not yet on disk: not sent until it is. */
  private readonly notDurable = new Set<string>();
  private unsubscribe: (() => void)[] = [];
  private running = false;
  private readonly ownership: PartitionOwnership;

  constructor(private readonly deps: CommandOutboxDeps) {
    this.ownership = deps.ownership ?? OWNS_EVERYTHING;
  }

  /** The partition of the device's home now (the registry's answer), or the home-less one. */
  partitionOfDevice(deviceId: string): number {
    return partitionOf(this.deps.homeOfDevice?.(deviceId));
  }

  /** Whether this node sends the device's commands: it owns the device's home's partition. */
  ownsDevice(deviceId: string): boolean {
    return this.ownership.ownsPartition(this.partitionOfDevice(deviceId));
  }

  /** Replays one journal line at start; false if it is not one of the outbox's. */
  replay(entry: JournalEntry): boolean {
    if (!COMMAND_RECORD_TYPES.has(entry.type)) return false;
    this.book.apply(entry.at, entry.type as CommandRecordType, entry.data as never);
    return true;
  }

  start(): void {
    for (const command of this.book.open()) if (this.ownsDevice(command.deviceId)) this.armExpiry(command);
    this.unsubscribe = [
      this.deps.bus.on('device.cmd_ack', (ack) => this.confirm(ack)),
      this.ownership.onGained((partitions) => this.gain(partitions)),
      this.ownership.onLost((partitions) => this.lose(partitions)),
    ];
    this.running = true;
  }

  stop(): void {
    this.running = false;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const timer of this.expiryTimers.values()) this.deps.clock.clearTimeout(timer);
    this.expiryTimers.clear();
    for (const link of this.links.values()) this.settle(link);
    this.links.clear();
  }

  /** Throws `unavailable` (nothing queued, nothing written) for a device of a home another node owns: the request belongs there. */
  enqueue(deviceId: string, body: CommandBody, options: EnqueueOptions): { command: CommandView; durable: Promise<CommandView> } {
    if (!this.ownsDevice(deviceId)) {
      throw new DomainError('unavailable', `device ${deviceId}: its home (partition ${this.partitionOfDevice(deviceId)}) is served by another node of the cluster; send the command there`);
    }
    const cmdId = (this.deps.newCmdId ?? newCmdId)();
    // A newer interval replaces one the device has not confirmed yet: only the last one matters.
    if (body.cmd === 'configure') for (const old of this.book.open(deviceId)) if (old.cmd === 'configure') this.expire(old.cmdId, 'superseded');
    // Key order cmd, cmdId, then the rest: what device makers read first.
    const command = Object.assign({ cmd: body.cmd, cmdId }, body) as DeviceCommand;
    const expiresAt = options.ttlMs === undefined ? undefined : new Date(this.deps.clock.now() + options.ttlMs).toISOString();
    this.notDurable.add(cmdId);
    const { view, durable } = this.record('command.queued', { cmdId, deviceId, command, alertId: options.alertId, actor: options.actor, expiresAt });
    this.armExpiry(view);
    const sent = durable.then((snapshot) => {
      this.notDurable.delete(cmdId);
      this.pump(deviceId);
      return snapshot;
    });
    return { command: { ...view }, durable: sent };
  }

  /** Withdraws an open command (superseded, its alert resolved, too old); a no-op otherwise. */
  expire(cmdId: string, reason: ExpiryReason): void {
    const view = this.book.get(cmdId);
    if (!view || !isOpen(view) || !this.ownsDevice(view.deviceId)) return;
    this.record('command.expired', { cmdId, deviceId: view.deviceId, reason });
    this.finish(view);
  }

  get(cmdId: string): CommandView | undefined {
    const view = this.book.get(cmdId);
    return view && { ...view };
  }

  /** The device's commands, newest first. */
  forDevice(deviceId: string): CommandView[] {
    return this.book.forDevice(deviceId).map((c) => ({ ...c })).reverse();
  }

  /** Open commands (of one device, or all), oldest first. */
  open(deviceId?: string): CommandView[] {
    return this.book.open(deviceId).map((c) => ({ ...c }));
  }

  /** Whether the device is subscribed to its cmd topic right now. */
  reachable(deviceId: string): boolean {
    return this.links.has(deviceId);
  }

  // ── broker events ─────────────────────────────────────────────────────────

  /** The device subscribed to its cmd topic (after the SUBACK): send it everything still open. */
  subscribed(deviceId: string, qos: number, session: object): void {
    const previous = this.links.get(deviceId);
    if (previous) this.settle(previous);
    this.links.set(deviceId, { session, qos, inFlight: undefined, ackTimer: undefined, sent: new Set() });
    this.pump(deviceId);
  }

  /** The device PUBACKed a QoS 1 packet: the command in flight to it. */
  acked(deviceId: string, session: object): void {
    const link = this.links.get(deviceId);
    if (!link || link.session !== session || link.inFlight === undefined) return;
    const cmdId = link.inFlight;
    this.settle(link);
    this.markDelivered(cmdId);
    this.pump(deviceId);
  }

  /** The session unsubscribed or closed. */
  gone(deviceId: string, session: object): void {
    const link = this.links.get(deviceId);
    if (!link || link.session !== session) return;
    this.settle(link);
    this.links.delete(deviceId);
  }

  // ── partitions gained and lost (issue 12 step 3) ─────────────────────────

  /** Open commands of the gained homes: expiry armed, and sent again to their devices subscribed now. */
  private gain(partitions: readonly number[]): void {
    if (!this.running) return;
    const gained = new Set(partitions);
    const devices = new Set<string>();
    for (const command of this.book.open()) {
      if (!gained.has(this.partitionOfDevice(command.deviceId))) continue;
      if (!this.expiryTimers.has(command.cmdId)) this.armExpiry(command);
      devices.add(command.deviceId);
    }
    for (const deviceId of devices) {
      const link = this.links.get(deviceId);
      if (!link) continue;
      // Whatever this node sent it before is no proof it arrived: the last owner may have been sending since.
      link.sent.clear();
      this.pump(deviceId);
    }
  }

  /** The lost homes' commands: no timers, nothing waited for, nothing written. */
  private lose(partitions: readonly number[]): void {
    const lost = new Set(partitions);
    for (const command of this.book.open()) {
      if (!lost.has(this.partitionOfDevice(command.deviceId))) continue;
      const timer = this.expiryTimers.get(command.cmdId);
      if (timer !== undefined) this.deps.clock.clearTimeout(timer);
      this.expiryTimers.delete(command.cmdId);
    }
    for (const [deviceId, link] of this.links) if (lost.has(this.partitionOfDevice(deviceId))) this.settle(link);
  }

  // ── internals ─────────────────────────────────────────────────────────────

  private record<T extends CommandRecordType>(type: T, data: CommandRecordData[T]): { view: CommandView; durable: Promise<CommandView> } {
    const { entry, durable } = this.deps.journal.append(type, data, this.deps.homeOfDevice?.(data.deviceId));
    const view = this.book.apply(entry.at, type, data);
    if (!view) throw new Error(`journal line ${type} changed no command`);
    const snapshot = { ...view };
    this.deps.bus.emit('command.changed', snapshot);
    const done = durable.then(() => snapshot);
    done.catch((err: unknown) => this.deps.log.error({ err, cmdId: data.cmdId, type }, 'command change not stored: journal write failed'));
    return { view, durable: done };
  }

  private confirm(ack: CommandAck): void {
    const view = this.book.get(ack.cmdId);
    // A device can confirm only its own commands; a repeat or a late confirmation changes nothing.
    if (!view || view.deviceId !== ack.deviceId) {
      this.deps.log.debug({ deviceId: ack.deviceId, cmdId: ack.cmdId.slice(0, 64) }, 'cmd_ack for an unknown command');
      return;
    }
    if (!isOpen(view)) return;
    // The owner records it (a device's events reach its home's owner); a line from here would be of a partition this node does not hold.
    if (!this.ownsDevice(view.deviceId)) return;
    this.record('command.confirmed', { cmdId: view.cmdId, deviceId: view.deviceId });
    this.finish(view);
  }

  private markDelivered(cmdId: string): void {
    const view = this.book.get(cmdId);
    if (view?.state === 'pending' && this.ownsDevice(view.deviceId)) this.record('command.delivered', { cmdId, deviceId: view.deviceId });
  }

  /** A confirmed or withdrawn command: no timer, and no longer waited for. */
  private finish(view: CommandView): void {
    const timer = this.expiryTimers.get(view.cmdId);
    if (timer !== undefined) this.deps.clock.clearTimeout(timer);
    this.expiryTimers.delete(view.cmdId);
    const link = this.links.get(view.deviceId);
    if (link?.inFlight === view.cmdId) {
      this.settle(link);
      this.pump(view.deviceId);
    }
  }

  /** Sends the device's next open command of this session, if none is in flight. */
  private pump(deviceId: string): void {
    const link = this.links.get(deviceId);
    if (!link || link.inFlight !== undefined || !this.running || !this.ownsDevice(deviceId)) return;
    const next = this.book.open(deviceId).find((c) => !link.sent.has(c.cmdId) && !this.notDurable.has(c.cmdId));
    if (!next) return;
    const { cmdId } = next;
    link.sent.add(cmdId);
    link.inFlight = cmdId;
    if (link.qos > 0) {
      link.ackTimer = this.deps.clock.setTimeout(() => this.moveOn(link, cmdId), ACK_TIMEOUT_MS);
    }
    this.deps.transport.sendCommand(deviceId, next.command).then(
      () => {
        // A QoS 0 subscription gets no PUBACK: written is all the hub can know.
        if (link.qos === 0 && link.inFlight === cmdId) {
          this.settle(link);
          this.markDelivered(cmdId);
          this.pump(deviceId);
        }
      },
      (err: unknown) => {
        this.deps.log.warn({ err, deviceId, cmdId }, 'command not published; it waits for the next subscribe');
        this.moveOn(link, cmdId);
      },
    );
  }

  private moveOn(link: Link, cmdId: string): void {
    if (link.inFlight !== cmdId) return;
    this.settle(link);
    const deviceId = this.book.get(cmdId)?.deviceId;
    if (deviceId && this.links.get(deviceId) === link) this.pump(deviceId);
  }

  private settle(link: Link): void {
    if (link.ackTimer !== undefined) this.deps.clock.clearTimeout(link.ackTimer);
    link.ackTimer = undefined;
    link.inFlight = undefined;
  }

  private armExpiry(view: CommandView): void {
    if (!view.expiresAt || !isOpen(view)) return;
    const due = Date.parse(view.expiresAt) - this.deps.clock.now();
    const timer = this.deps.clock.setTimeout(
      unlessNotOwnedHere(() => {
        this.expiryTimers.delete(view.cmdId);
        this.expire(view.cmdId, 'ttl');
      }),
      Math.max(0, due),
    );
    this.expiryTimers.set(view.cmdId, timer);
  }
}
