/**
 * The HTTP API app of a hub, built from the services the composition root
 * made (hub/hub.ts). Built at start on a hub alone, at promotion on a
 * cluster node (HttpListener.promote), when every service it reads from is
 * running.
 */
import { createApi, type ApiDeps } from '../api/app.js';
import { LoginGuard } from '../auth/login-guard.js';
import type { HubConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { RuleSettingsService } from '../homes/rule-settings.js';
import type { HubOps } from '../ops/hub-ops.js';
import { RULES } from '../rules/catalog/index.js';
import { dataStatus } from '../storage/data-status.js';
import type { HubApp } from './http-listener.js';

/** The services the API takes under the same name as the hub holds them. */
type SameName = Pick<
  ApiDeps,
  'registry' | 'homes' | 'commissioning' | 'devices' | 'alerts' | 'lifecycle' | 'deviceConfig' | 'outbox' | 'sessions' | 'audit' | 'states' | 'visits' | 'reports' | 'callbacks' | 'callbackStore' | 'drills'
>;

export interface HubAppParts extends SameName {
  notify: ApiDeps['notifications'];
  operators: ApiDeps['presence'];
  ops: Pick<HubOps, 'health' | 'metricsRoute'>;
  journal: { readonly lastN: number; whenDurable(): Promise<void> };
}

export interface HubAppContext {
  config: HubConfig;
  clock: Clock;
  log: Logger;
  mqttEndpoint: ApiDeps['mqttEndpoint'];
  /** The built console, resolved by hub/hub.ts: relative to the bundle's place, which is hub.ts's. */
  consoleDir: string;
}

export function buildHubApp(hub: HubAppParts, { config, clock, log, mqttEndpoint, consoleDir }: HubAppContext): HubApp {
  const now = () => clock.now();
  return createApi({
    registry: hub.registry,
    homes: hub.homes,
    commissioning: hub.commissioning,
    devices: hub.devices,
    alerts: hub.alerts,
    lifecycle: hub.lifecycle,
    deviceConfig: hub.deviceConfig,
    outbox: hub.outbox,
    rules: RULES,
    ruleSettings: new RuleSettingsService(RULES, hub.registry, hub.audit),
    sessions: hub.sessions,
    loginGuard: new LoginGuard(now),
    audit: hub.audit,
    notifications: hub.notify,
    now,
    states: hub.states,
    visits: hub.visits,
    reports: hub.reports,
    callbacks: hub.callbacks,
    callbackStore: hub.callbackStore,
    presence: hub.operators,
    drills: hub.drills,
    mqttEndpoint,
    health: () => hub.ops.health(),
    metrics: hub.ops.metricsRoute,
    dataStatus: () => dataStatus({ dataDir: config.dataDir, backupDir: config.backupDir, storage: config.databaseUrl ? 'postgres' : 'files', alerts: () => hub.alerts.list(), now }),
    log: log.child({ module: 'api' }),
    consoleDir,
    bodyLimits: { maxBodyBytes: config.httpMaxBodyBytes, maxBatchBodyBytes: config.httpMaxBatchBodyBytes },
    serveSourceMaps: config.serveSourceMaps,
    trustedProxies: config.trustedProxies,
    // A write's answer first lets the lines it did not wait for (its audit line) commit: PostgreSQL numbers them only then.
    journalLine: () => hub.journal.lastN,
    journalSettled: () => hub.journal.whenDurable(),
  });
}
