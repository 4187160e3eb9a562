/**
 * Two start steps of the composition root that are not services of their own
 * (hub/hub.ts lists them with `step`): the first admin of an empty hub, and
 * what tightening the data dir's modes found. Kept here so hub.ts stays the
 * list of services and their order.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { generatePassword, hashPassword } from '../auth/passwords.js';
import type { Tightened } from '../core/data-dir.js';
import type { Logger } from '../core/logger.js';
import type { Registry } from '../registry/registry.js';

/** Creates `admin` on a hub with no user; returns the password only when it was generated (printed once). */
export async function ensureAdmin(registry: Registry, audit: AuditLog, adminPassword: string | undefined): Promise<string | undefined> {
  if (registry.userCount() > 0) return undefined;
  const generated = adminPassword ? undefined : generatePassword();
  const password = adminPassword ?? generated!;
  await registry.createUser({ username: 'admin', displayName: 'Administrator', role: 'admin', passwordHash: await hashPassword(password) });
  audit.record('user.created', 'system', 'admin', { role: 'admin', passwordGenerated: generated !== undefined });
  return generated;
}

export function reportDataDirModes(log: Logger, dataDir: string, { changed, failed }: Tightened): void {
  // Said once, at start: these files hold password hashes and medical notes (DESIGN.md §11).
  if (changed.length > 0) log.warn({ dataDir, tightened: changed.length, examples: changed.slice(0, 5) }, 'data dir was readable by other users: tightened to 0700 (dirs) / 0600 (files)');
  if (failed.length > 0) log.error({ dataDir, failed: failed.slice(0, 5) }, 'data dir permissions could not all be tightened: fix the owner / modes by hand');
}
