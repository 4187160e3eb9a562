/** Parameter pieces shared by rules. Every parameter is `.describe()`d: docs/RULES.md is generated from them. */
import { z } from 'zod';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A local time of day `HH:MM` in HUB_TIMEZONE (the shape time-of-day.ts `windowFrom` reads). */
export function timeOfDay(defaultValue: string, description: string) {
  return z.string().regex(HHMM, 'must be a time of day, HH:MM').default(defaultValue).describe(description);
}
