/**
 * Users and roles (admin only): /api/v1/users. Passwords are hashed with
 * scrypt and never returned; a role change, a new password or disabling a
 * user ends that user's sessions at once. The last active admin cannot be
 * disabled or demoted (409): nobody could manage users after that.
 */
import { z } from 'zod';
import type { AuditLog } from '../../audit/audit-log.js';
import { hashPassword } from '../../auth/passwords.js';
import type { SessionStore } from '../../auth/sessions.js';
import type { Registry } from '../../registry/registry.js';
import { ROLES, type UserRecord } from '../../registry/records.js';
import { HttpError } from '../errors.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';
import { User } from '../schemas.js';
import { actorOf } from '../auth-middleware.js';

const password = z.string().min(10, 'must be at least 10 characters').max(200);
const username = z.string().trim().regex(/^[a-z0-9._-]{2,50}$/, 'use 2–50 lower-case letters, digits, dot, dash or underscore');

const routes = {
  list: defineRoute({ method: 'get', path: '/', roles: ['admin'], summary: 'All users', responses: { 200: jsonResponse(z.object({ users: z.array(User) }), 'users') } }),
  create: defineRoute({
    method: 'post',
    path: '/',
    roles: ['admin'],
    summary: 'Create a user (family users: with the homes they may see)',
    request: {
      body: jsonRequest(
        z.object({ username, password, role: z.enum(ROLES), displayName: z.string().trim().min(1).max(100).optional(), homeIds: z.array(z.string()).max(20).default([]) }),
      ),
    },
    responses: { 201: jsonResponse(User, 'the new user') },
  }),
  update: defineRoute({
    method: 'patch',
    path: '/{userId}',
    roles: ['admin'],
    summary: 'Change role, homes, name, password, or disable; ends the user\u2019s sessions when access changes (409 for the last active admin\u2019s role or disabling)',
    request: {
      params: z.object({ userId: z.string() }),
      body: jsonRequest(
        z
          .object({ role: z.enum(ROLES), displayName: z.string().trim().min(1).max(100), homeIds: z.array(z.string()).max(20), disabled: z.boolean(), password })
          .partial()
          .strict(),
      ),
    },
    responses: { 200: jsonResponse(User, 'the user') },
  }),
};

const view = ({ passwordHash: _hash, ...user }: UserRecord) => user;

export function usersRoutes(deps: { registry: Registry; sessions: SessionStore; audit: AuditLog }) {
  const app = newRouter();

  const checkHomes = (homeIds: readonly string[]) => {
    const missing = homeIds.find((id) => !deps.registry.getHome(id));
    if (missing) throw new HttpError(400, 'invalid_body', `invalid body: homeIds: home ${missing} does not exist`);
  };

  // Nobody could manage users any more (the console's admin pages, this API): refuse it (issue 13).
  const checkNotLastAdmin = (userId: string, changes: { role?: string | undefined; disabled?: boolean | undefined }) => {
    const target = deps.registry.getUser(userId);
    const losesAdmin = (changes.role !== undefined && changes.role !== 'admin') || changes.disabled === true;
    if (!target || target.role !== 'admin' || target.disabled || !losesAdmin) return;
    const others = deps.registry.listUsers().filter((u) => u.id !== userId && u.role === 'admin' && !u.disabled);
    if (others.length === 0) throw new HttpError(409, 'conflict', `${target.username} is the last active admin: make another user admin first`);
  };

  app.openapi(routes.list, (c) => c.json({ users: deps.registry.listUsers().map(view) }, 200));

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    checkHomes(body.homeIds);
    const user = await deps.registry.createUser({ ...body, passwordHash: await hashPassword(body.password) });
    deps.audit.record('user.created', actorOf(c), user.username, { role: user.role, homeIds: user.homeIds });
    return c.json(view(user), 201);
  });

  app.openapi(routes.update, async (c) => {
    const { userId } = c.req.valid('param');
    const { password: newPassword, ...changes } = c.req.valid('json');
    if (changes.homeIds) checkHomes(changes.homeIds);
    checkNotLastAdmin(userId, changes);
    const passwordHash = newPassword ? await hashPassword(newPassword) : undefined;
    const user = await deps.registry.updateUser(userId, (u) => ({ ...u, ...changes, ...(passwordHash ? { passwordHash } : {}) }));
    // Access changed: old sessions carry the old role and homes, so they end now.
    const reason = changes.disabled ? 'user disabled' : changes.role ? 'role changed' : changes.homeIds ? 'homes changed' : passwordHash ? 'password changed' : undefined;
    if (reason) await deps.sessions.revokeUser(user.id, reason);
    deps.audit.record('user.updated', actorOf(c), user.username, { ...changes, passwordChanged: passwordHash !== undefined });
    return c.json(view(user), 200);
  });

  return app;
}
