/**
 * Which requests a cluster standby may answer from its own copy of the
 * journal (docs/CLUSTER.md "Reads on any node"): the routes declared with
 * `replica: true` (openapi-route.ts), read back from the app's own OpenAPI
 * document as `x-replica`, so what is declared, documented and served cannot
 * disagree; and the console's own files. Everything else goes to the leader.
 */
import { API_BASE } from './app.js';

export type ReplicaRoutes = (method: string, path: string) => boolean;

interface OpenApiDocument {
  paths?: Record<string, Record<string, { 'x-replica'?: unknown }>>;
}

/** `app` is the API app (hub/api/app.ts); its document is public, so asking it needs no session. */
export async function replicaRoutes(app: { request(path: string): Response | Promise<Response> }): Promise<ReplicaRoutes> {
  const answer = await app.request(`${API_BASE}/openapi.json`);
  if (!answer.ok) throw new Error(`the API's OpenAPI document answered ${answer.status}`);
  const doc = (await answer.json()) as OpenApiDocument;
  const patterns: RegExp[] = [];
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    if (operations.get?.['x-replica'] === true) patterns.push(pathPattern(`${API_BASE}${path}`));
  }
  return (method, path) => {
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (isConsoleFile(path)) return true;
    return patterns.some((pattern) => pattern.test(path));
  };
}

/** `/api/v1/alerts/{alertId}` → one segment per parameter, nothing else. */
function pathPattern(path: string): RegExp {
  const escaped = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

/** The console's pages and assets: served from files, nothing of the leader's state. */
function isConsoleFile(path: string): boolean {
  return !path.startsWith('/api/') && path !== '/api' && path !== '/metrics';
}
