/**
 * The API's shapes, as types only (DESIGN.md §2: dashboard/ may import only
 * types from hub/ and devices/), plus the few view shapes the routes build.
 */
import type { Alert, AlertSummary, Outcome, ResponderKind, ResponderState, Severity } from '../../../hub/alerts/alert.js';
import type { DeviceRecord, HomeRecord, ResidentRecord, Role } from '../../../hub/registry/records.js';

export type { Alert, AlertSummary, Outcome, ResponderKind, ResponderState, Role, Severity };
export type { Responder, TimelineEntry, AlertStatus } from '../../../hub/alerts/alert.js';
export type { Contact } from '../../../hub/registry/records.js';

/**
 * GET /audit entries. Declared here rather than imported: hub/audit/audit-log.ts
 * pulls in the journal and logger types, which need Node's types.
 */
export interface AuditEntry {
  at: string;
  action: string;
  actor: string;
  target?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
}

/** GET /homes and /homes/{id}: the home with its resident. */
export interface HomeView extends HomeRecord {
  resident: ResidentRecord | null;
}

/** A device as GET /homes/{id} lists it: no secret hash, with its live state. */
export interface DeviceView extends Omit<DeviceRecord, 'secretHash'> {
  online: boolean | null;
  lastSeen: string | null;
  battery: number | null;
}

export interface HomeDetail extends HomeView {
  devices: DeviceView[];
}

/** A device's live state as the stream's snapshot and `device.status` carry it. */
export interface LiveDevice {
  deviceId: string;
  homeId: string;
  kind?: string | undefined;
  online: boolean | null;
  /** Epoch ms in the snapshot. */
  lastSeen: number | null;
  battery: number | null;
}

export interface Reading {
  at: string;
  values: Record<string, unknown>;
}

export type StreamMessage =
  | { type: 'snapshot'; streamId: string; eventId: number; alerts: AlertSummary[]; devices: LiveDevice[] }
  | { type: 'alert.raised' | 'alert.updated'; eventId: number; alert: AlertSummary }
  | { type: 'device.status'; eventId: number; deviceId: string; homeId: string; online: boolean; at: string; reason: string }
  | { type: 'pong'; eventId: number }
  | { type: 'error'; error: { code: string; message: string } };
