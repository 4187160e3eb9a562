/**
 * Per-device offline detection: a device that says nothing for its timeout
 * (3 × its heartbeat interval) is declared offline. Hub-side timers, because
 * MQTT last wills arrive late or never (REFERENCES.md: Aedes #1061, #1021) —
 * zigbee2mqtt lib/extension/availability.ts does the same.
 *
 * Touching a device only records the time; the single timer per device is
 * re-armed lazily when it fires early. At thousands of messages per second
 * that saves a clearTimeout + setTimeout per message.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

interface Watched {
  timeoutMs: number;
  lastSeen: number;
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
    this.unwatch(deviceId);
    const entry: Watched = { timeoutMs, lastSeen: since, timer: undefined };
    this.watched.set(deviceId, entry);
    this.arm(deviceId, entry);
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
    const due = entry.lastSeen + entry.timeoutMs - this.clock.now();
    entry.timer = this.clock.setTimeout(() => this.check(deviceId, entry), Math.max(due, 0));
  }

  private check(deviceId: string, entry: Watched): void {
    entry.timer = undefined;
    if (this.watched.get(deviceId) !== entry) return;
    const silentFor = this.clock.now() - entry.lastSeen;
    if (silentFor >= entry.timeoutMs) {
      this.onSilent(deviceId, silentFor);
    } else {
      this.arm(deviceId, entry);
    }
  }
}
