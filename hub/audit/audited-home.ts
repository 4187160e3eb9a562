/**
 * The home an audited action concerns, from its name, target and detail
 * (the audit calls in hub/homes, hub/commands, hub/visits...): where its
 * line goes when the homes' partitions are spread (audit-log.ts AuditRoute).
 * Undefined when the action concerns no one home (users, webhooks, logins,
 * batches), or the home cannot be told: then the line is the leader's.
 */
export interface AuditedHomeLookup {
  getDevice(id: string): { homeId: string } | undefined;
  getResident(id: string): { homeId: string } | undefined;
}

export function homeOfAuditedAction(lookup: AuditedHomeLookup, action: string, target: string | undefined, detail: Record<string, unknown> | undefined): string | undefined {
  const named = detail?.['homeId'];
  if (typeof named === 'string') return named;
  if (target === undefined) return undefined;
  const family = action.slice(0, action.indexOf('.'));
  switch (family) {
    case 'home':
    case 'family':
      return target;
    case 'device':
      return lookup.getDevice(target)?.homeId;
    case 'resident':
      return lookup.getResident(target)?.homeId;
    case 'visit': {
      const residentId = detail?.['residentId'];
      return typeof residentId === 'string' ? lookup.getResident(residentId)?.homeId : undefined;
    }
    default:
      return undefined;
  }
}
