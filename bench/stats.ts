/** Percentiles of latency samples (nearest-rank on the sorted samples). */

export interface Percentiles {
  count: number;
  p50: number;
  /** The Node generator's samples; the C generator reports p90 and p99.9 instead. */
  p95?: number;
  p90?: number;
  p999?: number;
  p99: number;
  max: number;
}

export function percentiles(samples: readonly number[]): Percentiles | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  return { count: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: round(sorted[sorted.length - 1]!) };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
