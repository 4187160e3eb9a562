/**
 * Follow-up times per severity (issue 13 item 5): how long an acknowledged
 * alert may wait for a dispatch or a resolution before its holder is
 * re-alerted, and how long a dispatched responder has to reach the scene.
 * Read from `critical=10,high=15` style settings (HUB_FOLLOW_UP_MINUTES,
 * HUB_ON_SCENE_MINUTES); a severity left out keeps its default, and `off`
 * turns the check off for that severity.
 */
import { SEVERITIES, type Severity } from '../core/severity.js';

export type MinutesBySeverity = Record<Severity, number | null>;

/** 10 min for critical is the default; the others scale with urgency. */
export const DEFAULT_FOLLOW_UP_MINUTES: MinutesBySeverity = { critical: 10, high: 15, medium: 30, low: 60 };
/** 30 min on scene for critical (the default); technical (low) alerts have no target. */
export const DEFAULT_ON_SCENE_MINUTES: MinutesBySeverity = { critical: 30, high: 45, medium: 60, low: null };

/** Parses `critical=10,high=off`; returns the problem as text for a config error. */
export function parseMinutesBySeverity(text: string | undefined, defaults: MinutesBySeverity): MinutesBySeverity | { problem: string } {
  const out = { ...defaults };
  if (!text?.trim()) return out;
  for (const part of text.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (!SEVERITIES.includes(key as Severity)) return { problem: `"${key}" is not a severity (${SEVERITIES.join(', ')})` };
    if (value === 'off') {
      out[key as Severity] = null;
      continue;
    }
    const minutes = Number(value);
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) return { problem: `${key}: "${value}" must be minutes between 1 and 1440, or off` };
    out[key as Severity] = minutes;
  }
  return out;
}

export interface FollowUpTimes {
  followUp: MinutesBySeverity;
  onScene: MinutesBySeverity;
}

export const DEFAULT_FOLLOW_UP_TIMES: FollowUpTimes = { followUp: DEFAULT_FOLLOW_UP_MINUTES, onScene: DEFAULT_ON_SCENE_MINUTES };
