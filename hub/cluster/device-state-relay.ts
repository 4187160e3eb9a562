/**
 * Devices' live state on every node (issue 12 step 3, docs/CLUSTER.md "Step
 * 3, the wiring still to do" item 5). With HUB_PARTITIONS=spread a device's
 * messages are ingested, and its watchdog runs, only on its home's owner;
 * every node applies every journal line, but online/offline, last seen,
 * battery, last values and readings lived only in the owner's
 * DeviceStateStore, so a console's stream and the API on any other node
 * missed them. This relay carries them over the cluster's Redis bus (the
 * mqemitter-redis Aedes routes through: no connection of its own):
 *
 * - **Owners publish.** It listens to this node's own bus (`device.signal`,
 *   `device.status`, `device.cmd_ack`) and marks the device; a change for a
 *   home this node does not own (`PartitionOwnership.owns`) is not marked.
 *   Marks are coalesced for `windowMs` (250 ms): one flush sends each marked
 *   device's state as the store has it then, its newest readings of the
 *   window (at most MAX_READINGS; when more came, its whole `lastValues` too)
 *   and every online/offline change of the window, in order — a device that
 *   went offline and back within the window is seen doing both (what a
 *   window gathers and a flush sends of a device: device-state-outbox.ts).
 *   The devices of a flush share messages of at most CHUNK_CHARS
 *   (device-state-wire.ts):
 *   1,000 readings of one device in a burst are one message, and 10,000
 *   msg/s over 4,000 devices about 4 flushes a second of a few chunks each,
 *   not 10,000 publishes (measured, tests/device-state-relay.test.ts: one
 *   window of 2,500 readings over 4,000 devices, 7 messages, 347 KB).
 * - **Receivers apply for homes they do not own**, never for one they own
 *   (the owner's own state is never overwritten, whatever a late message
 *   says) nor their own messages (Redis echoes them). Last seen only moves
 *   forward; `online` follows the owner — no "older than" test on it, which
 *   would hide a new owner's offline verdict from a former owner that heard
 *   the device last (clocks and windows differ). Each change
 *   of `online` is emitted on this node's bus as `device.status` with
 *   `relayedFrom` (the stream server pushes it to consoles; the rules engine,
 *   the only other listener, acts only for owned homes), then
 *   `device.state_relayed`. `device.signal` and `device.connection` are NOT
 *   re-emitted: commissioning and alert locations listen to them without
 *   asking who owns the home, and would journal ticks and locations for
 *   another node's home.
 * - **A resync** every `resyncMs` (30 s): each owner publishes the compact
 *   state of every owned device it knows (no readings), chunked; also soon
 *   after a node starts (its `sync` asks every owner) and for the partitions
 *   a node gains (`onGained`: from then on the new owner's state is the one
 *   every node holds; it stops applying others' for those homes at once).
 *   A node that started late or lost messages converges within one period.
 *   Measured: 4,000 bracelets with the catalogue's example telemetry are
 *   800 KB, 200 chars a device, in 13 messages of at most 64 KiB.
 * - **Loss is allowed** (DESIGN.md §8: the next change or the resync
 *   replaces it): nothing is published while this node's Redis links are
 *   down (ioredis would queue it in memory), nor beyond MAX_IN_FLIGHT
 *   publishes not yet answered; both are counted.
 * - **Bad input** on the bus — not a string, oversized, not JSON, another
 *   version, failing the schema — is dropped, counted and logged
 *   (throttled); nothing received throws.
 *
 * Not carried: readings that arrive through the shed path under overload
 * (`Ingest.touch`: last seen only, no signal) and bad-payload counts travel
 * only with the next change or resync; the ring's history before a node
 * started is not sent (a resync carries the latest values, not 256
 * readings per device).
 */
import type { Message } from 'mqemitter';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { DeviceSignal, DeviceStatusChange, HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import type { PartitionOwnership } from '../core/partition-ownership.js';
import { partitionOfHome } from '../core/partitions.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import { addReading, addTransition, deltaOf, emptyPending, fullOf, type Pending } from './device-state-outbox.js';
import { decodeMessage, DEVICE_STATE_TOPIC, encodeDevice, packMessages, remoteStateOf, syncMessage, type WireDevice, type WireDrop } from './device-state-wire.js';

export const DEFAULT_WINDOW_MS = 250;
/**
 * A device whose window holds readings only (no online/offline change) is
 * sent at most this often: at 20,000 msg/s over 4,000 devices every device
 * changes in every 250 ms window, and relaying them all cost the spread mode
 * about 1.6x the leader mode's CPU (docs/PERFORMANCE.md). Status changes go
 * at the next window, always; readings wait (the newest kept,
 * device-state-outbox.ts).
 */
export const DEFAULT_READINGS_EVERY_MS = 2_000;
export const DEFAULT_RESYNC_MS = 30_000;
/** Publishes not yet answered by Redis beyond which a flush is dropped (counted), not queued. */
export const MAX_IN_FLIGHT = 64;

type Listener = (message: Message, done: () => void) => void;

/** The part of the cluster's shared bus the relay uses (the SplitEmitter Aedes routes through). */
export interface StateBus {
  on(topic: string, listener: Listener, done?: () => void): unknown;
  removeListener(topic: string, listener: Listener, done?: () => void): unknown;
  emit(message: Message, done?: (error?: Error) => void): void;
}

export interface DeviceStateRelayDeps {
  nodeId: string;
  /** This node's live device state: read for its own homes, written for the others'. */
  states: DeviceStateStore;
  /** This node's bus: its ingest and presence are heard on it, other owners' status changes emitted on it. */
  bus: EventBus<HubEvents>;
  ownership: PartitionOwnership;
  /** Whether this node reaches Redis now (RedisLinks.up); default: always. */
  connected?: () => boolean;
  clock?: Clock;
  log: Logger;
  windowMs?: number;
  /** How often a device with readings only is sent; DEFAULT_READINGS_EVERY_MS. */
  readingsEveryMs?: number;
  resyncMs?: number;
  /** Message size a flush aims at (tests make it small to see chunking). */
  chunkChars?: number;
}

/** Counters for /metrics and the tests. */
export interface DeviceStateRelayStats {
  /** Bus messages published (deltas, resyncs, syncs). */
  sentMessages: number;
  /** Device entries published. */
  sentDevices: number;
  /** Characters published (JSON text). */
  sentChars: number;
  /** Flushes or resyncs not published: Redis down, or too many publishes unanswered. */
  unsent: number;
  /** A device entry too large even without readings (never expected). */
  tooLarge: number;
  /** Valid messages from other nodes. */
  received: number;
  /** Device entries applied to this node's store. */
  applied: number;
  /** Entries for a home this node owns: ignored. */
  skippedOwned: number;
  /** Messages dropped unread or unapplied, by reason. */
  dropped: Record<WireDrop, number>;
}

export class DeviceStateRelay {
  readonly stats: DeviceStateRelayStats = {
    sentMessages: 0,
    sentDevices: 0,
    sentChars: 0,
    unsent: 0,
    tooLarge: 0,
    received: 0,
    applied: 0,
    skippedOwned: 0,
    dropped: { malformed: 0, oversized: 0, version: 0 },
  };
  private readonly pending = new Map<string, Pending>();
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly readingsEveryMs: number;
  /** When each device's last delta was sent (clock ms): readings-only deltas wait for readingsEveryMs after it. */
  private readonly sentAt = new Map<string, number>();
  private readonly resyncMs: number;
  private readonly logThrottle: Throttle;
  private mq: StateBus | undefined;
  private readonly listener: Listener = (packet, done) => {
    this.receive((packet as { state?: unknown }).state);
    done();
  };
  private off: (() => void)[] = [];
  private flushTimer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  /** A resync asked for (a sync, a gain): all partitions (`'all'`) or these. */
  private soon: Set<number> | 'all' | undefined;
  private soonTimer: TimerHandle | undefined;
  private inFlight = 0;

  constructor(private readonly deps: DeviceStateRelayDeps) {
    this.clock = deps.clock ?? systemClock;
    this.windowMs = deps.windowMs ?? DEFAULT_WINDOW_MS;
    this.readingsEveryMs = deps.readingsEveryMs ?? DEFAULT_READINGS_EVERY_MS;
    this.resyncMs = deps.resyncMs ?? DEFAULT_RESYNC_MS;
    this.logThrottle = new Throttle(10_000, () => this.clock.now());
  }

  /**
   * Starts on the cluster's bus (after the ClusterNode opened it, before the
   * pipeline's ingest and presence run): listens to this node's bus and the
   * other nodes, asks them for a resync once subscribed, and arms the
   * periodic resync.
   */
  start(mq: StateBus): void {
    if (this.mq) return;
    this.mq = mq;
    const { bus, ownership } = this.deps;
    mq.on(DEVICE_STATE_TOPIC, this.listener, () => {
      if (this.mq === mq) this.publish([syncMessage(this.deps.nodeId)], 0);
    });
    this.off = [
      bus.on('device.signal', (signal) => this.noteSignal(signal)),
      bus.on('device.status', (change) => this.noteStatus(change)),
      bus.on('device.cmd_ack', (ack) => this.noteHome(ack.deviceId, ack.homeId)),
      ownership.onGained((partitions) => this.resyncSoon(partitions)),
      ownership.onLost((partitions) => this.dropPending(partitions)),
    ];
    this.armResync();
  }

  /** Stops listening and publishing; what is pending is dropped (the new owner or the next start resyncs). */
  stop(): void {
    const mq = this.mq;
    this.mq = undefined;
    for (const off of this.off.splice(0)) off();
    for (const timer of [this.flushTimer, this.resyncTimer, this.soonTimer]) if (timer !== undefined) this.clock.clearTimeout(timer);
    this.flushTimer = this.resyncTimer = this.soonTimer = undefined;
    this.soon = undefined;
    this.pending.clear();
    // The bus may be closing already (Aedes closes it when the broker stops): nothing to undo then.
    try {
      mq?.removeListener(DEVICE_STATE_TOPIC, this.listener);
    } catch {
      /* closed with its subscriptions */
    }
  }

  /** Devices marked and not yet sent (tests, /metrics). */
  get pendingDevices(): number {
    return this.pending.size;
  }

  /**
   * Publishes what the window has gathered now (the window's timer calls it;
   * tests call it instead of waiting). Returns the messages published.
   */
  flush(): number {
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0 || !this.mq) return 0;
    const { states, ownership } = this.deps;
    const entries: string[] = [];
    const now = this.clock.now();
    for (const [deviceId, pending] of this.pending) {
      const state = states.get(deviceId);
      // Lost since it was marked: the new owner publishes it now.
      if (!state || !ownership.owns(state.homeId)) {
        this.pending.delete(deviceId);
        continue;
      }
      // Readings only, sent lately: kept for a later window (status changes never wait).
      if (pending.transitions.length === 0 && now - (this.sentAt.get(deviceId) ?? -Infinity) < this.readingsEveryMs) continue;
      this.pending.delete(deviceId);
      this.sentAt.set(deviceId, now);
      const entry = this.encode(deltaOf(state, pending));
      if (entry !== undefined) entries.push(entry);
    }
    if (this.pending.size > 0) this.armFlush();
    return this.publish(packMessages(this.deps.nodeId, 'delta', entries, this.deps.chunkChars), entries.length);
  }

  /**
   * Publishes the compact state (no readings) of every owned device this
   * node knows — of `partitions` only when given — chunked. Returns the
   * messages published.
   */
  resync(partitions?: Iterable<number>): number {
    if (!this.mq) return 0;
    const { states, ownership } = this.deps;
    const wanted = partitions === undefined ? undefined : new Set(partitions);
    const entries: string[] = [];
    for (const state of states.all()) {
      if (state.online === null && state.lastSeen === undefined) continue; // nothing known yet
      if (!ownership.owns(state.homeId)) continue;
      if (wanted && !wanted.has(partitionOfHome(state.homeId))) continue;
      const entry = this.encode(fullOf(state));
      if (entry !== undefined) entries.push(entry);
    }
    return this.publish(packMessages(this.deps.nodeId, 'resync', entries, this.deps.chunkChars), entries.length);
  }

  // ── this node's own changes ──────────────────────────────────────────────

  private noteSignal(signal: DeviceSignal): void {
    const pending = this.mark(signal.deviceId, signal.homeId);
    if (!pending || signal.channel !== 'telemetry') return;
    addReading(pending, signal.receivedAt, signal.payload as Record<string, unknown>);
  }

  private noteStatus(change: DeviceStatusChange): void {
    if (change.relayedFrom !== undefined) return; // another owner's, applied here: never sent back out
    const pending = this.mark(change.deviceId, change.homeId);
    if (!pending) return;
    addTransition(pending, change);
  }

  private noteHome(deviceId: string, homeId: string): void {
    this.mark(deviceId, homeId);
  }

  /** The device's pending entry when its home is this node's (and the relay runs); the window starts with the first. */
  private mark(deviceId: string, homeId: string): Pending | undefined {
    if (!this.mq || !this.deps.ownership.owns(homeId)) return undefined;
    let pending = this.pending.get(deviceId);
    if (!pending) {
      pending = emptyPending();
      this.pending.set(deviceId, pending);
    }
    this.armFlush();
    return pending;
  }

  /** The window's timer, if none runs. */
  private armFlush(): void {
    this.flushTimer ??= this.clock.setTimeout(() => {
      this.flushTimer = undefined;
      this.guard('flush', () => this.flush());
    }, this.windowMs);
  }

  private dropPending(partitions: readonly number[]): void {
    const lost = new Set(partitions);
    for (const deviceId of this.pending.keys()) {
      const homeId = this.deps.states.get(deviceId)?.homeId;
      if (homeId === undefined || lost.has(partitionOfHome(homeId))) this.pending.delete(deviceId);
    }
  }

  private encode(device: WireDevice): string | undefined {
    const entry = encodeDevice(device);
    if (entry === undefined) this.stats.tooLarge++;
    return entry;
  }

  /** Publishes the messages, unless Redis is down or too many publishes are unanswered (counted, dropped). */
  private publish(messages: string[], devices: number): number {
    const mq = this.mq;
    if (!mq || messages.length === 0) return 0;
    if (!(this.deps.connected?.() ?? true) || this.inFlight + messages.length > MAX_IN_FLIGHT) {
      this.stats.unsent++;
      return 0;
    }
    for (const state of messages) {
      this.inFlight++;
      this.stats.sentMessages++;
      this.stats.sentChars += state.length;
      mq.emit({ topic: DEVICE_STATE_TOPIC, state }, (err) => {
        this.inFlight--;
        if (err) this.warn('send', { err: err.message }, 'device state relay: message not sent');
      });
    }
    this.stats.sentDevices += devices;
    return messages.length;
  }

  // ── the resyncs ──────────────────────────────────────────────────────────

  private armResync(): void {
    this.resyncTimer = this.clock.setTimeout(() => {
      this.guard('resync', () => this.resync());
      if (this.mq) this.armResync();
    }, this.resyncMs);
  }

  /** A resync of these partitions (or all) after one window: several syncs or gains in a row make one. */
  private resyncSoon(partitions: readonly number[] | 'all'): void {
    if (!this.mq) return;
    if (partitions === 'all' || this.soon === 'all') this.soon = 'all';
    else {
      this.soon ??= new Set();
      for (const p of partitions) this.soon.add(p);
    }
    this.soonTimer ??= this.clock.setTimeout(() => {
      const soon = this.soon;
      this.soon = this.soonTimer = undefined;
      this.guard('resync', () => this.resync(soon === 'all' ? undefined : soon));
    }, this.windowMs);
  }

  // ── other nodes' messages ────────────────────────────────────────────────

  private receive(state: unknown): void {
    this.guard('receive', () => {
      const decoded = decodeMessage(state);
      if (!decoded.ok) {
        this.stats.dropped[decoded.drop]++;
        this.warn(`drop:${decoded.drop}`, { reason: decoded.drop, detail: decoded.detail }, 'device state relay: message dropped');
        return;
      }
      const message = decoded.message;
      if (message.node === this.deps.nodeId || !this.mq) return; // Redis echoes our own messages back
      this.stats.received++;
      if (message.t === 'sync') return this.resyncSoon('all');
      for (const device of message.devices) this.apply(device, message.node);
    });
  }

  private apply(device: WireDevice, from: string): void {
    const { states, ownership, bus } = this.deps;
    const local = states.get(device.d);
    // Never over the owner's own state: this node's, whatever the message thinks of the home.
    if (ownership.owns(device.h) || (local && ownership.owns(local.homeId))) {
      this.stats.skippedOwned++;
      return;
    }
    const changes = states.applyRemote(remoteStateOf(device));
    this.stats.applied++;
    for (const change of changes) bus.emit('device.status', { ...change, relayedFrom: from });
    bus.emit('device.state_relayed', { deviceId: device.d, homeId: device.h, from, readings: device.r?.length ?? 0 });
  }

  /** Runs a step of the relay; an error is logged (throttled), never thrown into a timer or the bus. */
  private guard(what: string, run: () => unknown): void {
    try {
      run();
    } catch (err) {
      this.warn(`fail:${what}`, { err }, `device state relay: ${what} failed`);
    }
  }

  private warn(key: string, fields: Record<string, unknown>, message: string): void {
    const passed = this.logThrottle.pass(key);
    if (passed) this.deps.log.warn({ ...fields, suppressedSinceLast: passed.suppressed }, message);
  }
}
