/**
 * Who hears what (issue 13 items 5 and 7). A new critical alert sounds first
 * on the consoles of operators who are online; an operator who set themselves
 * away hears it only when nobody online answered within 30 s — or at once
 * when nobody is online at all. An acknowledged alert that stalled sounds
 * again for the operator who holds it, and, once it reached the supervisor
 * stage, for supervisors and admins too. Pure, so it is tested without a
 * browser (tests/dashboard-logic.test.ts).
 */
import type { AlertSummary, PresenceEntry, Role } from '../api/types.js';

/** How long the operators who are present have before everyone hears a critical alert. */
export const PRESENT_FIRST_MS = 30_000;
const SUPERVISING: ReadonlySet<string> = new Set(['supervisor', 'admin']);

export interface Listener {
  username: string;
  role: Role;
}

export function ringsFor(alert: AlertSummary, me: Listener, presence: readonly PresenceEntry[], now: number): boolean {
  if (alert.status === 'acknowledged' && alert.flags.stalled) {
    return alert.acknowledgedBy === `user:${me.username}` || (alert.flags.stalled === 'supervisor' && SUPERVISING.has(me.role));
  }
  if (alert.severity !== 'critical' || alert.status !== 'open') return false;
  if (now - Date.parse(alert.raisedAt) >= PRESENT_FIRST_MS) return true;
  // Not in the list yet (the snapshot is on its way): count as online rather than stay silent.
  const mine = presence.find((p) => p.username === me.username)?.state ?? 'online';
  return mine === 'online' || !presence.some((p) => p.state === 'online');
}
