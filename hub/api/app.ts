/**
 * The HTTP API: one router per resource mounted under /api/v1, every route
 * declared with its roles and zod schemas (openapi-route.ts), one session
 * gate for everything but the public routes, one error handler producing
 * `{error: {code, message}}`, and the OpenAPI document generated from it all.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { AlertLifecycle } from '../alerts/alert-lifecycle.js';
import type { AlertStore } from '../alerts/alert-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { CallbackService } from '../callbacks/callback-service.js';
import type { CallbackStore } from '../callbacks/callback-store.js';
import type { CommandOutbox } from '../commands/command-outbox.js';
import type { DeviceConfig } from '../commands/device-config.js';
import type { LoginGuard } from '../auth/login-guard.js';
import type { SessionStore } from '../auth/sessions.js';
import { DomainError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Commissioning } from '../homes/commissioning.js';
import type { DeviceService } from '../homes/device-service.js';
import type { HomeService } from '../homes/home-service.js';
import type { RuleSettingsService } from '../homes/rule-settings.js';
import type { OperatorPresence } from '../shifts/presence.js';
import type { DrillService } from '../drills/drill-service.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import type { HealthReport } from '../ops/health-report.js';
import type { NotifyService } from '../notify/notify-service.js';
import type { Registry } from '../registry/registry.js';
import type { ReportService } from '../reports/report-service.js';
import type { AnyRule } from '../rules/define-rule.js';
import type { VisitService } from '../visits/visit-service.js';
import type { DataStatus } from '../storage/data-status.js';
import { parseNetworkList } from '../core/network-list.js';
import { requireSession, type ApiEnv } from './auth-middleware.js';
import { clientAddressBehind } from './client-address.js';
import { DEFAULT_BODY_LIMITS, limitBodies, type BodyLimits } from './body-limit.js';
import { consoleStatic } from './console-static.js';
import { stampJournalPosition } from './journal-position.js';
import { clientAborted, errorResponse, HttpError } from './errors.js';
import { newRouter } from './openapi-route.js';
import { adminRoutes } from './routes/admin.js';
import { alertsRoutes } from './routes/alerts.js';
import { healthRoute, healthStatus, metricsHandler, type MetricsEndpoint } from './routes/health.js';
import { auditRoutes } from './routes/audit.js';
import { callbacksRoutes } from './routes/callbacks.js';
import { authRoutes } from './routes/auth.js';
import { devicesRoutes } from './routes/devices.js';
import { drillsRoutes } from './routes/drills.js';
import { homeGeoRoutes } from './routes/home-geo.js';
import { homesRoutes } from './routes/homes.js';
import { householdRoutes } from './routes/household.js';
import { contactWebhookGuard, notificationsRoutes } from './routes/notifications.js';
import { reportsRoutes } from './routes/reports.js';
import { residentsRoutes } from './routes/residents.js';
import { rulesRoutes } from './routes/rules.js';
import { shiftsRoutes } from './routes/shifts.js';
import { usersRoutes } from './routes/users.js';
import { visitsRoutes } from './routes/visits.js';

export interface ApiDeps {
  registry: Registry;
  homes: HomeService;
  commissioning: Commissioning;
  devices: DeviceService;
  /** Heartbeat intervals and the commands of each device (issues 10, 11). */
  deviceConfig: DeviceConfig;
  outbox: CommandOutbox;
  alerts: AlertStore;
  lifecycle: AlertLifecycle;
  rules: readonly AnyRule[];
  ruleSettings: RuleSettingsService;
  sessions: SessionStore;
  loginGuard: LoginGuard;
  audit: AuditLog;
  notifications: NotifyService;
  states: DeviceStateStore;
  visits: VisitService;
  reports: ReportService;
  /** Call-backs and wellbeing plans, operator presence (issue 13 items 6, 7). */
  callbacks: CallbackService;
  callbackStore: CallbackStore;
  presence: OperatorPresence;
  /** Drills (issue 13 item 8). */
  drills: DrillService;
  mqttEndpoint(): { host: string; port: number };
  health(): HealthReport;
  /** Backups and retention for the admin page (issue 13). */
  dataStatus(): Promise<DataStatus>;
  /** GET /metrics (Prometheus), with who may read it (routes/health.ts); absent: no /metrics. */
  metrics?: { endpoint: MetricsEndpoint; token: string | undefined } | undefined;
  now: () => number;
  log: Logger;
  /** The built console (dashboard/dist). */
  consoleDir: string;
  /** Request body limits (default: 1 MiB, 8 MiB for POST /homes/batch). */
  bodyLimits?: BodyLimits;
  /** Serve the console's .map files (HUB_SERVE_SOURCE_MAPS; default off). */
  serveSourceMaps?: boolean;
  /** HUB_TRUSTED_PROXIES: the cluster nodes whose X-Forwarded-For names a login's client (client-address.ts). */
  trustedProxies?: string | undefined;
  /** The last journal line this node has applied, stamped on every API answer (journal-position.ts); absent: not stamped. */
  journalLine?: () => number;
  /** Every line appended so far durable (JournalStore.whenDurable): a write's answer is stamped after it. */
  journalSettled?: () => Promise<void>;
}

export const API_BASE = '/api/v1';
/** Routes reachable without a session. Everything else passes the session gate, then its own role check. */
export const PUBLIC_PATHS = new Set([`${API_BASE}/auth/login`, `${API_BASE}/health`, `${API_BASE}/openapi.json`]);

export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in tests has no socket
  }
}

/** The client behind the trusted cluster nodes a request came through (client-address.ts), for the login guard. */
function loginAddress(trustedProxies: string | undefined): (c: Context) => string {
  const parsed = parseNetworkList(trustedProxies);
  // The setting was checked at start (config/settings.ts); a list that does not parse trusts nobody.
  const trusted = 'list' in parsed && parsed.entries.length > 0 ? parsed.list : undefined;
  return (c) => clientAddressBehind(clientAddress(c), c.req.header('x-forwarded-for'), trusted);
}

export function createApi(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use('*', consoleSecureHeaders());
  // Before anything else that could read a body (its 413 still gets the headers above).
  app.use('*', limitBodies(deps.bodyLimits ?? DEFAULT_BODY_LIMITS));
  if (deps.journalLine) app.use(`${API_BASE}/*`, stampJournalPosition(deps.journalLine, deps.journalSettled));
  app.route(API_BASE, apiRouter(deps));
  if (deps.metrics) app.get('/metrics', metricsHandler(deps.metrics.endpoint, deps.metrics.token, clientAddress));
  app.get('*', consoleStatic(deps.consoleDir, { serveSourceMaps: deps.serveSourceMaps ?? false }));
  handleErrors(app, deps.log);
  return app;
}

function consoleSecureHeaders() {
  return secureHeaders({
    // The console loads only its own files and talks only to this hub (HTTP and WebSocket).
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      connectSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'"],
      scriptSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
    },
  });
}

/** /api/v1: the session gate, every resource's routes and the OpenAPI document generated from them. */
function apiRouter(deps: ApiDeps) {
  const api = newRouter();
  const gate = requireSession(deps.sessions);
  api.use('*', (c, next) => (PUBLIC_PATHS.has(c.req.path) ? next() : gate(c, next)));
  api.use('*', contactWebhookGuard(deps.notifications));
  api.openapi(healthRoute, (c) => {
    const report = deps.health();
    return c.json(report, healthStatus(report));
  });
  const loginClient = loginAddress(deps.trustedProxies);
  api.route('/auth', authRoutes({ ...deps, clientAddress: (c) => loginClient(c as Context) }));
  api.route('/homes', homesRoutes(deps));
  api.route('/homes', homeGeoRoutes(deps));
  api.route('/homes', householdRoutes(deps));
  const nameOf = (username: string) => deps.registry.findUser(username)?.displayName;
  api.route('/alerts', alertsRoutes({ ...deps, displayName: (id) => deps.registry.getUser(id)?.displayName, nameOf }));
  api.route('/devices', devicesRoutes(deps));
  api.route('/audit', auditRoutes({ ...deps, nameOf }));
  api.route('/', residentsRoutes(deps));
  api.route('/users', usersRoutes(deps));
  api.route('/notifications', notificationsRoutes(deps));
  api.route('/', rulesRoutes(deps));
  api.route('/', visitsRoutes(deps));
  api.route('/reports', reportsRoutes(deps));
  api.route('/admin', adminRoutes(deps));
  api.route('/', callbacksRoutes(deps));
  api.route('/', shiftsRoutes(deps));
  api.route('/drills', drillsRoutes(deps));
  api.doc('/openapi.json', {
    openapi: '3.0.3',
    info: {
      title: 'Home-care hub API',
      version: '1',
      description: [
        'Roles allowed per operation are in `x-roles`. Errors: `{error: {code, message}}`.',
        'Every answer carries `X-Hub-Journal-N`, the journal line it reflects; on a cluster, send the highest one seen as `X-Hub-After`',
        'and a read is never answered older than that (a malformed value: 400). Operations marked `x-replica` may be answered by a standby from its own copy of the journal.',
      ].join(' '),
    },
    servers: [{ url: API_BASE }],
  });
  return api;
}

/** Unknown routes and every thrown error become the API's one error shape; only unexpected errors are logged. */
function handleErrors(app: Hono<ApiEnv>, log: Logger): void {
  app.notFound((c) => errorResponse(c, new HttpError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return errorResponse(c, fromHonoException(err));
    if (clientAborted(err)) return errorResponse(c, new HttpError(400, 'aborted', 'the connection closed before the whole request arrived'));
    if (!(err instanceof HttpError) && !(err instanceof DomainError)) log.error({ err, path: c.req.path }, 'request failed');
    return errorResponse(c, err);
  });
}

/** Hono's own body parsing errors, in the API's error shape. */
function fromHonoException(err: HTTPException): HttpError {
  if (err.status === 415) return new HttpError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json');
  if (err.status === 400) return new HttpError(400, 'bad_json', 'the request body is not valid JSON');
  return new HttpError(err.status, 'http_error', err.message || 'request refused');
}
