/**
 * Which home a console's write concerns (issue 12 step 3, docs/CLUSTER.md
 * "Step 3, the wiring still to do" item 4): a write for a home must run on
 * the owner of the home's partition, whose journal is fenced by that
 * partition's lease; the front (leader-proxy.ts) passes it there. Pure: the
 * ids are looked up in what every node holds (the replicated alert and
 * call-back stores, the registry), passed in as functions.
 *
 * Mostly from the method and path alone: the front streams bodies and never
 * buffers them (docs/CLUSTER.md "Consoles on any node"). Three writes name
 * their home only in their JSON body (`body` entries below); for these alone
 * the front reads a small body (held-body.ts: JSON, 16 KiB, 10 s) and routes
 * by the field it names. The routing's question stays "method and path"
 * (ownerRouter, and the composition root's `homeOf`): the front asks it with
 * the body's id appended as a query, `/api/v1/visits?residentId=r-1`
 * (`routedPath`). A client cannot send that form: the front asks with the
 * request's path, cut at its `?` (request-path.ts), and appends only what it
 * read in the body.
 *
 * Undefined — the leader answers, as before owners — for every write of no
 * home, every read, a path of no route, an id nobody knows (the leader
 * answers its 404 as it does today), and a body route whose body was not
 * read or names no home (too large, not JSON, the field missing or not a
 * string: the leader answers as before, 400, 413, or 503 for a home it does
 * not own). Never throws: a malformed escape in the path, or a lone
 * surrogate in a body's id, is "no home".
 *
 * Every write route of the API (hub/api/routes/) is in one of the two
 * tables; tests/owner-routing.test.ts checks that against the app's OpenAPI
 * document, so a new write route must be placed deliberately.
 */

/** What the front can look an id up in; each answers the id's home, undefined when unknown. */
export interface HomeLookups {
  /** The replicated alert store (every node applies every alert line). */
  alertHome(alertId: string): string | undefined;
  /** The registry (every node follows its change feed). */
  deviceHome(deviceId: string): string | undefined;
  residentHome(residentId: string): string | undefined;
  /** The replicated call-back store. */
  callbackHome(callbackId: string): string | undefined;
  planHome(planId: string): string | undefined;
}

type IdKind = 'home' | keyof HomeLookups;

/** A write whose home is found by a path parameter. */
export interface PathHomeRoute {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under /api/v1, as the OpenAPI document writes it. */
  path: string;
  /** The path parameter the home is found by, and what it names. */
  param: string;
  by: IdKind;
}

/** A write whose home is named only in its JSON body (module comment). */
export interface BodyHomeRoute {
  method: 'POST';
  path: string;
  /** The body's top-level string field the home is found by, as the route's schema reads it (`trim`: zod's `.trim()`). */
  body: { field: string; trim?: boolean };
  by: 'home' | 'residentHome';
}

export type HomeWriteRoute = PathHomeRoute | BodyHomeRoute;

const API_BASE = '/api/v1';

/** The writes that concern one home: run by the home's owner. */
export const HOME_WRITE_ROUTES: readonly HomeWriteRoute[] = [
  // Alert lifecycle: lines of the alert's home (alert-store.ts), and help_coming / silence commands to its devices.
  ...['acknowledge', 'dispatch', 'notes', 'resolve', 'on-my-way', 'release', 'handover', 'silence'].map((action) => ({ method: 'POST' as const, path: `/alerts/{alertId}/${action}`, param: 'alertId', by: 'alertHome' as const })),
  { method: 'PATCH', path: '/alerts/{alertId}/responders/{responderId}', param: 'alertId', by: 'alertHome' },
  { method: 'PUT', path: '/alerts/{alertId}/review', param: 'alertId', by: 'alertHome' },
  // Call-backs and wellbeing plans: lines of the home (callback-store.ts), their timers on the owner.
  { method: 'POST', path: '/callbacks/{callbackId}/outcome', param: 'callbackId', by: 'callbackHome' },
  { method: 'DELETE', path: '/wellbeing-plans/{planId}', param: 'planId', by: 'planHome' },
  // Their creation names the home in the body only (callbacks.ts schemas).
  { method: 'POST', path: '/callbacks', body: { field: 'homeId' }, by: 'home' },
  { method: 'POST', path: '/wellbeing-plans', body: { field: 'homeId' }, by: 'home' },
  // A visit: a follow-up raises an alert of the resident's home (visits.ts; the schema trims the id).
  { method: 'POST', path: '/visits', body: { field: 'residentId', trim: true }, by: 'residentHome' },
  // Devices: commands (outbox lines of the device's home), its watchdog and connection on the owner.
  ...['rotate-secret', 'revoke', 'replace', 'configure', 'move'].map((action) => ({ method: 'POST' as const, path: `/devices/{deviceId}/${action}`, param: 'deviceId', by: 'deviceHome' as const })),
  // A home's devices, residents, commissioning and place: what the owner's ingest, rules and commissioning act on.
  { method: 'POST', path: '/homes/{homeId}/devices', param: 'homeId', by: 'home' },
  { method: 'POST', path: '/homes/{homeId}/go-live', param: 'homeId', by: 'home' },
  { method: 'PUT', path: '/homes/{homeId}/geo', param: 'homeId', by: 'home' },
  { method: 'DELETE', path: '/homes/{homeId}/geo', param: 'homeId', by: 'home' },
  { method: 'POST', path: '/homes/{homeId}/residents', param: 'homeId', by: 'home' },
  { method: 'PUT', path: '/homes/{homeId}/devices/{deviceId}/resident', param: 'homeId', by: 'home' },
  { method: 'PUT', path: '/homes/{id}/rule-settings/{ruleId}', param: 'id', by: 'home' },
  { method: 'DELETE', path: '/homes/{id}/rule-settings/{ruleId}', param: 'id', by: 'home' },
  // Residents: their rules' thresholds and away periods are the owner's rules engine's.
  { method: 'PATCH', path: '/residents/{id}', param: 'id', by: 'residentHome' },
  { method: 'PATCH', path: '/residents/{id}/profile', param: 'id', by: 'residentHome' },
  { method: 'POST', path: '/residents/{id}/away', param: 'id', by: 'residentHome' },
  { method: 'PUT', path: '/residents/{id}/rule-settings/{ruleId}', param: 'id', by: 'residentHome' },
  { method: 'DELETE', path: '/residents/{id}/rule-settings/{ruleId}', param: 'id', by: 'residentHome' },
];

/** The writes that stay with the leader (the holder of partition -1), and why. */
export const LEADER_WRITE_ROUTES: readonly { method: HomeWriteRoute['method']; path: string; why: string }[] = [
  { method: 'POST', path: '/auth/login', why: 'a session belongs to no home; every node accepts it (sessions.ts lookup)' },
  { method: 'POST', path: '/auth/logout', why: 'a session belongs to no home; its end is announced to every node' },
  { method: 'POST', path: '/users', why: 'users belong to no home' },
  { method: 'PATCH', path: '/users/{userId}', why: 'users belong to no home; the sessions it ends are ended on every node' },
  { method: 'PUT', path: '/homes/{homeId}/family/{userId}', why: "a user's access (the user record), not the home's state" },
  { method: 'DELETE', path: '/homes/{homeId}/family/{userId}', why: "a user's access (the user record), not the home's state" },
  { method: 'POST', path: '/homes', why: 'the home does not exist yet: a registry record, nothing of an owner' },
  { method: 'POST', path: '/homes/batch', why: 'many homes at once (registry records)' },
  { method: 'POST', path: '/drills', why: "many homes: partition -1's holder starts drills (docs/CLUSTER.md, step 3 service table)" },
  { method: 'POST', path: '/drills/{drillId}/end', why: "partition -1's holder" },
  { method: 'POST', path: '/notifications/webhooks', why: 'settings of the organisation' },
  { method: 'PATCH', path: '/notifications/webhooks/{webhookId}', why: 'settings of the organisation' },
  { method: 'DELETE', path: '/notifications/webhooks/{webhookId}', why: 'settings of the organisation' },
  { method: 'POST', path: '/notifications/webhooks/{webhookId}/test', why: 'settings of the organisation (a test delivery of no alert)' },
  { method: 'PUT', path: '/presence/me', why: "an operator's presence, not a home's" },
];

interface Compiled {
  method: string;
  segments: readonly string[];
  /** Index of the segment holding the id. */
  at: number;
  by: IdKind;
}

const COMPILED: readonly Compiled[] = HOME_WRITE_ROUTES.flatMap((r) => {
  if ('body' in r) return [];
  const segments = `${API_BASE}${r.path}`.split('/');
  return [{ method: r.method, segments, at: segments.indexOf(`{${r.param}}`), by: r.by }];
});

/** The body routes by method and full path. */
const BODY_ROUTES: ReadonlyMap<string, BodyHomeRoute> = new Map(HOME_WRITE_ROUTES.flatMap((r) => ('body' in r ? [[`${r.method} ${API_BASE}${r.path}`, r] as const] : [])));

/** The route naming its home in the body, for this method and path (a path cut at its `?`); undefined for every other request. */
export function bodyHomeRoute(method: string, path: string): BodyHomeRoute | undefined {
  return BODY_ROUTES.get(`${method} ${path}`);
}

/**
 * What the front asks the routing with once it has read such a body
 * (module comment): the path with the body's id as a query; the path
 * itself when the body is not JSON, not an object, or its field is not a
 * non-empty string (the leader answers it). Never throws.
 */
export function routedPath(path: string, route: BodyHomeRoute, body: Uint8Array): string {
  let json: unknown;
  try {
    // As fetch's text() (hono's c.req.json()) decodes it: UTF-8, a leading BOM dropped.
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return path;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Object.hasOwn(json, route.body.field)) return path;
  const value: unknown = (json as Record<string, unknown>)[route.body.field];
  if (typeof value !== 'string') return path;
  const id = route.body.trim ? value.trim() : value;
  if (id === '') return path;
  try {
    return `${path}?${encodeURIComponent(route.body.field)}=${encodeURIComponent(id)}`;
  } catch {
    return path; // a lone surrogate (`"\ud800"` is valid JSON) has no UTF-8 form
  }
}

/** The home a request concerns (module comment); undefined: the leader's. */
export function homeOfRequest(method: string, path: string, lookups: HomeLookups): string | undefined {
  const named = idOfRequest(method, path);
  return named && homeOfId(named.by, named.id, lookups);
}

/** Registry records a home write can name, by what the route finds its home by. */
const REGISTRY_KIND = { home: 'homes', deviceHome: 'devices', residentHome: 'residents' } as const;

/**
 * The registry record a home write names (its home, device or resident),
 * for the node that runs it to make sure it holds that record
 * (RegistryCache.catchUp); undefined for every other request, and for a
 * write named by an alert, a call-back or a plan (journal stores).
 */
export function registryRecordOfRequest(method: string, path: string): { kind: 'homes' | 'devices' | 'residents'; id: string } | undefined {
  const named = idOfRequest(method, path);
  if (!named || !(named.by in REGISTRY_KIND)) return undefined;
  return { kind: REGISTRY_KIND[named.by as keyof typeof REGISTRY_KIND], id: named.id };
}

/** The id a home write names and what it names, from its path (or, for a body route, the query `routedPath` appended). */
function idOfRequest(method: string, path: string): { by: IdKind; id: string } | undefined {
  if (!path.startsWith(`${API_BASE}/`)) return undefined;
  const query = path.indexOf('?');
  if (query !== -1) return idInBody(method, path.slice(0, query), path.slice(query + 1));
  const segments = path.split('/');
  for (const route of COMPILED) {
    if (route.method !== method || !matches(route.segments, segments)) continue;
    const id = decoded(segments[route.at]!);
    return id === undefined ? undefined : { by: route.by, id };
  }
  return undefined;
}

/** A body route asked with the id the front read in the body (`routedPath`). */
function idInBody(method: string, path: string, query: string): { by: IdKind; id: string } | undefined {
  const route = bodyHomeRoute(method, path);
  if (!route) return undefined;
  const prefix = `${encodeURIComponent(route.body.field)}=`;
  if (!query.startsWith(prefix)) return undefined;
  const id = decoded(query.slice(prefix.length));
  return id === undefined || id === '' ? undefined : { by: route.by, id };
}

function homeOfId(by: IdKind, id: string, lookups: HomeLookups): string | undefined {
  if (by === 'home') return id;
  try {
    return lookups[by](id);
  } catch {
    return undefined; // a lookup that fails is "no home": the leader answers as today
  }
}

/** `{name}` matches one non-empty segment; any other segment itself. */
function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  if (pattern.length !== segments.length) return false;
  return pattern.every((p, i) => (p.startsWith('{') ? segments[i] !== '' : p === segments[i]));
}

/** A path parameter as the API reads it (percent-decoded); undefined for a malformed escape. */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
