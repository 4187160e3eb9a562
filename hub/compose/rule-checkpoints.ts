/**
 * A cluster leader's rule state, checkpointed (issue 12, docs/CLUSTER.md
 * "What failover needs"): every few seconds the rules engine's states and
 * pending wake-ups go to the rules snapshot store, so a standby that takes
 * over after a kill -9 restores them (the pipeline's `rules` step takes the
 * snapshot at start) instead of starting every rule from nothing — a door
 * left open at 23:55 is still being timed by the next leader. The store keeps
 * one snapshot; a stale one (MAX_SNAPSHOT_AGE_MS) is ignored on restore.
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
