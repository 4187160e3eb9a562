/**
 * Shifts (issue 13 item 7): operator presence. GET /presence lists who is
 * online, away or offline; PUT /presence/me sets the caller's own state. The
 * consoles use it to decide who hears a new critical alert first.
 */
import { z } from 'zod';
import { PRESENCE_STATES, type OperatorPresence } from '../../shifts/presence.js';
import { defineRoute, jsonRequest, jsonResponse, newRouter } from '../openapi-route.js';

const handlers = ['admin', 'supervisor', 'operator'] as const;
const Entry = z.looseObject({ username: z.string(), role: z.string(), state: z.enum(PRESENCE_STATES), since: z.string() }).meta({ id: 'Presence' });

const routes = {
  list: defineRoute({
    method: 'get',
    path: '/presence',
    roles: handlers,
    summary: 'Who is at the console: online (a console connected, not away), away, or offline (no console connected)',
    responses: { 200: jsonResponse(z.object({ presence: z.array(Entry) }), 'everyone seen since the hub started') },
  }),
  set: defineRoute({
    method: 'put',
    path: '/presence/me',
    roles: handlers,
    summary: 'Say you are online or away; away operators hear a new critical alert only when nobody online answered it within 30 s',
    request: { body: jsonRequest(z.object({ state: z.enum(['online', 'away']) }).strict()) },
    responses: { 200: jsonResponse(Entry, 'your presence now') },
  }),
};

export function shiftsRoutes(deps: { presence: OperatorPresence }) {
  const app = newRouter();
  app.openapi(routes.list, (c) => c.json({ presence: deps.presence.list() }, 200));
  app.openapi(routes.set, (c) => {
    const session = c.get('session');
    return c.json(deps.presence.choose(session.username, session.role, c.req.valid('json').state), 200);
  });
  return app;
}
