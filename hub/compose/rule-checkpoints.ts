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
import { Throttle } from '../core/log-throttle.js';
import type { Service } from '../core/service.js';

export const RULE_CHECKPOINT_MS = 5_000;

export function ruleCheckpoints(save: () => Promise<void>, log: Logger, intervalMs = RULE_CHECKPOINT_MS): Service {
  let timer: NodeJS.Timeout | undefined;
  let saving: Promise<void> | undefined;
  const failures = new Throttle(60_000);
  const checkpoint = () => {
    if (saving) return; // a slow database: skip a beat rather than queue saves
    saving = save()
      .catch((err: unknown) => {
        if (failures.pass('save')) log.warn({ err }, 'rule state checkpoint not saved; a takeover now would restore an older one');
      })
      .finally(() => (saving = undefined));
  };
  return {
    name: 'rule checkpoints',
    start: () => {
      timer = setInterval(checkpoint, intervalMs);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      await saving;
    },
  };
}
