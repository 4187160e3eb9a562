/**
 * A typed in-process event bus whose listeners are isolated: a listener that
 * throws is logged and counted, and the others still run (one broken rule or
 * notifier must never stop the hub — DESIGN.md §2, zigbee2mqtt lib/eventBus.ts).
 */
import type { Logger } from './logger.js';

type Listener<P> = (payload: P) => void;

export class EventBus<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();
  listenerErrors = 0;

  constructor(private readonly log: Logger) {}

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (err) {
        this.listenerErrors++;
        this.log.error({ err, event: String(name) }, 'event listener failed; other listeners still ran');
      }
    }
  }
}
