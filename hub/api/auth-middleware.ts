/**
 * Authentication and role checks. A session token comes as a bearer header
 * (API clients, devices' tools) or as the `hc_session` HttpOnly cookie (the
 * browser). Every route states the roles it allows with `allow(...)`; a route
 * that forgets gets nothing, because `requireSession` alone admits no role.
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Session, SessionStore } from '../auth/sessions.js';
import { bearerFrom, SESSION_COOKIE } from '../auth/session-token.js';
import type { Role } from '../registry/records.js';
import { HttpError } from './errors.js';
import { crossOriginWriteReason } from '../auth/same-origin.js';

export { SESSION_COOKIE };

export type ApiEnv = { Variables: { session: Session; token: string } };

/** Who did it, as the audit log and alert history name a signed-in user: `user:<username>`. */
export function actorOf(c: { get(key: 'session'): { username: string } }): string {
  return `user:${c.get('session').username}`;
}

/**
 * The session gate. A request that rides the browser's cookie (no bearer
 * header) and changes something must also come from the hub's own pages
 * (CSRF, issue 10 item 5; the rule is in same-origin.ts). Bearer clients are
 * unaffected: no other page can attach the header.
 */
export function requireSession(sessions: SessionStore): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const bearer = bearerFrom(c.req.header('authorization'));
    const token = bearer ?? getCookie(c, SESSION_COOKIE);
    // A token this node does not hold may be another node's login (PostgreSQL, a cluster): asked of the store once, rate-limited.
    const session = token ? (sessions.resolve(token) ?? (await sessions.lookup(token))) : undefined;
    if (!token || !session) throw new HttpError(401, 'unauthenticated', 'log in first: POST /api/v1/auth/login, then send Authorization: Bearer <token>');
    if (!bearer) {
      const reason = crossOriginWriteReason(c.req.method, { origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site'), host: c.req.header('host') });
      if (reason) throw crossOriginRefusal(reason);
    }
    c.set('session', session);
    c.set('token', token);
    await next();
  };
}

export function allow(...roles: Role[]): MiddlewareHandler<ApiEnv> {
  const allowed = new Set(roles);
  return async (c, next) => {
    const session = c.get('session');
    if (!allowed.has(session.role)) {
      throw new HttpError(403, 'forbidden', `this needs one of the roles: ${roles.join(', ')}`);
    }
    await next();
  };
}

/** Which homes a session may see: a family user only their own; everyone else all. */
export function visibleHomeIds(session: Session): ReadonlySet<string> | undefined {
  return session.role === 'family' ? new Set(session.homeIds) : undefined;
}

/**
 * A family user asking for something in another home gets the same 404 as for
 * something that does not exist (issue 10 item 8): the message names only what
 * they asked for (`asked`, e.g. "device d-1"), never the other home's id.
 */
export function assertHomeVisible(session: Session, homeId: string, asked = `home ${homeId}`): void {
  if (session.role === 'family' && !session.homeIds.includes(homeId)) {
    throw new HttpError(404, 'not_found', `${asked} does not exist`);
  }
}

/** The 403 for a cookie-authenticated write from another origin (CSRF, issue 10 item 5). */
function crossOriginRefusal(reason: string): HttpError {
  return new HttpError(
    403,
    'cross_origin',
    `refused: a write with the session cookie must come from the hub's own pages (${reason}); scripts and tools send Authorization: Bearer <token> instead`,
  );
}
