/**
 * SLA colouring of an unacknowledged alert (DESIGN.md §1: 60 s / 180 s).
 * The hub's own `overdue` / `escalated` flags are a floor, so a browser whose
 * clock runs late still shows what the hub already decided.
 */
import type { AlertSummary } from '../api/types.js';

export type SlaLevel = 'ok' | 'amber' | 'red';

export const AMBER_AFTER_MS = 60_000;
export const RED_AFTER_MS = 180_000;

export function slaLevel(alert: AlertSummary, now: number): SlaLevel {
  if (alert.status !== 'open') return 'ok';
  const age = now - Date.parse(alert.raisedAt);
  if (age > RED_AFTER_MS || alert.flags.escalated) return 'red';
  if (age > AMBER_AFTER_MS || alert.flags.overdue) return 'amber';
  return 'ok';
}
