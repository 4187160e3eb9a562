/** Messages between the bench coordinator (bench/generator.ts) and its load workers (bench/load-worker.ts), over Node IPC. */
import type { AlarmRecord, PoolCounters } from '../simulators/load/device-pool.js';
import type { LoadCredentials, LoadEndpoint } from '../simulators/load/load-client.js';
import type { RatePlan } from '../simulators/load/rate-driver.js';

export type ToWorker =
  | { type: 'connect'; devices: LoadCredentials[]; endpoints: LoadEndpoint[]; qos: 0 | 1; maxInflight: number; concurrency: number }
  | { type: 'run'; plan: RatePlan; warmupMs: number }
  | { type: 'close' };

export interface WindowFigures {
  /** Acknowledged telemetry + alarms inside the measurement window (after warm-up). */
  acked: number;
  sent: number;
  throttled: number;
  ms: number;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'connected'; connected: number; failed: number; ms: number; firstError?: string }
  | { type: 'progress'; counters: PoolCounters }
  | { type: 'ran'; planned: number; offered: number; window: WindowFigures; counters: PoolCounters; alarms: AlarmRecord[]; unackedAlarms: number }
  | { type: 'closed' };
