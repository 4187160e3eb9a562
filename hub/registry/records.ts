/**
 * What the registry stores: homes, residents, devices and users. Small,
 * human-readable JSON under the data dir (DESIGN.md §6). Per-message data
 * (readings, last seen) never goes here.
 */
import { z } from 'zod';
import { SEVERITIES } from '../core/severity.js';
import { webhookUrlSchema } from './webhook-url.js';

export const ROLES = ['admin', 'supervisor', 'operator', 'installer', 'visitor', 'family'] as const;
export type Role = (typeof ROLES)[number];

export const CONDITIONS = [
  'dementia',
  'mobility',
  'heart_disease',
  'diabetes',
  'hypertension',
  'respiratory',
  'epilepsy',
  'hearing',
  'vision',
  'other',
] as const;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM, e.g. 22:00');

/**
 * How a contact is told about alerts (issue 5, docs/NOTIFICATIONS.md). Without
 * `webhookUrl` they are notified through the organisation's webhooks; with it,
 * through their own gateway, signed with HUB_WEBHOOK_SECRET. Quiet hours (hub
 * time zone) hold back low-severity notices only.
 */
export const contactNotifySchema = z.object({
  severities: z.array(z.enum(SEVERITIES)).min(1).max(SEVERITIES.length).default(['critical', 'high']),
  webhookUrl: webhookUrlSchema.optional(),
  quietHours: z
    .object({ start: hhmm, end: hhmm })
    .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] })
    .optional()
    .describe('low-severity notices falling in this window are held until it ends; may cross midnight (22:00–07:00)'),
});
export type ContactNotify = z.infer<typeof contactNotifySchema>;

export const contactSchema = z.object({
  name: z.string().trim().min(1).max(100),
  relation: z.string().trim().max(50).optional(),
  phone: z.string().trim().regex(/^\+?[0-9 ()-]{3,30}$/, 'must be a phone number'),
  hasKeys: z.boolean().default(false),
  availability: z.string().trim().max(200).optional().describe('when they can be reached or come round, e.g. weekdays after 18:00 (issue 13)'),
  notify: contactNotifySchema.optional(),
});
export type Contact = z.infer<typeof contactSchema>;

/** Fields an installer or operator gives for a resident (API input and stored shape). */
export const residentInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  birthYear: z.number().int().min(1900).max(new Date().getFullYear()),
  gender: z.enum(['female', 'male', 'other']).optional(),
  phone: z.string().trim().regex(/^\+?[0-9 ()-]{3,30}$/, 'must be a phone number').optional(),
  conditions: z.array(z.enum(CONDITIONS)).max(CONDITIONS.length).default([]),
  medicationNotes: z.string().max(2000).optional(),
  accessNotes: z.string().max(2000).optional().describe('how to get in: key safe code location, neighbour with keys…'),
  specialHardship: z.boolean().default(false),
  /** Ordered: the first contact is called first. */
  contacts: z.array(contactSchema).max(10).default([]),
});
export type ResidentInput = z.infer<typeof residentInputSchema>;

/** Per-rule parameter overrides, validated against each rule's params schema: ruleId → params. */
export type RuleSettings = Record<string, Record<string, unknown>>;

export interface ResidentRecord extends ResidentInput {
  id: string;
  homeId: string;
  createdAt: string;
  updatedAt: string;
  /** Overrides of this resident's rule thresholds (win over the home's). */
  ruleSettings?: RuleSettings | undefined;
  /** Marked away (in hospital, at family): inactivity monitoring pauses from `since` (may be ahead: a planned stay) until `until`. */
  away?: { since: string; until?: string | undefined; by: string } | undefined;
}

export const HOME_STATUSES = ['installing', 'live'] as const;
export type HomeStatus = (typeof HOME_STATUSES)[number];

export interface HomeRecord {
  id: string;
  name: string;
  address: string;
  community?: string | undefined;
  status: HomeStatus;
  /**
   * The first resident, created with the home. A couple's other residents
   * point here through their own `homeId` (issue 13 item 12); this one never
   * changes, so rule state and alerts of single-resident homes keep their keys.
   */
  residentId: string;
  createdAt: string;
  updatedAt: string;
  liveAt?: string | undefined;
  ruleSettings?: RuleSettings | undefined;
  /** Where the home is, for "how far away is the wearer" (issue 13 item 4); set by an installer or admin. */
  geo?: HomeGeo | undefined;
}

export const homeGeoSchema = z.object({
  lat: z.number().min(-90, 'latitude must be between -90 and 90').max(90, 'latitude must be between -90 and 90').describe('WGS 84 latitude, degrees'),
  lon: z.number().min(-180, 'longitude must be between -180 and 180').max(180, 'longitude must be between -180 and 180').describe('WGS 84 longitude, degrees'),
});
export type HomeGeo = z.infer<typeof homeGeoSchema>;

/** Kinds worn by one person: in a home with several residents each belongs to one of them (issue 13 item 12). */
export const PERSONAL_DEVICE_KINDS: readonly string[] = ['bracelet'];

export interface DeviceRecord {
  id: string;
  homeId: string;
  kind: string;
  serial: string;
  /**
   * The resident who wears it (personal kinds, PERSONAL_DEVICE_KINDS): their
   * thresholds apply and its alerts name them. Absent: a device of the whole
   * home (gas, smoke, door), or a bracelet of a home with one resident.
   */
  residentId?: string | undefined;
  /** `sha256:<hex>` of the device secret; the secret itself is shown once and never stored. */
  secretHash: string;
  createdAt: string;
  revokedAt?: string | undefined;
  revokedReason?: string | undefined;
  /** Replacement chain: history stays with the old id, the new device points back to it. */
  replaces?: string | undefined;
  replacedBy?: string | undefined;
  /** Heartbeat interval the device confirmed after a `configure` command; absent: its kind's default (issue 11). */
  heartbeatSec?: number | undefined;
}

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** `scrypt$…` (hub/auth/passwords.ts). */
  passwordHash: string;
  /** Family users: the homes they may see. */
  homeIds: string[];
  createdAt: string;
  /** A disabled user cannot log in and has no sessions. */
  disabled?: boolean | undefined;
}

/** One registry file: a schema version (for migrations) and records by id. */
export interface RegistryFile<T> {
  schemaVersion: number;
  items: Record<string, T>;
}

export const REGISTRY_SCHEMA_VERSION = 1;
