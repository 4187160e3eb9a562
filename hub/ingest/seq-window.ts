/**
 * Remembers the last few message keys per device to drop QoS 1 retransmissions
 * (DESIGN.md §3: a repeated seq must not raise a second alert). The key is
 * `seq`, plus `ts` when the device sends one, so a device whose counter
 * restarted after a reboot (same seq, new ts) is not mistaken for a duplicate.
 */
const WINDOW = 64;

export class SeqWindow {
  private readonly recent = new Map<string, { keys: Set<string>; order: string[] }>();

  /** Records the message; returns its key in the window, or undefined when it was already seen. */
  remember(deviceId: string, seq: number, ts?: number): string | undefined {
    const key = ts === undefined ? `${seq}` : `${seq}@${ts}`;
    let entry = this.recent.get(deviceId);
    if (!entry) {
      entry = { keys: new Set(), order: [] };
      this.recent.set(deviceId, entry);
    }
    if (entry.keys.has(key)) return undefined;
    entry.keys.add(key);
    entry.order.push(key);
    if (entry.order.length > WINDOW) entry.keys.delete(entry.order.shift()!);
    return key;
  }

  /**
   * Lets a message in again, by the key `remember` gave: what it caused was
   * refused before anything was written (hub/ingest/ingest.ts), so the
   * device's resend is no duplicate.
   */
  release(deviceId: string, key: string): void {
    const entry = this.recent.get(deviceId);
    if (!entry?.keys.delete(key)) return;
    entry.order.splice(entry.order.lastIndexOf(key), 1);
  }

  /** Rebuilds the window from a journal line's message key (replay at start). */
  replay(key: { deviceId: string; seq: number; ts?: number | undefined } | undefined): void {
    if (key) this.remember(key.deviceId, key.seq, key.ts);
  }

  forget(deviceId: string): void {
    this.recent.delete(deviceId);
  }
}
