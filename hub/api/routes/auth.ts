/** POST /api/v1/auth/login and /logout. */
import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import { verifyPassword } from '../../auth/passwords.js';
import type { SessionStore } from '../../auth/sessions.js';
import type { Registry } from '../../registry/registry.js';
import { requireSession, SESSION_COOKIE, type ApiEnv } from '../auth-middleware.js';
import { HttpError } from '../errors.js';
import { jsonBody } from '../validation.js';

const loginSchema = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1000),
});

export function authRoutes(deps: { registry: Registry; sessions: SessionStore; audit: AuditLog }) {
  const app = new Hono<ApiEnv>();

  app.post('/login', async (c) => {
    const { username, password } = await jsonBody(c, loginSchema);
    const user = deps.registry.findUser(username);
    // Same answer for unknown user and wrong password: do not reveal which usernames exist.
    if (!user || !(await verifyPassword(password, user.passwordHash))) {
      deps.audit.record('auth.login_failed', `user:${username.slice(0, 100)}`);
      throw new HttpError(401, 'bad_credentials', 'wrong username or password');
    }
    const { token, expiresAt } = deps.sessions.create({ userId: user.id, username: user.username, role: user.role, homeIds: user.homeIds });
    deps.audit.record('auth.login', `user:${user.username}`);
    setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', expires: new Date(expiresAt) });
    return c.json({
      token,
      expiresAt: new Date(expiresAt).toISOString(),
      user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role },
    });
  });

  app.post('/logout', requireSession(deps.sessions), (c) => {
    deps.sessions.revoke(c.get('token'));
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });

  return app;
}
