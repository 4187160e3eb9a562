/**
 * HUB_PARTITIONS=spread: each node sends its own homes' webhooks, with the
 * organisation's webhook list it read at start, while the list is changed
 * through the leader's API (the webhooks table has no change feed). Every
 * node reads the list again every few seconds, so a webhook added on the
 * leader is used by every owner within that time.
 */
import type { Logger } from '../core/logger.js';
import { Throttle } from '../core/log-throttle.js';
import type { Service } from '../core/service.js';

export const WEBHOOK_REFRESH_MS = 5_000;

export function webhookRefresh(reload: () => Promise<void>, log: Logger, everyMs = WEBHOOK_REFRESH_MS): Service {
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  const failures = new Throttle(60_000);
  const tick = () => {
    // A reload that throws at once is caught like one that rejects: never an uncaught exception.
    reading ??= Promise.resolve()
      .then(reload)
      .catch((err: unknown) => {
        if (failures.pass('reload')) log.warn({ err }, 'webhook list not read again; the last one is used');
      })
      .finally(() => (reading = undefined));
  };
  return {
    name: 'webhook list refresh',
    start: () => {
      timer = setInterval(tick, everyMs);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      await reading;
    },
  };
}
