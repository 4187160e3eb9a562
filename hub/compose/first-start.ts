/**
 * Two start steps of the composition root that are not services of their own
 * (hub/hub.ts lists them with `step`): the first admin of an empty hub, and
 * what tightening the data dir's modes found. Kept here so hub.ts stays the
 * list of services and their order.
 */
import type { AuditLog } from '../audit/audit-log.js';
import { FIRST_START_COST, generatePassword, hashPassword } from '../auth/passwords.js';
import type { Tightened } from '../core/data-dir.js';
import type { Logger } from '../core/logger.js';
import type { Registry } from '../registry/registry.js';

/** The first admin's password, being hashed: generated when HUB_ADMIN_PASSWORD is not set. */
export interface FirstAdminPassword {
  generated: string | undefined;
  hash: Promise<string>;
}

/**
 * Starts hashing the first admin's password on a hub with no user yet, so
 * scrypt (~75 ms at the first-start cost, on a thread-pool thread) runs while
 * the rest of the pipeline starts on the main one: the first start of an
 * empty hub is ready that much sooner (issue 14, memory third pass).
 * ensureAdmin awaits it. The admin's first login hashes it again at the full
 * cost (passwords.ts).
 */
export function hashFirstAdminPassword(registry: Registry, adminPassword: string | undefined): FirstAdminPassword | undefined {
  if (registry.userCount() > 0) return undefined;
  const generated = adminPassword ? undefined : generatePassword();
  const hash = hashPassword(adminPassword ?? generated!, FIRST_START_COST);
  hash.catch(() => undefined); // not unhandled in the meantime: ensureAdmin awaits it and fails the start
  return { generated, hash };
}

/** Creates `admin` on a hub with no user; returns the password only when it was generated (printed once). */
export async function ensureAdmin(registry: Registry, audit: AuditLog, password: FirstAdminPassword | undefined): Promise<string | undefined> {
  if (!password || registry.userCount() > 0) return undefined;
  await registry.createUser({ username: 'admin', displayName: 'Administrator', role: 'admin', passwordHash: await password.hash });
  audit.record('user.created', 'system', 'admin', { role: 'admin', passwordGenerated: password.generated !== undefined });
  return password.generated;
}

export function reportDataDirModes(log: Logger, dataDir: string, { changed, failed }: Tightened): void {
  // Said once, at start: these files hold password hashes and medical notes (DESIGN.md §11).
  if (changed.length > 0) log.warn({ dataDir, tightened: changed.length, examples: changed.slice(0, 5) }, 'data dir was readable by other users: tightened to 0700 (dirs) / 0600 (files)');
  if (failed.length > 0) log.error({ dataDir, failed: failed.slice(0, 5) }, 'data dir permissions could not all be tightened: fix the owner / modes by hand');
}
