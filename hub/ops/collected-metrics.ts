/**
 * The two shapes of prom-client metric the hub's /metrics is made of
 * (metrics.ts, cluster-metrics.ts): gauges and counters whose
 * values are read from plain fields when Prometheus scrapes (`collect`), so
 * the hot path only ever increments a number.
 */
import type { Registry } from 'prom-client';

type PromClient = typeof import('prom-client');

export interface CollectedMetrics {
  /** A gauge read at scrape time (an async value is awaited: prom-client's collect may return a promise). */
  gauge(name: string, help: string, value: () => number | Promise<number>): void;
  /** A counter with one label, its series set at scrape time from `counts()` (label value → total since start). */
  counter(name: string, help: string, label: string, counts: () => Readonly<Record<string, number>>): void;
  /** A counter without labels, set at scrape time from `count()` (total since start). */
  total(name: string, help: string, count: () => number): void;
}

export function collectedMetrics(prom: PromClient, registers: Registry[]): CollectedMetrics {
  return {
    gauge(name, help, value) {
      new prom.Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(await value());
        },
      });
    },
    counter(name, help, label, counts) {
      new prom.Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const [value, count] of Object.entries(counts())) this.inc({ [label]: value }, count);
        },
      });
    },
    total(name, help, count) {
      new prom.Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(count());
        },
      });
    },
  };
}
