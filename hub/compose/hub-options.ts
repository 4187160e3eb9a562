/**
 * What a caller gives the composition root (hub/hub.ts) and what its start
 * returns: the hub's public contract for hub/main.ts, the tools and the
 * tests, kept apart from the wiring so the root's file holds only wiring.
 */
import type { AddressInfo } from 'node:net';
import type { SchedulerOptions } from '../broker/uplink-scheduler.js';
import type { HubConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { UtilisationSampler } from '../ingest/load-shedder.js';
import type { OpenJournalFile } from '../storage/journal.js';
import type { StandbyTailStats } from '../storage/ports.js';

export interface HubOptions {
  config: HubConfig;
  clock?: Clock;
  log?: Logger;
  /** Tests only: wrap the journal's files (e.g. to hold an fsync and prove the PUBACK waits for it). */
  journalFileOpener?: OpenJournalFile;
  /** Tests only: the event-loop utilisation the load shedder sees. */
  loadSampler?: UtilisationSampler;
  /** Tests only: the alarms-first scheduler's budgets and bounds (hub/broker/uplink-scheduler.ts). */
  scheduler?: Partial<SchedulerOptions>;
  /** A cluster node now leads (hub/main.ts prints it, with a generated admin password). */
  onLeading?: (info: { generatedAdminPassword: string | undefined; journal: StandbyTailStats | undefined }) => void;
  /** The node cannot go on (leadership lost, its pipeline failed to start): hub/main.ts exits so the supervisor restarts it. */
  onFatal?: (reason: string) => void;
}

export interface HubStarted {
  mqtt: AddressInfo;
  /** MQTT over TLS, when HUB_TLS_CERT and HUB_TLS_KEY are set. */
  mqtts: AddressInfo | undefined;
  http: AddressInfo;
  /** True when `http` serves HTTPS and wss. */
  https: boolean;
  /** Set only on the first start of an empty data dir without HUB_ADMIN_PASSWORD: print it once. */
  generatedAdminPassword: string | undefined;
  replayedJournalLines: number;
}
