/**
 * Where the 24 h chart gets its data: the hub's bucketed series (GET
 * /devices/{id}/series: 10-minute buckets over 24 h, kept however often the
 * bracelet reports), or the raw readings ring (the last few hours only).
 */
import { seriesFromReadings, type Series } from '../util/series.js';
import { get } from './http.js';
import type { Reading } from './types.js';

export type SeriesSource = (deviceId: string, from: number, to: number) => Promise<Series>;

export const readingsSource: SeriesSource = async (deviceId, from, to) => {
  const since = new Date(from).toISOString();
  const res = await get<{ readings: Reading[] }>(`/devices/${encodeURIComponent(deviceId)}/readings?since=${encodeURIComponent(since)}`);
  return seriesFromReadings(res.readings, from, to);
};

interface SeriesBucket {
  at: string;
  heartRate: { min: number; avg: number; max: number } | null;
  steps: number | null;
}

/** The 24 h series, each bucket read as one reading at the bucket's middle. */
export const bucketedSource: SeriesSource = async (deviceId, from, to) => {
  const hours = Math.min(24, Math.max(1, Math.ceil((to - from) / 3_600_000)));
  const res = await get<{ bucketMs: number; points: SeriesBucket[] }>(`/devices/${encodeURIComponent(deviceId)}/series?hours=${hours}`);
  const readings = res.points.map((p) => ({
    at: Date.parse(p.at) + res.bucketMs / 2,
    values: { ...(p.heartRate ? { heartRate: p.heartRate.avg } : {}), ...(p.steps !== null ? { steps: p.steps } : {}) },
  }));
  return seriesFromReadings(readings, from, to);
};
