/** Offsets (`+10m`, `+2h30m`, `+45s`) and local times of day (`02:30`) in scenario timelines. */

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };

/** `+1h30m` → 5,400,000. Throws on anything else, so a typo in a timeline fails at load, not mid-run. */
export function parseOffset(text: string): number {
  const match = /^\+?((?:\d+(?:\.\d+)?[dhms])+)$/.exec(text.trim());
  if (!match) throw new Error(`bad offset "${text}": expected e.g. +10m, +2h30m, +45s`);
  let ms = 0;
  for (const [, n, unit] of match[1]!.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/**
 * The next instant at or after `from` whose local time of day (UTC offset in minutes) is
 * `hh:mm`, so "fall at night" starts at 02:30 in the resident's home, wherever the simulator runs.
 */
export function nextLocalTime(from: number, hhmm: string, utcOffsetMin: number): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!match) throw new Error(`bad time of day "${hhmm}": expected hh:mm`);
  const wanted = (Number(match[1]) * 60 + Number(match[2])) * 60_000;
  const day = UNIT_MS.d!;
  const localNow = from + utcOffsetMin * 60_000;
  const localMidnight = Math.floor(localNow / day) * day;
  let at = localMidnight + wanted - utcOffsetMin * 60_000;
  if (at < from) at += day;
  return at;
}

export function formatDuration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return h > 0 ? `${h}h${m ? `${m}m` : ''}` : `${m}m`;
}
