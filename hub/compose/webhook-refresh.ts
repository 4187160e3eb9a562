/**
 * HUB_PARTITIONS=spread: each node sends its own homes' webhooks, with the
 * organisation's webhook list it read at start, while the list is changed
 * through the leader's API (the webhooks table has no change feed). Every
 * node reads the list again every few seconds, so a webhook added on the
 * leader is used by every owner within that time.
 */
import type { Logger } from '../core/logger.js';
import { periodic } from '../core/periodic.js';
import type { Service } from '../core/service.js';

export const WEBHOOK_REFRESH_MS = 5_000;

export function webhookRefresh(reload: () => Promise<void>, log: Logger, everyMs = WEBHOOK_REFRESH_MS): Service {
  return periodic({ name: 'webhook list refresh', everyMs, run: reload, log, failure: 'webhook list not read again; the last one is used' });
}
