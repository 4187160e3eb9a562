/**
 * The HTTP API: one Hono sub-app per resource mounted under /api/v1, one
 * error handler producing `{error: {code, message}}`, one not-found.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AlertLifecycle } from '../alerts/alert-lifecycle.js';
import type { AlertStore } from '../alerts/alert-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { SessionStore } from '../auth/sessions.js';
import { DomainError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { HomeService } from '../homes/home-service.js';
import type { RuleSettingsService } from '../homes/rule-settings.js';
import type { AnyRule } from '../rules/define-rule.js';
import type { DeviceStateStore } from '../ingest/device-state.js';
import type { Registry } from '../registry/registry.js';
import { requireSession, type ApiEnv } from './auth-middleware.js';
import { consoleStatic } from './console-static.js';
import { errorResponse, HttpError } from './errors.js';
import { alertsRoutes } from './routes/alerts.js';
import { authRoutes } from './routes/auth.js';
import { auditRoutes } from './routes/audit.js';
import { devicesRoutes } from './routes/devices.js';
import { homesRoutes } from './routes/homes.js';
import { rulesRoutes } from './routes/rules.js';

export interface HealthReport {
  ok: boolean;
  journal: { healthy: boolean; lastError?: string | undefined };
  mqtt: { connectedClients: number };
}

export interface ApiDeps {
  registry: Registry;
  homes: HomeService;
  alerts: AlertStore;
  lifecycle: AlertLifecycle;
  rules: readonly AnyRule[];
  ruleSettings: RuleSettingsService;
  sessions: SessionStore;
  audit: AuditLog;
  states: DeviceStateStore;
  mqttEndpoint(): { host: string; port: number };
  health(): HealthReport;
  /** The built console (dashboard/dist). */
  consoleDir: string;
  log: Logger;
}

export function createApi(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use(
    '*',
    secureHeaders({
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
    }),
  );

  const api = new Hono<ApiEnv>();
  api.get('/health', (c) => {
    const report = deps.health();
    return c.json(report, report.ok ? 200 : 503);
  });
  api.route('/auth', authRoutes(deps));
  // Everything registered below needs a session; each route then states its roles.
  api.use('*', requireSession(deps.sessions));
  api.route('/homes', homesRoutes(deps));
  api.route('/alerts', alertsRoutes(deps));
  api.route('/devices', devicesRoutes(deps));
  api.route('/audit', auditRoutes(deps));
  api.route('/', rulesRoutes(deps));
  app.route('/api/v1', api);
  app.get('*', ...consoleStatic(deps.consoleDir));

  app.notFound((c) => errorResponse(c, new HttpError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    if (!(err instanceof HttpError) && !(err instanceof DomainError)) deps.log.error({ err, path: c.req.path }, 'request failed');
    return errorResponse(c, err);
  });
  return app;
}
