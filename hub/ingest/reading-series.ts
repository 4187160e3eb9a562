/**
 * 24 hours of a bracelet's heart rate and steps in fixed 10-minute buckets,
 * for the console's chart. Typed arrays of a fixed size: ~4 KiB per bracelet
 * whatever its reporting rate, allocated only for devices that report these
 * fields (the ring of raw readings covers only the last few hours).
 */
export const BUCKET_MS = 10 * 60_000;
export const BUCKETS = (24 * 60 * 60_000) / BUCKET_MS;

export interface SeriesPoint {
  at: string;
  heartRate: { min: number; avg: number; max: number } | null;
  /** The highest step count reported in the bucket (counts reset at midnight). */
  steps: number | null;
}

export class ReadingSeries {
  private readonly bucketStart = new Float64Array(BUCKETS);
  private readonly hrMin = new Float32Array(BUCKETS);
  private readonly hrMax = new Float32Array(BUCKETS);
  private readonly hrSum = new Float32Array(BUCKETS);
  private readonly hrCount = new Uint16Array(BUCKETS);
  private readonly steps = new Int32Array(BUCKETS);

  add(at: number, values: Record<string, unknown>): void {
    const start = at - (at % BUCKET_MS);
    const i = (start / BUCKET_MS) % BUCKETS;
    if (this.bucketStart[i] !== start) {
      // The slot held a bucket from a day ago (or nothing): start it afresh.
      this.bucketStart[i] = start;
      this.hrCount[i] = 0;
      this.hrSum[i] = 0;
      this.steps[i] = -1;
    }
    const hr = values.heartRate;
    if (typeof hr === 'number' && hr > 0) {
      this.hrMin[i] = this.hrCount[i] === 0 ? hr : Math.min(this.hrMin[i]!, hr);
      this.hrMax[i] = this.hrCount[i] === 0 ? hr : Math.max(this.hrMax[i]!, hr);
      this.hrSum[i] = this.hrSum[i]! + hr;
      this.hrCount[i] = Math.min(this.hrCount[i]! + 1, 65_535);
    }
    const steps = values.steps;
    if (typeof steps === 'number') this.steps[i] = Math.max(this.steps[i]!, steps);
  }

  /** Buckets overlapping [from, to], oldest first; empty buckets are left out. */
  read(from: number, to: number): SeriesPoint[] {
    const points: SeriesPoint[] = [];
    for (let i = 0; i < BUCKETS; i++) {
      const start = this.bucketStart[i]!;
      if (start === 0 || start + BUCKET_MS <= from || start > to) continue;
      const count = this.hrCount[i]!;
      points.push({
        at: new Date(start).toISOString(),
        heartRate: count > 0 ? { min: this.hrMin[i]!, avg: Math.round((this.hrSum[i]! / count) * 10) / 10, max: this.hrMax[i]! } : null,
        steps: this.steps[i]! >= 0 ? this.steps[i]! : null,
      });
    }
    return points.sort((a, b) => a.at.localeCompare(b.at));
  }
}
