/** The alert calls of the console. Each action returns the updated alert. */
import { get, patch, post, request } from './http.js';
import type { Alert, Outcome, ResponderKind, ResponderState, ReviewInput } from './types.js';

const base = (id: string) => `/alerts/${encodeURIComponent(id)}`;

export interface NewResponder {
  kind: ResponderKind;
  name: string;
  phone?: string;
}

export const alertsApi = {
  get: (id: string) => get<Alert>(base(id)),
  acknowledge: (id: string) => post<Alert>(`${base(id)}/acknowledge`, {}),
  dispatch: (id: string, responders: NewResponder[]) => post<Alert>(`${base(id)}/dispatch`, { responders }),
  updateResponder: (id: string, responderId: string, state: ResponderState) =>
    patch<Alert>(`${base(id)}/responders/${encodeURIComponent(responderId)}`, { state }),
  addNote: (id: string, text: string) => post<Alert>(`${base(id)}/notes`, { text }),
  resolve: (id: string, outcome: Outcome, note?: string) => post<Alert>(`${base(id)}/resolve`, note ? { outcome, note } : { outcome }),
  silence: (id: string) => post<Alert>(`${base(id)}/silence`, {}),
  release: (id: string, note?: string) => post<Alert>(`${base(id)}/release`, note ? { note } : {}),
  handOver: (id: string, to: string, note: string) => post<Alert>(`${base(id)}/handover`, { to, note }),
  review: (id: string, review: ReviewInput) => request<Alert>('PUT', `${base(id)}/review`, review),
};
