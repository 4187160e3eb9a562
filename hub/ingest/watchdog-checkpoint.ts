/**
 * Device watchdogs across a failover or a restart (issue 12, "Must hold" 2 and
 * 3; docs/CLUSTER.md "What failover does"). The pipeline snapshot — the one the
 * cluster leader checkpoints every 5 s and a hub saves at a clean stop — carries
 * each watched device's silence at the time it was saved. The next leader (or
 * the restarted hub) resumes each watchdog from there instead of giving every
 * device a whole new silence from its promotion, which declared a device that
 * had been silent for most of its window up to one whole silence late.
 *
 * Two rules decide when a resumed device may be declared offline:
 * - The time between the snapshot and the promotion is not counted as silence:
 *   nobody could hear the device then (the leader was dead, or the hub was
 *   stopped; a standby's telemetry waits in the Redis uplink stream until a
 *   leader reads it, and is dropped there once 30 s old). So a snapshot that
 *   is minutes old — checkpoints that failed for a while, a hub restarted
 *   after an outage — never makes the whole fleet overdue at once. The cost:
 *   a device that died with the leader is declared offline late by the
 *   snapshot's age at promotion (≤ 5 s of checkpoint interval plus the
 *   takeover), not by a whole silence.
 * - Never before the reconnect grace, one heartbeat interval + 5 s after the
 *   promotion: a device of the dead node that reconnected to a survivor before
 *   the promotion has its reconnect messages (retained `online`, first
 *   heartbeat) wait in the uplink stream, dropped if the takeover took over
 *   30 s (a frozen leader's lease, Redis restarted empty), so the next message
 *   the new leader is sure to hear is its next heartbeat, at most one
 *   interval later; the 5 s cover its timer's jitter and the hand-off. A
 *   device reconnecting after the promotion is heard at once (it announces
 *   itself on connect, PROTOCOL.md). A fixed grace (say 20 s) would be
 *   shorter than a bracelet's 60 s heartbeat and declare such a bracelet
 *   offline although it was back.
 */

/** Added to one heartbeat interval to make the reconnect grace (see above). */
export const RECONNECT_GRACE_EXTRA_MS = 5_000;

/** The watchdogs' part of the pipeline snapshot. */
export interface WatchdogCheckpoint {
  /**
   * Device id → whole seconds it had been silent at the snapshot's `savedAt`
   * (its last sign of life was at `savedAt − silentSec × 1000` or a little
   * later: rounded down, so a resumed watch is never shorter). Seconds and
   * relative: about 20 bytes a device (docs/PERFORMANCE.md).
   */
  silentSec?: Record<string, number>;
}

/** The checkpoint of the watchdogs' last signs of life, as seen at `savedAt`. */
export function silencesAt(lastSeenTimes: Iterable<[deviceId: string, lastSeen: number]>, savedAt: number): Record<string, number> {
  const silentSec: Record<string, number> = {};
  for (const [deviceId, lastSeen] of lastSeenTimes) silentSec[deviceId] = Math.max(0, Math.floor((savedAt - lastSeen) / 1000));
  return silentSec;
}

/** A resumed watch: the last sign of life it counts from, and the time before which it never fires. */
export interface ResumedWatch {
  lastSeen: number;
  notBefore: number;
}

/**
 * Where a device's watchdog resumes at `promotedAt`, from the silence the
 * checkpoint holds for it; undefined when it holds nothing usable (a device new
 * since, or a damaged entry): that device is armed afresh, as before issue 12.
 */
export function resumedWatch(silentSec: unknown, heartbeatMs: number, promotedAt: number): ResumedWatch | undefined {
  if (typeof silentSec !== 'number' || !Number.isFinite(silentSec) || silentSec < 0) return undefined;
  return { lastSeen: promotedAt - silentSec * 1000, notBefore: promotedAt + heartbeatMs + RECONNECT_GRACE_EXTRA_MS };
}
