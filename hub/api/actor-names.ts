/**
 * Actors are recorded as `user:<username>` (stable, audit-proof); people read
 * display names. This adds `actorName` at read time, so a renamed user shows
 * their current name and the journal never needs rewriting.
 */
import type { Alert } from '../alerts/alert.js';
import type { AuditEntry } from '../audit/audit-log.js';

export type NameOf = (username: string) => string | undefined;

export function actorName(actor: string, nameOf: NameOf): string | undefined {
  return actor.startsWith('user:') ? (nameOf(actor.slice(5)) ?? actor.slice(5)) : undefined;
}

export function withActorNames(alert: Alert, nameOf: NameOf) {
  return {
    ...alert,
    acknowledgedByName: alert.acknowledgedBy ? actorName(alert.acknowledgedBy, nameOf) : undefined,
    resolvedByName: alert.resolvedBy ? actorName(alert.resolvedBy, nameOf) : undefined,
    timeline: alert.timeline.map((e) => ({ ...e, actorName: actorName(e.actor, nameOf) })),
  };
}

export function auditWithActorNames(entry: AuditEntry, nameOf: NameOf) {
  return { ...entry, actorName: actorName(entry.actor, nameOf) };
}
