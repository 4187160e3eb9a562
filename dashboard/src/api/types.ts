/**
 * The API's shapes, as types only (DESIGN.md §2: dashboard/ may import only
 * types from hub/ and devices/), plus the few view shapes the routes build.
 */
import type { Alert, AlertSummary, Outcome, ResponderKind, ResponderState, Severity } from '../../../hub/alerts/alert.js';
import type { DeviceRecord, HomeRecord, ResidentRecord, Role } from '../../../hub/registry/records.js';
import type { VisitCondition, VisitRecord } from '../../../hub/visits/visit.js';
import type { BadPayloadReason } from '../../../hub/ingest/device-state.js';
import type { DueResident, VisitRateReport, ResidentMonthStatus } from '../../../hub/visits/visit-rate.js';
import type { ReportSummary, ReportTableName } from '../../../hub/reports/summary.js';
import type { AnswerShare, Durations, ResponseTimes } from '../../../hub/reports/figures.js';
import type { AuditEntry as AuditRecord } from '../../../hub/audit/audit-log.js';
import type { CommandView } from '../../../hub/commands/command-book.js';
import type { HeartbeatView } from '../../../hub/commands/device-config.js';

export type { Alert, AlertSummary, Outcome, ResponderKind, ResponderState, Role, Severity };
export type { Responder, TimelineEntry, AlertStatus, AlertCommand } from '../../../hub/alerts/alert.js';
export type { CommandState, CommandView } from '../../../hub/commands/command-book.js';
export type { Contact } from '../../../hub/registry/records.js';

/** GET /devices/{id}/commands: the heartbeat interval and the device's recent commands, newest first. */
export interface DeviceCommands extends HeartbeatView {
  commands: CommandView[];
}

/** GET /audit entries, with `actorName` added by the API. */
export type AuditEntry = AuditRecord & { actorName?: string | undefined };

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** The homes a family user may see (GET /auth/me, login). */
  homeIds?: string[] | undefined;
}

/** GET /homes and /homes/{id}: the home with its first resident, and all its residents (two for a couple). */
export interface HomeView extends HomeRecord {
  resident: ResidentRecord | null;
  residents: ResidentRecord[];
}

/** A device as GET /homes/{id} lists it: no secret hash, with its live state. */
export interface DeviceView extends Omit<DeviceRecord, 'secretHash'> {
  online: boolean | null;
  lastSeen: string | null;
  battery: number | null;
  /** Payloads the hub dropped as bad since it started, with the last one (issue 10, item 13). */
  badPayloads: number;
  lastBadPayload: { reason: BadPayloadReason; detail: string; at: string } | null;
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

/**
 * What /api/v1/stream sends (docs/STREAM.md). Only alert events carry an
 * `eventId` (their journal line: the same on every hub node); the others are
 * volatile, and a resumed stream sends their current state in `resumed`.
 */
export type StreamMessage =
  | { type: 'snapshot'; streamId: string; eventId: number; alerts: AlertSummary[]; devices: LiveDevice[]; presence?: PresenceEntry[] | undefined }
  | { type: 'resumed'; streamId: string; eventId: number; missed: number; devices: LiveDevice[]; presence?: PresenceEntry[] | undefined }
  | { type: 'presence'; presence: PresenceEntry[] }
  | { type: 'alert.raised' | 'alert.updated'; eventId: number; alert: AlertSummary }
  | { type: 'device.status'; deviceId: string; homeId: string; online: boolean; at: string; reason: string }
  | { type: 'commissioning.tick'; homeId: string; deviceId: string; check: string; at: string }
  | { type: 'pong'; eventId: number }
  | { type: 'error'; error: { code: string; message: string } };

// ── installers ──────────────────────────────────────────────────────────────

/** POST /homes/{id}/devices, /devices/{id}/rotate-secret and /replace: the device with its one-time credentials. */
export interface ProvisionedDevice extends Omit<DeviceView, 'online' | 'lastSeen' | 'battery' | 'badPayloads' | 'lastBadPayload'> {
  online?: boolean | null;
  lastSeen?: string | null;
  battery?: number | null;
  secret: string;
  qrSvg: string;
  mqtt: { host: string; port: number; clientId: string; username: string; topics: { event: string; telemetry: string; status: string; cmd: string } };
}

/** GET /homes/{id}/commissioning. */
export type { DeviceChecklist, HomeChecklist } from '../../../hub/homes/commissioning.js';

/** A 400's `error.issues`: which field and what is wrong with it. */
export interface FieldIssue {
  path: string;
  message: string;
}

// ── visits and reports ──────────────────────────────────────────────────────

export type { VisitCondition, VisitRecord, DueResident, VisitRateReport, ResidentMonthStatus, ReportSummary, ReportTableName, AnswerShare, Durations, ResponseTimes };

/** An alert as GET /alerts/{id} returns it: with the display names of the people involved. */
export interface NamedAlert extends Alert {
  acknowledgedByName?: string | undefined;
  resolvedByName?: string | undefined;
  timeline: (Alert['timeline'][number] & { actorName?: string | undefined })[];
}

// ── shifts, call-backs, reviews (issue 13) ──────────────────────────────────

export type { PresenceEntry, PresenceState } from '../../../hub/shifts/presence.js';
import type { PresenceEntry } from '../../../hub/shifts/presence.js';
export type { CallbackRecord, CallbackOutcome, CallbackReason, WellbeingPlan } from '../../../hub/callbacks/callback.js';
export type { IncidentReview, StallStage } from '../../../hub/alerts/alert.js';
export type { ReviewInput } from '../../../hub/alerts/alert-lifecycle.js';
