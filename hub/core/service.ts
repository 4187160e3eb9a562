/**
 * One lifecycle for every hub service (zigbee2mqtt lib/controller.ts: a list
 * of extensions, started in order, stopped in reverse). The composition root
 * lists its services once; `ServiceList` starts them in that order and stops
 * only those that started, last first, so a failed start releases what it
 * opened (a port, the journal) and nothing else.
 */
import type { Logger } from './logger.js';

export interface Service {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** Anything with a start/stop pair, named for the logs. */
export function named(name: string, target: { start(): Promise<unknown> | unknown; stop?(): Promise<unknown> | unknown }): Service {
  return {
    name,
    start: async () => void (await target.start()),
    stop: async () => void (await target.stop?.()),
  };
}

/** A service made of two steps (for work that is not a class of its own, e.g. the first admin). */
export function step(name: string, start: () => Promise<unknown> | unknown, stop: () => Promise<unknown> | unknown = () => undefined): Service {
  return named(name, { start, stop });
}

export class ServiceList {
  private readonly started: Service[] = [];

  constructor(
    private readonly services: readonly Service[],
    private readonly log: Logger,
  ) {}

  get names(): string[] {
    return this.services.map((s) => s.name);
  }

  /** Starts each in order; throws the first failure (call stop() to release what did start). */
  async start(): Promise<void> {
    for (const service of this.services) {
      await service.start();
      this.started.push(service);
    }
  }

  /** Stops what started, in reverse. One failing stop is logged and the rest still stop. */
  async stop(): Promise<void> {
    for (const service of this.started.splice(0).reverse()) {
      try {
        await service.stop();
      } catch (err) {
        this.log.error({ err, service: service.name }, 'service did not stop cleanly');
      }
    }
  }
}
