/**
 * Rule state across a planned restart (an upgrade, a config change): on stop
 * the engine's states and pending wake-ups are saved, and the next start
 * takes them back — so a door left open at 23:55 is still being timed after a
 * restart at midnight. The same snapshot carries the device watchdogs'
 * silences (hub/ingest/watchdog-checkpoint.ts), and a cluster leader saves it
 * every 5 s for the next leader (hub/compose/rule-checkpoints.ts). Taking removes the snapshot, and one older than
 * MAX_SNAPSHOT_AGE_MS is ignored: after a crash or a long outage, stale state
 * (a door "open" for days) must not raise alerts out of date. Both adapters
 * (files/rules-snapshot-file.ts, postgres/rules-snapshot-pg.ts) decide with this.
 */
import type { PipelineSnapshot } from './ports.js';

export const MAX_SNAPSHOT_AGE_MS = 15 * 60_000;

/** The snapshot in `text` when it parses and is recent enough at `now`; otherwise undefined. */
export function usableSnapshot(text: string, now: number): PipelineSnapshot | undefined {
  try {
    const snapshot = JSON.parse(text) as PipelineSnapshot;
    if (typeof snapshot?.savedAt !== 'number' || now - snapshot.savedAt > MAX_SNAPSHOT_AGE_MS) return undefined;
    return snapshot;
  } catch {
    return undefined;
  }
}
