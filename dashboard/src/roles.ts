/**
 * Which pages each role has, and where each lands after logging in. The hub
 * checks the role on every call anyway; this only decides what to offer.
 */
import type { Role } from './api/types.js';
import type { Route } from './router.js';

export const START_PAGE: Record<Role, string> = {
  admin: '#/queue',
  operator: '#/queue',
  supervisor: '#/reports',
  installer: '#/install',
  visitor: '#/visits',
  family: '#/family',
};

/** Roles that may read the reports (GET /reports/* allows admin and supervisor). */
export const REPORT_ROLES: ReadonlySet<string> = new Set(['admin', 'supervisor']);
/** Roles that may create homes and register devices (POST /homes allows admin and installer). */
export const INSTALL_ROLES: ReadonlySet<string> = new Set(['admin', 'installer']);
/** Roles that may log visits (POST /visits allows admin and visitor). */
export const VISIT_ROLES: ReadonlySet<string> = new Set(['admin', 'visitor']);

/** Roles that may change rule thresholds (PUT …/rule-settings allows admin and supervisor). */
export const TUNER_ROLES: ReadonlySet<string> = new Set(['admin', 'supervisor']);

const ROUTES_OF: Record<Role, ReadonlySet<Route['name']>> = {
  admin: new Set(['queue', 'alert', 'homes', 'audit', 'reports', 'install', 'installNew', 'installHome', 'visits', 'adminUsers', 'adminWebhooks', 'adminData', 'resident', 'callbacks', 'handover']),
  supervisor: new Set(['queue', 'alert', 'homes', 'audit', 'reports', 'resident', 'callbacks', 'handover']),
  operator: new Set(['queue', 'alert', 'homes', 'audit', 'resident', 'callbacks', 'handover']),
  installer: new Set(['install', 'installNew', 'installHome']),
  visitor: new Set(['visits']),
  family: new Set(['family']),
};

/** Whether the page belongs to this role's set (audit stays in the operator's set: it shows "not allowed" there). */
export function hasPage(role: Role, route: Route['name']): boolean {
  return route === 'notFound' || ROUTES_OF[role].has(route);
}

/** After login: stay on a page the role has (a bookmark), else the role's start page. */
export function landingHash(role: Role, hash: string, parse: (hash: string) => Route): string {
  if (!hash || hash === '#' || hash === '#/' || hash === '#/login') return START_PAGE[role];
  const route = parse(hash);
  return route.name !== 'notFound' && hasPage(role, route.name) ? hash : START_PAGE[role];
}
