/**
 * Builds and validates uplink payloads against the kind's schema before they
 * are sent, so a simulator bug surfaces as an exception here instead of as a
 * silently dropped message on the hub.
 */
import type { DeviceEventPayload, DeviceKind, TelemetryPayload } from '../devices/catalog.js';

/** Structural view of a zod issue: simulators may not import zod itself (DESIGN.md §2). */
export interface PayloadIssue {
  path: readonly PropertyKey[];
  message: string;
}

export class PayloadError extends Error {
  constructor(
    readonly what: string,
    readonly issues: readonly PayloadIssue[],
  ) {
    super(`invalid ${what}: ${issues.map(formatIssue).join('; ')}`);
    this.name = 'PayloadError';
  }
}

export function formatIssue(issue: PayloadIssue): string {
  const path = issue.path.map(String).join('.');
  return `${path || '(payload)'}: ${issue.message}`;
}

/** The fields every message carries; the caller's fields may override them (tests send chosen seqs). */
export interface CommonFields {
  seq: number;
  ts: number;
  battery?: number;
}

export function buildEventPayload(
  kind: DeviceKind,
  type: string,
  fields: Readonly<Record<string, unknown>>,
  common: CommonFields,
): DeviceEventPayload {
  const result = kind.eventSchema.safeParse({ type, ...common, ...fields });
  if (!result.success) throw new PayloadError(`${kind.kind} event "${type}"`, result.error.issues);
  return result.data;
}

export function buildTelemetryPayload(
  kind: DeviceKind,
  fields: Readonly<Record<string, unknown>>,
  common: CommonFields,
): TelemetryPayload {
  const result = kind.telemetrySchema.safeParse({ ...common, ...fields });
  if (!result.success) throw new PayloadError(`${kind.kind} telemetry`, result.error.issues);
  return result.data;
}
