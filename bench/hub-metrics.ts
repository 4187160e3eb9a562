/**
 * The hub's own view of where an alarm's time goes (issue 14, third pass):
 * its Prometheus histograms `hub_alarm_stage_seconds` (ingest, durable) and
 * `hub_uplink_read_phase_seconds`, read from /metrics before and after a load
 * step; the difference is that step's. Percentiles are interpolated inside a
 * histogram bucket, so read them as "within this bucket" (buckets: 0.5, 1,
 * 2, 5, 10, 20, 50, 100, 200, 500 ms, 1, 2, 5 s).
 */

/** Cumulative counts by upper bound (seconds), as Prometheus exposes them. */
export type Buckets = Map<number, number>;

export interface StageTimings {
  /** Events timed in the step. */
  events: number;
  /** Packet read to ingest done (rules, journal append), ms. */
  ingestMs: { p50: number; p99: number } | null;
  /** Ingest done to PUBACK (the journal write made durable), ms. */
  durableMs: { p50: number; p99: number } | null;
  /** Per event-loop turn, first device message read to the end of reading, ms. */
  readPhaseMs: { p50: number; p99: number } | null;
}

/** One histogram's buckets from a /metrics text; `labels` must all match (others are ignored). */
export function histogram(text: string, name: string, labels: Record<string, string> = {}): Buckets {
  const buckets: Buckets = new Map();
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.indexOf('}');
    const found = Object.fromEntries([...line.slice(prefix.length, close).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.entries(labels).some(([k, v]) => found[k] !== v)) continue;
    const le = found.le === '+Inf' ? Infinity : Number(found.le);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(line.slice(close + 1).trim()));
  }
  return buckets;
}

export function minus(after: Buckets, before: Buckets): Buckets {
  return new Map([...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)]));
}

/** The q-quantile in ms, linear inside its bucket (the last finite bound when it falls in +Inf); null without data. */
export function quantileMs(buckets: Buckets, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const count = buckets.get(le)!;
    if (count >= rank) {
      if (le === Infinity) return lower * 1000;
      const share = count === below ? 0 : (rank - below) / (count - below);
      return Math.round((lower + (le - lower) * share) * 1000 * 100) / 100;
    }
    lower = le;
    below = count;
  }
  return null;
}

const pair = (b: Buckets) => {
  const p50 = quantileMs(b, 0.5);
  const p99 = quantileMs(b, 0.99);
  return p50 === null || p99 === null ? null : { p50, p99 };
};

/** The step's stage timings from two /metrics texts (before and after it). */
export function stageTimings(before: string, after: string): StageTimings {
  const stage = (name: string, labels: Record<string, string> = {}) => minus(histogram(after, name, labels), histogram(before, name, labels));
  const ingest = stage('hub_alarm_stage_seconds', { stage: 'ingest' });
  return {
    events: ingest.get(Infinity) ?? 0,
    ingestMs: pair(ingest),
    durableMs: pair(stage('hub_alarm_stage_seconds', { stage: 'durable' })),
    readPhaseMs: pair(stage('hub_uplink_read_phase_seconds')),
  };
}
