/**
 * Per device, the newest message key the journal holds — so that most alarms
 * skip the unique-key look-up before ingest (journal-dedupe.ts), which cost a
 * database round trip on every alarm's way to its PUBACK.
 *
 * Sound only because the journal has one writer (the advisory lock in
 * journal-writer-connection.ts) that replayed every row at open and notes
 * every line it appends: nothing in the database is unknown here. A key
 * whose `ts` is later than every `ts` held for the device (or, without a
 * `ts`, whose seq is higher than every seq held without one) cannot be a
 * retransmission: retransmissions repeat a key that is already held. Anything
 * else — an equal or older ts, a restarted counter without ts, a device's
 * first message after a migration — goes to the look-up as before.
 *
 * One small record per device that ever sent an alarm.
 */
import type { DeviceMessageKey } from '../ports.js';

interface Newest {
  /** Latest ts among the device's keys that carry one. */
  ts: number;
  /** Highest seq among the device's keys without a ts. */
  seqWithoutTs: number;
}

export class NewestMessageKeys {
  private readonly byDevice = new Map<string, Newest>();

  /** A key the journal now holds (replayed, or appended). */
  note(key: DeviceMessageKey): void {
    let newest = this.byDevice.get(key.deviceId);
    if (!newest) {
      newest = { ts: -1, seqWithoutTs: -1 };
      this.byDevice.set(key.deviceId, newest);
    }
    if (key.ts === undefined) newest.seqWithoutTs = Math.max(newest.seqWithoutTs, key.seq);
    else newest.ts = Math.max(newest.ts, key.ts);
  }

  /** True when the journal surely does not hold this key; false means "look it up". */
  isNewer(key: DeviceMessageKey): boolean {
    const newest = this.byDevice.get(key.deviceId);
    if (!newest) return true;
    return key.ts === undefined ? key.seq > newest.seqWithoutTs : key.ts > newest.ts;
  }
}
