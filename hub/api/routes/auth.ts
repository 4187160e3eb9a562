/** POST /api/v1/auth/login and /logout. */
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import type { LoginGuard } from '../../auth/login-guard.js';
import { hashPassword, needsRehash, verifyLogin } from '../../auth/passwords.js';
import type { SessionStore } from '../../auth/sessions.js';
import type { Logger } from '../../core/logger.js';
import type { Registry } from '../../registry/registry.js';
import { SESSION_COOKIE } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import { ALL_ROLES, definePublicRoute, defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { Ok, User } from '../schemas.js';

const routes = {
  login: definePublicRoute({
    method: 'post',
    path: '/login',
    summary: 'Log in: returns a bearer token and sets the HttpOnly session cookie',
    request: { body: jsonRequest(z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) })) },
    responses: {
      200: jsonResponse(z.object({ token: z.string(), expiresAt: z.string(), user: User }), 'logged in'),
      429: jsonResponse(z.object({ error: z.object({ code: z.string(), message: z.string() }) }), 'too many failed logins: locked for a while'),
    },
  }),
  me: defineRoute({
    method: 'get',
    path: '/me',
    replica: true,
    roles: ALL_ROLES,
    summary: 'Who this session belongs to (the browser cannot read its HttpOnly cookie)',
    responses: { 200: jsonResponse(z.object({ user: User, expiresAt: z.string() }), 'the session') },
  }),
  logout: defineRoute({
    method: 'post',
    path: '/logout',
    roles: ALL_ROLES,
    summary: 'End this session (the token stops working at once)',
    responses: { 200: jsonResponse(Ok, 'logged out') },
  }),
};

/**
 * Over TLS the cookie is `Secure`, so a browser never sends it over plain HTTP
 * (issue 10 item 8). Read from the request itself: @hono/node-server builds
 * its URL with https when the socket is encrypted. A TLS-terminating proxy in
 * front must then speak HTTPS to the hub too, or the cookie stays plain.
 */
function servedOverTls(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:';
}

export interface AuthRouteDeps {
  registry: Registry;
  sessions: SessionStore;
  audit: AuditLog;
  loginGuard: LoginGuard;
  clientAddress(c: unknown): string;
  log: Logger;
}

/**
 * A password hashed at an older, cheaper cost is hashed again at today's,
 * now that the login has proved it (passwords.ts). A failure costs nothing
 * but the upgrade: the login goes on, and the next one tries again.
 */
async function upgradeHash(deps: AuthRouteDeps, userId: string, password: string): Promise<void> {
  try {
    const passwordHash = await hashPassword(password);
    await deps.registry.updateUser(userId, (u) => ({ ...u, passwordHash }));
  } catch (err) {
    deps.log.warn({ err, userId }, 'password hash not upgraded to the current cost');
  }
}

export function authRoutes(deps: AuthRouteDeps) {
  const app = newRouter();

  app.openapi(routes.login, async (c) => {
    const { username, password } = c.req.valid('json');
    const ip = deps.clientAddress(c);
    const locked = deps.loginGuard.lockedFor(username, ip);
    if (locked > 0) throw new HttpError(429, 'locked', `too many failed logins: try again in ${Math.ceil(locked / 60_000)} min`);
    const user = deps.registry.findUser(username);
    // Same answer and the same scrypt work for an unknown, a disabled and a wrong-password
    // login: neither the message nor the time may reveal which usernames exist.
    const passwordOk = await verifyLogin(password, user?.passwordHash);
    if (!user || user.disabled || !passwordOk) {
      const nowLocked = deps.loginGuard.failed(username, ip);
      deps.audit.record('auth.login_failed', `user:${username.slice(0, 100)}`, undefined, { ip, locked: nowLocked });
      throw new HttpError(401, 'bad_credentials', 'wrong username or password');
    }
    deps.loginGuard.succeeded(username);
    if (needsRehash(user.passwordHash)) await upgradeHash(deps, user.id, password);
    const { token, expiresAt } = await deps.sessions.create({ userId: user.id, username: user.username, role: user.role, homeIds: user.homeIds });
    deps.audit.record('auth.login', `user:${user.username}`, undefined, { ip });
    setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', expires: new Date(expiresAt), secure: servedOverTls(c) });
    return c.json(
      { token, expiresAt: new Date(expiresAt).toISOString(), user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role, homeIds: user.homeIds } },
      200,
    );
  });

  app.openapi(routes.me, (c) => {
    const session = c.get('session');
    const user = deps.registry.getUser(session.userId);
    return c.json(
      {
        user: { id: session.userId, username: session.username, displayName: user?.displayName ?? session.username, role: session.role, homeIds: [...session.homeIds] },
        expiresAt: new Date(session.expiresAt).toISOString(),
      },
      200,
    );
  });

  app.openapi(routes.logout, async (c) => {
    await deps.sessions.revoke(c.get('token'));
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: servedOverTls(c) });
    return c.json({ ok: true as const }, 200);
  });

  return app;
}
