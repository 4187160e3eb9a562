/**
 * Runs the catalogue's rules over every device signal. Rules are indexed by
 * (device kind, event type) so a message only meets the rules that care about
 * it. Each rule runs isolated: one that throws is logged and counted and the
 * others still run (DESIGN.md §2).
 */
import type { z } from 'zod';
import type { AlertDraft } from '../alerts/alert.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/event-bus.js';
import type { DeviceSignal, HubEvents } from '../core/hub-events.js';
import type { Logger } from '../core/logger.js';
import type { HomeRecord, ResidentRecord } from '../registry/records.js';
import type { Rule } from './define-rule.js';

export interface RulesEngineDeps {
  rules: readonly Rule[];
  bus: EventBus<HubEvents>;
  registry: { getHome(id: string): HomeRecord | undefined; getResident(id: string): ResidentRecord | undefined };
  alerts: { submit(draft: AlertDraft, signal: DeviceSignal): void };
  clock: Clock;
  timezone: string;
  log: Logger;
}

const TELEMETRY = '#telemetry';

export class RulesEngine {
  private readonly index = new Map<string, Rule[]>();
  private readonly defaults = new Map<string, unknown>();
  readonly errors = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: RulesEngineDeps) {}

  start(): void {
    for (const rule of this.deps.rules) {
      this.defaults.set(rule.id, rule.params.parse({}));
      const keys = [...(rule.on.events ?? []), ...(rule.on.telemetry ? [TELEMETRY] : [])];
      for (const kind of rule.on.deviceKinds) {
        for (const key of keys) {
          const k = `${kind}:${key}`;
          this.index.set(k, [...(this.index.get(k) ?? []), rule]);
        }
      }
    }
    this.unsubscribe = this.deps.bus.on('device.signal', (signal) => this.handle(signal));
  }

  stop(): void {
    this.unsubscribe?.();
    this.index.clear();
  }

  handle(signal: DeviceSignal): void {
    const key = `${signal.deviceKind}:${signal.channel === 'event' ? signal.type : TELEMETRY}`;
    const rules = this.index.get(key);
    if (!rules) return;
    const home = this.deps.registry.getHome(signal.homeId);
    if (!home) return;
    const resident = this.deps.registry.getResident(home.residentId);
    const now = this.deps.clock.now();
    for (const rule of rules) {
      let drafts: AlertDraft | readonly AlertDraft[] | null;
      try {
        drafts = rule.evaluate({ signal, home, resident, now, timezone: this.deps.timezone, params: this.defaults.get(rule.id) as z.infer<typeof rule.params> });
      } catch (err) {
        this.errors.set(rule.id, (this.errors.get(rule.id) ?? 0) + 1);
        this.deps.log.error({ err, rule: rule.id, deviceId: signal.deviceId }, 'rule failed; other rules still ran');
        continue;
      }
      if (!drafts) continue;
      for (const draft of Array.isArray(drafts) ? drafts : [drafts as AlertDraft]) this.deps.alerts.submit(draft, signal);
    }
  }
}
