/**
 * The C load generator (`mqttload.c`, libc only, about 15 µs of CPU per
 * message against about 50 µs for the mqtt.js workers): on 2 shared cores a
 * cheaper generator leaves the target more of the machine, so the figures
 * are the target's (issue 14). The source lives outside the repository
 * (`../shared/tools/mqttload.c`, or MQTTLOAD_SOURCE); it is built with gcc
 * into bench/.build/ (git-ignored: no binary is ever committed).
 *
 * One run = connect ramp → warm-up → measured window → drain → DISCONNECT.
 * Its progress lines (once a second on stderr) tell which phase it is in;
 * `onSecond` is called for each so the caller can read the target's CPU and
 * memory over exactly the seconds the generator measured.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './child.js';
import type { LoadCredentials } from '../simulators/load/load-client.js';
import type { Percentiles } from './stats.js';

const BUILD_DIR = join(REPO_ROOT, 'bench', '.build');
const BINARY = join(BUILD_DIR, 'mqttload');

/** Where mqttload.c is: MQTTLOAD_SOURCE, else the shared tools folder beside the checkout (or beside its worktree parent). */
export function mqttloadSource(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.MQTTLOAD_SOURCE, resolve(REPO_ROOT, '../shared/tools/mqttload.c'), resolve(REPO_ROOT, '../../shared/tools/mqttload.c')];
  return candidates.find((c): c is string => c !== undefined && existsSync(c));
}

/** Builds the generator if the source is newer than the binary; resolves with the binary's path. */
export async function buildMqttload(source: string): Promise<string> {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(source).mtimeMs) return BINARY;
  await mkdir(BUILD_DIR, { recursive: true });
  await new Promise<void>((done, fail) =>
    execFile('gcc', ['-O2', '-o', BINARY, source, '-lm'], (err, _out, stderr) => (err ? fail(new Error(`gcc mqttload.c failed: ${stderr || err.message}`)) : done())),
  );
  return BINARY;
}

/** The devices' credentials as mqttload reads them: "clientId,username,password", private to this user. */
export async function writeCredentials(dir: string, devices: readonly LoadCredentials[]): Promise<string> {
  const path = join(dir, 'mqttload-creds.csv');
  await writeFile(path, devices.map((d) => `${d.deviceId},${d.deviceId},${d.secret}\n`).join(''), { mode: 0o600 });
  return path;
}

export interface CRunPlan {
  port: number;
  creds: string;
  clients: number;
  rate: number;
  alarmRate: number;
  warmupS: number;
  durationS: number;
  connectRate: number;
  /** Generator processes (-j). */
  workers: number;
  /** Per-connection in-flight cap (the generator's default is 16). */
  inflight?: number;
  /** Seconds a connection may wait for its CONNACK before it counts as failed (the generator's default is 10). */
  connectTimeoutS?: number;
}

/** mqttload's latency block (µs). */
export interface CLatency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface CKindFigures {
  offered: number;
  sent: number;
  acked: number;
  outstanding: number;
  ack_rate: number;
  acks_in_window: number;
  /** Acknowledgements in every phase of the run (ramp, warm-up, measured window, drain). */
  acked_all_phases: number;
  stalls_inflight: number;
  stalls_socket: number;
  latency_us: CLatency;
}

/** The part of mqttload's JSON report the bench reads. */
export interface CReport {
  window_s: number;
  connections: { target: number; connected: number; ramp_s: number; connect_errors: number; connect_timeouts: number; first_error: string | null; connack_latency_us: CLatency; up_at_end: number };
  dropped: { count: number; first_reason: string | null; inflight_lost: number };
  telemetry: CKindFigures;
  alarms: CKindFigures;
  generator?: { cpu_window_pct_of_core?: number; cpu_us_per_msg?: number };
  [key: string]: unknown;
}

/** A latency block in ms, as the results report them; null when it holds no sample. */
export const latencyMs = (l: CLatency): Percentiles | null =>
  l.count === 0 ? null : { count: l.count, p50: l.p50 / 1000, p90: l.p90 / 1000, p99: l.p99 / 1000, p999: l.p999 / 1000, max: l.max / 1000 };

const PROGRESS = /^\[\s*([\d.]+)s\]\s+(\w+)\s+conns (\d+)\//;

/** `stop` (SIGINT) ends the measured window now; the generator drains and still reports. `onSpawn` gets its process id (its CPU is the bench's own). */
export function runMqttload(binary: string, plan: CRunPlan, onSecond: (phase: string, line: string) => void, stop?: AbortSignal, onSpawn?: (pid: number) => void): Promise<CReport> {
  const args = [
    '--host', '127.0.0.1', '--port', String(plan.port), '--creds', plan.creds, '--clients', String(plan.clients),
    '--rate', String(plan.rate), '--alarm-rate', String(plan.alarmRate), '--warmup', String(plan.warmupS), '--duration', String(plan.durationS),
    '--connect-rate', String(plan.connectRate), '-j', String(plan.workers), '--inflight', String(plan.inflight ?? 16),
    ...(plan.connectTimeoutS ? ['--connect-timeout', String(plan.connectTimeoutS)] : []),
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) onSpawn?.(child.pid);
  stop?.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
  let stdout = '';
  const stderrTail: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    const m = PROGRESS.exec(line);
    if (m) onSecond(m[2]!, line);
  });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (code) => {
      try {
        done(JSON.parse(stdout) as CReport);
      } catch {
        fail(new Error(`mqttload exited ${code} without a report:\n${stderrTail.join('\n')}`));
      }
    });
  });
}
