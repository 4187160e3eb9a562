/**
 * Where the 24 h chart gets its data. Today: the device's raw readings ring
 * (GET /devices/{id}/readings). The hub will add a bucketed 24 h series
 * endpoint; a second source here is then all the chart needs.
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
