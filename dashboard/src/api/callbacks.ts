/** Call-backs, wellbeing plans and operator presence (issue 13 items 6, 7): the console never builds these URLs elsewhere. */
import { get, post, request } from './http.js';
import type { CallbackOutcome, CallbackRecord, PresenceEntry, WellbeingPlan } from './types.js';

export type CallbackView = 'agenda' | 'pending' | 'done' | 'cancelled' | 'all';

export const callbacksApi = {
  list: (view: CallbackView = 'agenda') => get<{ callbacks: CallbackRecord[] }>(`/callbacks?view=${view}`).then((r) => r.callbacks),
  schedule: (homeId: string, dueAt: string, note?: string) => post<CallbackRecord>('/callbacks', note ? { homeId, dueAt, note } : { homeId, dueAt }),
  log: (id: string, outcome: CallbackOutcome, note?: string) => post<CallbackRecord>(`/callbacks/${encodeURIComponent(id)}/outcome`, note ? { outcome, note } : { outcome }),
  plans: () => get<{ plans: WellbeingPlan[] }>('/wellbeing-plans').then((r) => r.plans),
  setPlan: (homeId: string, everyDays: number, firstDueAt: string, note?: string) => post<WellbeingPlan>('/wellbeing-plans', note ? { homeId, everyDays, firstDueAt, note } : { homeId, everyDays, firstDueAt }),
  endPlan: (id: string) => request<{ ok: true }>('DELETE', `/wellbeing-plans/${encodeURIComponent(id)}`),
};

export const presenceApi = {
  list: () => get<{ presence: PresenceEntry[] }>('/presence').then((r) => r.presence),
  set: (state: 'online' | 'away') => request<PresenceEntry>('PUT', '/presence/me', { state }),
};
