/**
 * Starts a real hub in-process on 127.0.0.1 with ports 0 and a temp data dir,
 * and provisions homes and devices through the real HTTP API.
 *
 * The store (issue 11 §4, "the whole suite runs against both stores"): files
 * by default; PostgreSQL when the test file runs in vitest's `postgres`
 * project (HUB_TEST_STORE=postgres, see vitest.config.ts) or asks for it.
 * On PostgreSQL each hub gets a fresh database of this machine's server,
 * tied to its data dir — a restart on the same data dir (a test passing
 * `dataDir: first.dataDir`) finds the same database — and dropped when the
 * hub that created it stops.
 */
import { Hub } from '../../hub/hub.js';
import { loadConfig, type HubConfig } from '../../hub/config/config.js';
import type { Clock } from '../../hub/core/clock.js';
import type { Logger } from '../../hub/core/logger.js';
import type { OpenJournalFile } from '../../hub/storage/journal.js';
import type { SchedulerOptions } from '../../hub/broker/uplink-scheduler.js';
import { ApiClient } from './api-client.js';
import { provisionHomeThrough, type ProvisionedDevice, type ProvisionOptions } from './provision.js';
import { createPgDatabase } from './pg-server.js';
import { makeTempDir } from './temp-dir.js';

export const ADMIN_PASSWORD = 'admin-pass-for-tests';

export type { ProvisionedDevice };

export interface TestHub {
  hub: Hub;
  config: HubConfig;
  dataDir: string;
  /** Where the registry and journal live: the data dir's files, or a PostgreSQL database. */
  store: 'files' | 'postgres';
  mqttPort: number;
  mqttUrl: string;
  /** Set when the hub serves MQTT over TLS (HUB_TLS_CERT and HUB_TLS_KEY in env). */
  mqttsUrl: string | undefined;
  httpUrl: string;
  api: ApiClient;
  provisionHome(options?: ProvisionOptions): Promise<{ homeId: string; devices: ProvisionedDevice[] }>;
  stop(): Promise<void>;
}

export async function startTestHub(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    dataDir?: string;
    journalFileOpener?: OpenJournalFile;
    log?: Logger;
    loadSampler?: () => number;
    /** The alarms-first scheduler's budgets and bounds (hub/broker/uplink-scheduler.ts). */
    scheduler?: Partial<SchedulerOptions>;
    /** For a hub serving HTTPS: a fetch that trusts its certificate (tlsFetch). */
    fetch?: typeof fetch;
    /** Default: HUB_TEST_STORE, else files. A journalFileOpener or an explicit HUB_DATABASE_URL decides it. */
    store?: 'files' | 'postgres';
  } = {},
): Promise<TestHub> {
  const temp = options.dataDir ? undefined : await makeTempDir();
  const dataDir = options.dataDir ?? temp!.path;
  const database = await databaseFor(dataDir, options);
  const config = loadConfig({
    env: {
      HUB_MQTT_PORT: '0',
      HUB_HTTP_PORT: '0',
      HUB_HOST: '127.0.0.1',
      HUB_DATA_DIR: dataDir,
      HUB_ADMIN_PASSWORD: ADMIN_PASSWORD,
      HUB_LOG_LEVEL: 'silent',
      ...(database ? { HUB_DATABASE_URL: database.url } : {}),
      // A manual clock jumps minutes at once, which would make every pipeline heartbeat look late
      // (issue 12 item 7) and send hub.pipeline_stalled to a test's webhook gateway: on one, the
      // heartbeat is hourly and never stalls, unless the test sets these itself.
      ...(options.clock ? { HUB_HEARTBEAT_INTERVAL_MS: String(3_600_000), HUB_PIPELINE_STALL_MS: String(30 * 24 * 3_600_000) } : {}),
      ...options.env,
    },
  });
  const hub = new Hub({
    config,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.journalFileOpener ? { journalFileOpener: options.journalFileOpener } : {}),
    // Never overloaded unless a test says so (load-shedding.test.ts passes its own). This hub
    // shares its event loop with the test, its simulators and browser driver, so the real
    // sampler measures the test: on a busy machine it read 1.00 and shed the very telemetry
    // a test waited for (issue 10, item 14: the installer test's heartbeat check).
    loadSampler: options.loadSampler ?? (() => 0),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const started = await hub.start();
  const httpUrl = `${started.https ? 'https' : 'http'}://127.0.0.1:${started.http.port}`;
  const api = new ApiClient(httpUrl, options.fetch);
  await api.login('admin', ADMIN_PASSWORD);

  return {
    hub,
    config,
    dataDir,
    store: config.databaseUrl ? 'postgres' : 'files',
    mqttPort: started.mqtt.port,
    mqttUrl: `mqtt://127.0.0.1:${started.mqtt.port}`,
    mqttsUrl: started.mqtts ? `mqtts://127.0.0.1:${started.mqtts.port}` : undefined,
    httpUrl,
    api,
    provisionHome: (provision) => provisionHomeThrough(api, provision),
    async stop() {
      await hub.stop();
      await temp?.remove();
      await database?.release();
    },
  };
}

/** Databases of the PostgreSQL test hubs, by data dir, so a restart on the same dir finds its rows. */
const databasesByDataDir = new Map<string, string>();

/** The database of a running PostgreSQL test hub with this data dir (journal-lines.ts reads it). */
export function databaseOfDataDir(dataDir: string): string | undefined {
  return databasesByDataDir.get(dataDir);
}

async function databaseFor(
  dataDir: string,
  options: { env?: Record<string, string>; store?: 'files' | 'postgres'; journalFileOpener?: OpenJournalFile },
): Promise<{ url: string; release(): Promise<void> } | undefined> {
  const store = options.store ?? (process.env.HUB_TEST_STORE === 'postgres' ? 'postgres' : 'files');
  // A test that wraps the journal's files is about the files.
  if (store !== 'postgres' || options.env?.HUB_DATABASE_URL || options.journalFileOpener) return undefined;
  const existing = databasesByDataDir.get(dataDir);
  if (existing) return { url: existing, release: async () => undefined };
  const created = await createPgDatabase('hub_e2e');
  databasesByDataDir.set(dataDir, created.url);
  return {
    url: created.url,
    async release() {
      databasesByDataDir.delete(dataDir);
      await created.drop();
    },
  };
}
