/**
 * A standby's broker refusals on their way to the leader's journal (issue 12,
 * DESIGN.md §11; docs/CLUSTER.md "Forwarding to the leader"). Only the leader
 * holds the journal, so a standby stores each audit record as an
 * `inbound_alarm` row, the way it forwards alarms and its pipeline heartbeat,
 * and the leader's drain journals it. This file is the row's format: whose
 * rows they are (a client id no device can have: device ids never contain a
 * dot, devices/topics.ts), the payload (JSON of the record), and what the
 * leader makes of it — the record as the standby's broker gave it, plus which
 * node saw it and when.
 */
import { isProbeClient } from '../ops/probe-access.js';
import type { ForwardOrigin } from './inbound-drain.js';

/** Every node's audit rows carry this client id prefix, then the node id. */
export const AUDIT_CLIENT_PREFIX = 'hub.audit.';

export const auditClientId = (nodeId: string): string => `${AUDIT_CLIENT_PREFIX}${nodeId}`;

/** An audit record handed over by a standby, not a device's alarm. */
export const isForwardedAudit = (clientId: string): boolean => clientId.startsWith(AUDIT_CLIENT_PREFIX);

/** A row a hub node put into `inbound_alarm` itself (a heartbeat, an audit record): never counted as an alarm. */
export const isNodeRow = (clientId: string): boolean => isProbeClient(clientId) || isForwardedAudit(clientId);

/** What the broker audits (broker-options.ts `audit`): the arguments of AuditLog.record. */
export interface AuditRecord {
  action: string;
  actor: string;
  target?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

export function encodeForwardedAudit(record: AuditRecord): Buffer {
  return Buffer.from(JSON.stringify(record));
}

/**
 * The entry the leader journals for one row: the standby's record with
 * `seenBy` (the node that refused) and `seenAt` (when it did, on that node's
 * clock) added to its detail — the same `audit` line a refusal on the leader
 * makes, so the audit view and audit:verify read it unchanged. Undefined for
 * a payload that is not such a record (only a node of another version could
 * write one).
 */
export function decodeForwardedAudit(payload: Buffer, origin: ForwardOrigin): AuditRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.action !== 'string' || typeof parsed.actor !== 'string') return undefined;
  if (parsed.target !== undefined && typeof parsed.target !== 'string') return undefined;
  if (parsed.detail !== undefined && !isRecord(parsed.detail)) return undefined;
  const seenAt = Number.isFinite(origin.receivedAt) ? new Date(origin.receivedAt).toISOString() : undefined;
  const seen = { seenBy: origin.receivedBy, seenAt };
  return { action: parsed.action, actor: parsed.actor, target: parsed.target, detail: { ...parsed.detail, ...seen } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
