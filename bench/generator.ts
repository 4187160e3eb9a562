/**
 * The coordinator's handle on the load workers: forks them, splits the
 * devices between them, and sums what they report. The same generator drives
 * every target (hub, bare Aedes, Mosquitto) in one run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AlarmRecord, PoolCounters } from '../simulators/load/device-pool.js';
import type { LoadCredentials, LoadEndpoint } from '../simulators/load/load-client.js';
import type { RatePlan } from '../simulators/load/rate-driver.js';
import type { FromWorker, ToWorker, WindowFigures } from './worker-protocol.js';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface ConnectResult {
  connected: number;
  failed: number;
  /** Until the last worker had all its devices connected. */
  ms: number;
  firstError?: string;
}

export interface RunResult {
  planned: number;
  offered: number;
  window: WindowFigures;
  counters: PoolCounters;
  alarms: AlarmRecord[];
  unackedAlarms: number;
}

type Ran = Extract<FromWorker, { type: 'ran' }>;

export class LoadGenerator {
  private readonly latest = new Map<ChildProcess, PoolCounters>();

  private constructor(private readonly workers: ChildProcess[]) {
    for (const w of workers) {
      w.on('message', (m: FromWorker) => m.type === 'progress' && this.latest.set(w, m.counters));
      w.on('error', () => undefined);
    }
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid ?? 0);
  }

  static async start(count: number): Promise<LoadGenerator> {
    const workers = Array.from({ length: count }, () =>
      fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const generator = new LoadGenerator(workers);
    await generator.each(() => undefined, 'ready');
    return generator;
  }

  /** Summed live counters from the workers' last progress messages (for the progress line). */
  progress(): PoolCounters {
    const sum: PoolCounters = { connected: 0, sent: 0, acked: 0, failed: 0, throttled: 0, alarmsSent: 0, alarmsAcked: 0, dropped: 0 };
    for (const c of this.latest.values()) for (const key of Object.keys(sum) as (keyof PoolCounters)[]) sum[key] += c[key];
    return sum;
  }

  async connect(devices: readonly LoadCredentials[], endpoints: LoadEndpoint[], options: { qos: 0 | 1; maxInflight: number; concurrency: number }): Promise<ConnectResult> {
    const n = this.workers.length;
    const replies = await this.each(
      (i) => ({ type: 'connect', devices: devices.filter((_, d) => d % n === i), endpoints, qos: options.qos, maxInflight: Math.ceil(options.maxInflight / n), concurrency: options.concurrency }),
      'connected',
    );
    return {
      connected: replies.reduce((s, r) => s + r.connected, 0),
      failed: replies.reduce((s, r) => s + r.failed, 0),
      ms: Math.max(...replies.map((r) => r.ms)),
      ...(replies.find((r) => r.firstError) ? { firstError: replies.find((r) => r.firstError)!.firstError! } : {}),
    };
  }

  async run(plan: RatePlan, warmupMs: number): Promise<RunResult> {
    this.latest.clear();
    const n = this.workers.length;
    const share: RatePlan = { rate: plan.rate / n, alarmRate: plan.alarmRate / n, durationMs: plan.durationMs };
    const replies: Ran[] = await this.each(() => ({ type: 'run', plan: share, warmupMs }), 'ran');
    const sum = (f: (r: Ran) => number) => replies.reduce((s, r) => s + f(r), 0);
    const counters = { connected: 0, sent: 0, acked: 0, failed: 0, throttled: 0, alarmsSent: 0, alarmsAcked: 0, dropped: 0 };
    for (const r of replies) for (const key of Object.keys(counters) as (keyof PoolCounters)[]) counters[key] += r.counters[key];
    return {
      planned: sum((r) => r.planned),
      offered: sum((r) => r.offered),
      window: { acked: sum((r) => r.window.acked), sent: sum((r) => r.window.sent), throttled: sum((r) => r.window.throttled), ms: Math.max(...replies.map((r) => r.window.ms)) },
      counters,
      alarms: replies.flatMap((r) => r.alarms),
      unackedAlarms: sum((r) => r.unackedAlarms),
    };
  }

  async closeConnections(): Promise<void> {
    await this.each(() => ({ type: 'close' }), 'closed');
  }

  stop(): void {
    for (const w of this.workers) if (w.connected) w.disconnect();
  }

  /** Sends each worker its message (if any) and waits for every worker's reply of one type. */
  private each<T extends FromWorker['type']>(message: (i: number) => ToWorker | undefined, reply: T): Promise<Extract<FromWorker, { type: T }>[]> {
    return Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<Extract<FromWorker, { type: T }>>((resolve, reject) => {
            const onMessage = (m: FromWorker) => {
              if (m.type !== reply) return;
              w.off('message', onMessage);
              w.off('exit', onExit);
              resolve(m as Extract<FromWorker, { type: T }>);
            };
            const onExit = (code: number | null) => reject(new Error(`load worker ${i} exited (${code}) while waiting for "${reply}"`));
            w.on('message', onMessage);
            w.once('exit', onExit);
            const m = message(i);
            if (!m) return;
            // After Ctrl-C the workers are gone: a clean rejection, not an unhandled 'error' event.
            if (!w.connected) return reject(new Error(`load worker ${i} is gone`));
            w.send(m, (err) => err && reject(err));
          }),
      ),
    );
  }
}
