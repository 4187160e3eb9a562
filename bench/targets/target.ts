/** What the bench needs of anything it measures: where devices connect, where alarms are seen, whose CPU and memory count. */
import type { LoadCredentials } from '../../simulators/load/load-client.js';

/** `hub` on the files under a temp data dir; `hub-postgres` the same bundle on a fresh PostgreSQL database (--store). */
export type TargetName = 'hub' | 'hub-postgres' | 'aedes' | 'mosquitto';

export interface Target {
  name: TargetName;
  /** What it is, for the table's legend. */
  description: string;
  host: string;
  port: number;
  /** The operator WebSocket (hub) or the baseline's alarm push. */
  observerUrl: string;
  /** The broker process: its RSS per connected device is reported. */
  brokerPid: number;
  /** Every process doing the target's work (the Mosquitto baseline's subscriber counts too). */
  workPids: number[];
  devices: LoadCredentials[];
  /** Whether the observer's `delivered` count is the target's own (baselines); for the hub a PUBACK already means processed. */
  countsDelivered: boolean;
  /** Set-up figures: cold starts, provisioning. */
  setup: Record<string, number>;
  /** The broker's own count of connected clients, where it tells. */
  connectedClients?(): Promise<number>;
  /**
   * The hub's count of telemetry shed since start (acknowledged, kept only as a sign of life:
   * under overload, hub/ingest/load-shedder.ts): acknowledged is not processed for those.
   */
  shedTelemetry?(): Promise<number>;
  /** The hub's /metrics text (its alarm stage and read-phase histograms: bench/hub-metrics.ts). */
  metricsText?(): Promise<string>;
  stop(): Promise<void>;
}

/** Device ids in the hub's format for the baselines, which accept any credentials. */
export function syntheticDevices(homes: number): LoadCredentials[] {
  const prefixes = ['brc', 'gas', 'smk', 'dor'];
  return Array.from({ length: homes * 4 }, (_, i) => ({
    deviceId: `${prefixes[i % 4]}-b${String(Math.floor(i / 4)).padStart(7, '0')}`,
    secret: 'baseline',
  }));
}
