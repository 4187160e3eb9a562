/**
 * Per-device offline detection: a device that says nothing for its timeout
 * (3 × its heartbeat interval) is declared offline. Hub-side timers, because
 * MQTT last wills arrive late or never (REFERENCES.md: Aedes #1061, #1021) —
 * zigbee2mqtt lib/extension/availability.ts does the same.
 *
 * Touching a device only records the time; the single timer per device is
 * re-armed lazily when it fires early. At thousands of messages per second
 * that saves a clearTimeout + setTimeout per message.
 *
 * A watch resumed from a checkpoint (issue 12, watchdog-checkpoint.ts) also
 * has a time before which it never fires: the reconnect grace after a
 * failover or a restart.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

interface Watched {
  timeoutMs: number;
  lastSeen: number;
  /** Silent or not, the device is not declared so before this time (a resumed watch's grace). */
  notBefore: number;
  timer: TimerHandle | undefined;
}

export class Watchdog {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly clock: Clock,
    private readonly onSilent: (deviceId: string, silentForMs: number) => void,
  ) {}

  /** Starts watching; the device has `timeoutMs` from `since` (default now) to say something. */
  watch(deviceId: string, timeoutMs: number, since = this.clock.now()): void {
    this.resume(deviceId, timeoutMs, since, Number.NEGATIVE_INFINITY);
  }

  /** Starts watching from a last sign of life `lastSeen`, but never declares the device silent before `notBefore`. */
  resume(deviceId: string, timeoutMs: number, lastSeen: number, notBefore: number): void {
    this.unwatch(deviceId);
    const entry: Watched = { timeoutMs, lastSeen, notBefore, timer: undefined };
    this.watched.set(deviceId, entry);
    this.arm(deviceId, entry);
  }

  /** Each watched device's last sign of life (for a checkpoint). */
  *lastSeenTimes(): IterableIterator<[deviceId: string, lastSeen: number]> {
    for (const [deviceId, entry] of this.watched) yield [deviceId, entry.lastSeen];
  }

  /** A sign of life. */
  touch(deviceId: string, at = this.clock.now()): void {
    const entry = this.watched.get(deviceId);
    if (!entry) return;
    entry.lastSeen = at;
    if (entry.timer === undefined) this.arm(deviceId, entry); // it had expired: watch again
  }

  /** Changes the allowed silence, keeping the last sign of life (a configured heartbeat interval). */
  retime(deviceId: string, timeoutMs: number): void {
    const entry = this.watched.get(deviceId);
    if (!entry) return;
    entry.timeoutMs = timeoutMs;
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    this.arm(deviceId, entry);
  }

  unwatch(deviceId: string): void {
    const entry = this.watched.get(deviceId);
    if (entry?.timer !== undefined) this.clock.clearTimeout(entry.timer);
    this.watched.delete(deviceId);
  }

  isWatching(deviceId: string): boolean {
    return this.watched.has(deviceId);
  }

  stop(): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
  }

  private arm(deviceId: string, entry: Watched): void {
    const due = Math.max(entry.lastSeen + entry.timeoutMs, entry.notBefore) - this.clock.now();
    entry.timer = this.clock.setTimeout(() => this.check(deviceId, entry), Math.max(due, 0));
  }

  private check(deviceId: string, entry: Watched): void {
    entry.timer = undefined;
    if (this.watched.get(deviceId) !== entry) return;
    const now = this.clock.now();
    const silentFor = now - entry.lastSeen;
    if (silentFor >= entry.timeoutMs && now >= entry.notBefore) {
      this.onSilent(deviceId, silentFor);
    } else {
      this.arm(deviceId, entry);
    }
  }
}
