/**
 * Alerts and people for the shift tests (issue 13): an alert raised straight
 * through the intake (no device needed), and users with an API client each.
 */
import { hashPassword } from '../../hub/auth/passwords.js';
import type { Alert, Severity } from '../../hub/alerts/alert.js';
import type { Role } from '../../hub/registry/records.js';
import { ApiClient } from './api-client.js';
import type { TestHub } from './test-hub.js';

/** Raises an alert as its device would, at `at` (the test's clock); resolves once it is durable. */
export async function raiseAlert(hub: TestHub, at: number, homeId: string, deviceId: string, kind = 'sos', severity: Severity = 'critical'): Promise<Alert> {
  hub.hub.intake.submit({ kind, severity, title: `${kind} alert`, homeId, deviceId }, { deviceId, eventType: kind, at: new Date(at).toISOString() });
  await hub.hub.journal.whenDurable();
  return hub.hub.alerts.list({ homeIds: new Set([homeId]), kind })[0]!;
}

/** A user of the role, logged in over HTTP. */
export async function personWith(hub: TestHub, role: Role, username: string, homeIds?: string[]): Promise<ApiClient> {
  const password = `${username}-password-1`;
  await hub.hub.registry.createUser({ username, role, displayName: username, passwordHash: await hashPassword(password), homeIds });
  const client = new ApiClient(hub.httpUrl);
  await client.login(username, password);
  return client;
}
