/**
 * What the kill -9 runs (tests/long/crash.ts, cluster-chaos.ts) count the
 * same way: of the alarms the devices saw PUBACKed, how many the journal and
 * the API lack (lost) or hold more than once (duplicated), and the PUBACK
 * latencies the devices measured.
 */
import type { AlarmDevice } from './alarm-device.js';

export interface AlarmTally {
  alarmsSent: number;
  alarmsAcked: number;
  /** Alarms the devices still held unacknowledged once the drain gave up. */
  stillPending: number;
  retransmitted: number;
  reconnects: number;
  lost: number;
  duplicated: number;
  lostInApi: number;
  duplicatedInApi: number;
  pubackMs: { p50: number; p99: number; max: number };
}

/** `inJournal` and `inApi` count (deviceId:seq) keys; `latencies` are the devices' PUBACK times in ms. */
export function tallyAlarms(fleet: AlarmDevice[], inJournal: Map<string, number>, inApi: Map<string, number>, latencies: number[]): AlarmTally {
  const sum = (of: (d: AlarmDevice) => number) => fleet.reduce((s, d) => s + of(d), 0);
  const losses = (counts: Map<string, number>) => sum((d) => [...d.acked].filter((seq) => !counts.has(`${d.device.id}:${seq}`)).length);
  const dups = (counts: Map<string, number>) => [...counts.values()].reduce((s, c) => s + (c - 1), 0);
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
  return {
    alarmsSent: sum((d) => d.stats.sent),
    alarmsAcked: sum((d) => d.acked.size),
    stillPending: sum((d) => d.pending.size),
    retransmitted: sum((d) => d.stats.retransmitted),
    reconnects: sum((d) => d.stats.reconnects),
    lost: losses(inJournal),
    duplicated: dups(inJournal),
    lostInApi: losses(inApi),
    duplicatedInApi: dups(inApi),
    pubackMs: { p50: pct(0.5), p99: pct(0.99), max: sorted.at(-1) ?? NaN },
  };
}

/** Nothing acknowledged was lost or doubled, nothing is left unacknowledged, and something was sent. */
export function tallyLossless(t: AlarmTally): boolean {
  return t.lost === 0 && t.duplicated === 0 && t.lostInApi === 0 && t.duplicatedInApi === 0 && t.stillPending === 0 && t.alarmsAcked > 0;
}
