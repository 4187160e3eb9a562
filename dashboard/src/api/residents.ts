/**
 * The resident page's calls (issue 13 item 3): the profile, the rule
 * thresholds per resident and per home with the catalogue's defaults, the
 * away period, and the resident's alerts and visits.
 */
import { del, get, patch, post, put } from './http.js';
import type { AlertSummary, Contact, HomeDetail, VisitRecord } from './types.js';
import type { ResidentInput, ResidentRecord } from '../../../hub/registry/records.js';

export type { ResidentRecord };

/** GET /rules: a rule with its defaults and its parameters' JSON Schema. */
export interface RuleInfo {
  id: string;
  alertKind: string;
  severity: string;
  description: string;
  defaults: Record<string, unknown>;
  params: { properties?: Record<string, { type?: string; description?: string; minimum?: number; maximum?: number; pattern?: string }> };
}

export type ProfileChange = Partial<Pick<ResidentRecord, 'name' | 'phone' | 'conditions' | 'medicationNotes' | 'accessNotes'>> & { contacts?: Contact[] };

export type SettingsOwner = { type: 'resident' | 'home'; id: string };

const resident = (id: string) => `/residents/${encodeURIComponent(id)}`;
const settings = (owner: SettingsOwner, ruleId: string) => `/${owner.type}s/${encodeURIComponent(owner.id)}/rule-settings/${encodeURIComponent(ruleId)}`;

export const residentsApi = {
  get: (id: string) => get<ResidentRecord>(resident(id)),
  home: (homeId: string) => get<HomeDetail>(`/homes/${encodeURIComponent(homeId)}`),
  updateProfile: (id: string, change: ProfileChange) => patch<ResidentRecord>(`${resident(id)}/profile`, change),
  rules: () => get<{ rules: RuleInfo[] }>('/rules').then((r) => r.rules),
  setRule: (owner: SettingsOwner, ruleId: string, params: Record<string, unknown>) => put<{ params: Record<string, unknown> }>(settings(owner, ruleId), params),
  clearRule: (owner: SettingsOwner, ruleId: string) => del<{ params: Record<string, unknown> }>(settings(owner, ruleId)),
  setAway: (id: string, body: { away: boolean; from?: string | undefined; until?: string | undefined }) => post<ResidentRecord>(`${resident(id)}/away`, body),
  alerts: (homeId: string) => get<{ alerts: AlertSummary[] }>(`/alerts?homeId=${encodeURIComponent(homeId)}&limit=50`).then((r) => r.alerts),
  /** Couples (issue 13 item 12): another resident in the home, and whose bracelet is whose. */
  add: (homeId: string, input: Pick<ResidentInput, 'name' | 'birthYear'>) => post<ResidentRecord>(`/homes/${encodeURIComponent(homeId)}/residents`, input),
  giveDevice: (homeId: string, deviceId: string, residentId: string) =>
    put<{ id: string; residentId: string }>(`/homes/${encodeURIComponent(homeId)}/devices/${encodeURIComponent(deviceId)}/resident`, { residentId }),
  visits: (id: string) => get<{ visits: VisitRecord[] }>(`/visits?residentId=${encodeURIComponent(id)}`).then((r) => r.visits),
};
