/**
 * A task run every `everyMs` while its service runs (a leader's rule
 * checkpoints, a spread node's webhook list): one run at a time — a slow one
 * skips a beat rather than queue runs —, a failure (a rejection or a throw)
 * logged at most once a minute and never escaping the timer, and stop()
 * waiting for a run in flight.
 */
import type { Logger } from './logger.js';
import { Throttle } from './log-throttle.js';
import type { Service } from './service.js';

export interface PeriodicTask {
  name: string;
  everyMs: number;
  run(): Promise<void>;
  log: Logger;
  /** What a failure means, logged with the error. */
  failure: string;
}

export function periodic({ name, everyMs, run, log, failure }: PeriodicTask): Service {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const failures = new Throttle(60_000);
  const tick = () => {
    running ??= Promise.resolve()
      .then(run)
      .catch((err: unknown) => {
        if (failures.pass(name)) log.warn({ err }, failure);
      })
      .finally(() => (running = undefined));
  };
  return {
    name,
    start: () => {
      timer = setInterval(tick, everyMs);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
