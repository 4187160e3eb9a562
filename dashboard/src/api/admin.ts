/**
 * The admin pages' calls (issue 13 item 2): users and roles, family links,
 * the organisation's webhooks with their test send and delivery log, and the
 * backup and retention status. Pages never build these URLs themselves.
 */
import type { DeliveryView } from '../../../hub/notify/notify-service.js';
import type { OrgWebhookView } from '../../../hub/notify/webhook-store.js';
import type { DataStatus } from '../../../hub/storage/data-status.js';
import { del, get, patch, post, put } from './http.js';
import type { HomeView, Role, Severity } from './types.js';

export type { DataStatus, DeliveryView, OrgWebhookView };

/** A user as GET /users lists them (never the password hash). */
export interface AdminUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  homeIds: string[];
  disabled?: boolean | undefined;
}

export interface NewUser {
  username: string;
  displayName?: string | undefined;
  password: string;
  role: Role;
}

export interface NewWebhookInput {
  name: string;
  url: string;
  secret: string;
  severities: Severity[];
}

const user = (id: string) => `/users/${encodeURIComponent(id)}`;
const webhook = (id: string) => `/notifications/webhooks/${encodeURIComponent(id)}`;
const familyLink = (homeId: string, userId: string) => `/homes/${encodeURIComponent(homeId)}/family/${encodeURIComponent(userId)}`;

export const adminApi = {
  users: () => get<{ users: AdminUser[] }>('/users').then((r) => r.users),
  createUser: (input: NewUser) => post<AdminUser>('/users', input),
  updateUser: (id: string, change: Partial<Pick<AdminUser, 'role' | 'displayName' | 'disabled'>> & { password?: string }) => patch<AdminUser>(user(id), change),
  homes: () => get<{ homes: HomeView[] }>('/homes').then((r) => r.homes),
  linkFamily: (homeId: string, userId: string) => put<AdminUser>(familyLink(homeId, userId)),
  unlinkFamily: (homeId: string, userId: string) => del<AdminUser>(familyLink(homeId, userId)),

  webhooks: () => get<{ webhooks: OrgWebhookView[] }>('/notifications/webhooks').then((r) => r.webhooks),
  createWebhook: (input: NewWebhookInput) => post<OrgWebhookView>('/notifications/webhooks', input),
  setWebhookEnabled: (id: string, enabled: boolean) => patch<OrgWebhookView>(webhook(id), { enabled }),
  deleteWebhook: (id: string) => del<void>(webhook(id)),
  testWebhook: (id: string) => post<DeliveryView>(`${webhook(id)}/test`, {}),
  deliveries: (limit = 50) => get<{ deliveries: DeliveryView[] }>(`/notifications/deliveries?limit=${limit}`).then((r) => r.deliveries),

  dataStatus: () => get<DataStatus>('/admin/data-status'),
};
