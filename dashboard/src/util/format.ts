/** How times, ages and actors are written on screen. */
import { lang, t } from '../i18n/index.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** Elapsed time as m:ss, h:mm:ss, or "2 d 03:15" — digits only, so both languages read it. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (days > 0) return `${t('time.days', { n: days })} ${pad(h)}:${pad(m)}`;
  if (h > 0) return `${h}:${pad(m)}:${pad(sec)}`;
  return `${m}:${pad(sec)}`;
}

export function formatTime(iso: string | number): string {
  return new Date(iso).toLocaleTimeString(lang.get(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export function formatDateTime(iso: string | number): string {
  return new Date(iso).toLocaleString(lang.get(), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** "5 min ago" style, for last-seen times. */
export function formatAgo(iso: string | number | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return t('time.never');
  const ms = now - new Date(iso).getTime();
  if (ms < 60_000) return t('time.justNow');
  if (ms < 3_600_000) return t('time.minutesAgo', { n: Math.floor(ms / 60_000) });
  if (ms < 86_400_000) return t('time.hoursAgo', { n: Math.floor(ms / 3_600_000) });
  return t('time.daysAgo', { n: Math.floor(ms / 86_400_000) });
}

/** `user:li.na` → li.na; `device:…` and `system` in words. */
export function actorName(actor: string | undefined): string {
  if (!actor) return '—';
  if (actor.startsWith('user:')) return actor.slice(5);
  if (actor.startsWith('device:')) return t('actor.device', { id: actor.slice(7) });
  if (actor === 'system') return t('actor.system');
  return actor;
}

export function ageFromBirthYear(birthYear: number, now = Date.now()): number {
  return new Date(now).getFullYear() - birthYear;
}

/** `2026-11` → "November 2026" / "2026年11月". */
export function formatMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  if (!y || !m) return month;
  return new Date(y, m - 1, 1).toLocaleDateString(lang.get(), { year: 'numeric', month: 'long' });
}
