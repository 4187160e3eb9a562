/**
 * Readings → the two series of the 24 h chart: heart rate as points, and
 * activity as steps per hour. Pure, so it is unit-tested without a browser.
 * Bracelets report `steps` since midnight; a drop means the counter reset.
 */
export interface Point {
  at: number;
  value: number;
}

export interface Series {
  from: number;
  to: number;
  heartRate: Point[];
  /** One bucket per hour from `from`; `value` = steps taken in that hour. */
  stepsPerHour: Point[];
}

export interface RawReading {
  at: string | number;
  values: Record<string, unknown>;
}

const HOUR = 3_600_000;

export function seriesFromReadings(readings: readonly RawReading[], from: number, to: number): Series {
  const sorted = readings
    .map((r) => ({ at: typeof r.at === 'number' ? r.at : Date.parse(r.at), values: r.values }))
    .filter((r) => Number.isFinite(r.at) && r.at >= from && r.at <= to)
    .sort((a, b) => a.at - b.at);

  const heartRate: Point[] = [];
  const hours = Math.max(1, Math.ceil((to - from) / HOUR));
  const buckets = new Array<number>(hours).fill(0);
  let lastSteps: number | undefined;
  for (const r of sorted) {
    const hr = r.values.heartRate;
    if (typeof hr === 'number' && Number.isFinite(hr)) heartRate.push({ at: r.at, value: hr });
    const steps = r.values.steps;
    if (typeof steps !== 'number' || !Number.isFinite(steps)) continue;
    const delta = lastSteps === undefined ? 0 : steps >= lastSteps ? steps - lastSteps : steps;
    lastSteps = steps;
    const i = Math.min(hours - 1, Math.floor((r.at - from) / HOUR));
    buckets[i] = (buckets[i] ?? 0) + delta;
  }
  return { from, to, heartRate, stepsPerHour: buckets.map((value, i) => ({ at: from + i * HOUR, value })) };
}

/** Splits a line where readings stop for longer than `gapMs`, so a gap is not drawn as a straight line. */
export function splitAtGaps(points: readonly Point[], gapMs: number): Point[][] {
  const runs: Point[][] = [];
  let run: Point[] = [];
  for (const p of points) {
    const prev = run[run.length - 1];
    if (prev && p.at - prev.at > gapMs) {
      runs.push(run);
      run = [];
    }
    run.push(p);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** A round axis maximum at or above `value` (1, 2, 5 × 10^n). */
export function niceMax(value: number): number {
  if (value <= 0) return 10;
  const pow = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * pow >= value) return m * pow;
  return 10 * pow;
}
