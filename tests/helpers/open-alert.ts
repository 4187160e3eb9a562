/** A critical SOS alert just raised, for the tests that feed alerts to a service without a hub (ownership-*.test.ts). */
import type { Alert } from '../../hub/alerts/alert.js';

export function openSos(id: string, homeId: string, now: number, deviceId?: string): Alert {
  const at = new Date(now).toISOString();
  return {
    id,
    homeId,
    residentId: undefined,
    ...(deviceId !== undefined ? { deviceId } : {}),
    kind: 'sos',
    severity: 'critical',
    status: 'open',
    title: 'SOS',
    details: {},
    raisedAt: at,
    updatedAt: at,
    occurrences: 1,
    lastOccurrenceAt: at,
    flags: { overdue: false, escalated: false },
    trigger: { eventType: 'sos', at },
    responders: [],
    timeline: [],
  };
}
