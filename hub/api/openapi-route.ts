/**
 * Every API route is declared once with `defineRoute`: method, path, the
 * roles allowed, its zod request schemas and its response. From that one
 * declaration @hono/zod-openapi validates the request and generates the
 * OpenAPI document (`x-roles` carries the roles), and the route × role matrix
 * test reads the roles back from that document — so what is documented, what
 * is enforced and what is tested cannot disagree.
 */
import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import { z } from 'zod';
import type { Role } from '../registry/records.js';
import { allow, type ApiEnv } from './auth-middleware.js';
import { invalidInput } from './errors.js';

/** A router whose validation failures become the API's one 400 shape, naming the fields. */
export function newRouter(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidInput(result.error, result.target === 'json' ? 'body' : result.target === 'query' ? 'query' : 'path');
    },
  });
}

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('machine-readable, e.g. invalid_body, forbidden, conflict'),
      message: z.string().describe('what went wrong and what to do'),
      issues: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional().describe('for 400: each bad field, with a machine-readable code'),
    }),
  })
  .meta({ id: 'Error' });

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });

const STANDARD_ERRORS = {
  400: errorResponse('bad input: the message and `issues` name the fields'),
  401: errorResponse('no session, or it expired: log in again'),
  403: errorResponse('your role may not do this'),
  404: errorResponse('no such object (or not one you may see)'),
  409: errorResponse('not possible in the current state'),
  413: errorResponse('the request body is larger than the limit (1 MiB by default)'),
  415: errorResponse('send the body as application/json'),
} as const;

type Config = Omit<RouteConfig, 'middleware' | 'responses'> & {
  roles: readonly Role[];
  summary: string;
  responses: RouteConfig['responses'];
  /**
   * A read a cluster standby may answer from its own copy of the journal
   * (docs/CLUSTER.md "Reads on any node"), documented as `x-replica: true`.
   * Only for GET routes that read nothing but the journal's stores and the
   * registry: never the devices' live state, which only the leader holds.
   */
  replica?: true;
};

/**
 * The route as handlers see it. Response schemas are kept for the document but
 * left out of the handler's type: handlers return domain objects (whose
 * `details: unknown` fields are not provably JSON to the compiler), and the
 * shapes are pinned by the API tests instead.
 */
export type DefinedRoute<C extends Config> = Omit<C, 'roles' | 'responses' | 'replica'> & {
  middleware: [ReturnType<typeof allow>];
  responses: Record<number, { description: string }>;
  'x-roles': readonly Role[];
  getRoutingPath(): string;
};

/** A route with its roles enforced (deny by default: no roles, no route) and documented. */
export function defineRoute<const C extends Config>(config: C): DefinedRoute<C> {
  const { roles, responses, replica, ...route } = config;
  if (roles.length === 0) throw new Error(`route ${route.method} ${route.path} allows no role`);
  if (replica && route.method !== 'get') throw new Error(`route ${route.method} ${route.path}: only a GET may be answered by a replica`);
  const created = createRoute({
    ...route,
    middleware: [allow(...roles)],
    responses: { ...STANDARD_ERRORS, ...responses },
    'x-roles': roles,
    ...(replica ? { 'x-replica': true } : {}),
  });
  return created as unknown as DefinedRoute<C>;
}

/** A route anyone may call (login, health, the OpenAPI document itself): documented as `x-roles: [public]`. */
export function definePublicRoute<const C extends Omit<Config, 'roles'>>(config: C) {
  const { responses, ...route } = config;
  const created = createRoute({ ...route, responses: { ...STANDARD_ERRORS, ...responses }, 'x-roles': ['public'] as string[] });
  return created as unknown as Omit<C, 'responses'> & { responses: Record<number, { description: string }>; getRoutingPath(): string };
}

export const ALL_ROLES = ['admin', 'supervisor', 'operator', 'installer', 'visitor', 'family'] as const satisfies readonly Role[];

/** A JSON request body. */
export function jsonRequest<S extends z.ZodType>(schema: S) {
  return { content: { 'application/json': { schema } }, required: true } as const;
}

/** A 200/201 JSON response. */
export function jsonResponse<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}
