/** How report figures are written, and the periods a supervisor picks from. */
import { t } from '../i18n/index.js';

export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined) return '—';
  const pct = share * 100;
  return `${Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(1)} %`;
}

export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  if (s < 60) return t('dur.s', { s: Math.round(s) });
  if (s < 3600) return t('dur.ms', { m: Math.floor(s / 60), s: Math.round(s % 60) });
  return t('dur.hm', { h: Math.floor(s / 3600), m: Math.round((s % 3600) / 60) });
}

export const PRESETS = ['thisMonth', 'lastMonth', 'last7', 'last30', 'custom'] as const;
export type Preset = (typeof PRESETS)[number];

/**
 * The period as ISO instants for the hub; `from: ''` = the hub's own default
 * (this month in its time zone). Local midnights of the browser: a supervisor
 * is in the hub's zone. Undefined while a custom period is incomplete.
 */
export function periodOf(preset: Preset, fromDate: string, toDate: string, now = new Date()): { from: string; to: string } | undefined {
  const day = 86_400_000;
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  switch (preset) {
    case 'thisMonth':
      return { from: '', to: '' };
    case 'lastMonth':
      return { from: new Date(now.getFullYear(), now.getMonth() - 1, 1).toISOString(), to: new Date(now.getFullYear(), now.getMonth(), 1).toISOString() };
    case 'last7':
      return { from: new Date(midnight.getTime() - 6 * day).toISOString(), to: new Date(midnight.getTime() + day).toISOString() };
    case 'last30':
      return { from: new Date(midnight.getTime() - 29 * day).toISOString(), to: new Date(midnight.getTime() + day).toISOString() };
    case 'custom': {
      if (!fromDate || !toDate) return undefined;
      const [fy, fm, fd] = fromDate.split('-').map(Number);
      const [ty, tm, td] = toDate.split('-').map(Number);
      if (!fy || !fm || !fd || !ty || !tm || !td) return undefined;
      // The "to" day is included: the period ends at the next midnight.
      return { from: new Date(fy, fm - 1, fd).toISOString(), to: new Date(ty, tm - 1, td + 1).toISOString() };
    }
  }
}
