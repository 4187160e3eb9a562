/**
 * A cluster leader's rule state and device watchdogs, checkpointed (issue 12,
 * docs/CLUSTER.md "What failover does"): every few seconds the pipeline
 * snapshot — the rules engine's states and pending wake-ups, and each watched
 * device's silence — goes to the rules snapshot store, so a standby that
 * takes over after a kill -9 restores it (the pipeline takes the snapshot at
 * start) instead of starting every rule and watchdog from nothing — a door
 * left open at 23:55 is still being timed by the next leader, and a bracelet
 * silent for 25 of its 30 s is not given 30 s more. The store keeps one
 * snapshot; a stale one (MAX_SNAPSHOT_AGE_MS) is ignored on restore.
 */
import type { Logger } from '../core/logger.js';
import { periodic } from '../core/periodic.js';
import type { Service } from '../core/service.js';

export const RULE_CHECKPOINT_MS = 5_000;

export function ruleCheckpoints(save: () => Promise<void>, log: Logger, intervalMs = RULE_CHECKPOINT_MS): Service {
  return periodic({ name: 'rule checkpoints', everyMs: intervalMs, run: save, log, failure: 'rule state checkpoint not saved; a takeover now would restore an older one' });
}
