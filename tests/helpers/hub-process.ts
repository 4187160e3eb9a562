/**
 * The hub as a real child process, for tests of the command line itself and
 * of kill -9: the bundle, run as `npm start` runs it (hub-bundle.ts: built
 * once per test run; a tsx start cost six times the CPU). Reads the
 * listener lines it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hubNodeArgs } from './hub-bundle.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface HubProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  mqttPort: number;
  /** Set when the hub serves MQTT over TLS. */
  mqttsPort: number | undefined;
  httpPort: number;
  exited: Promise<number | null>;
}

export function runHubCommand(args: string[], env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...hubNodeArgs(), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HUB_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts the hub and waits until it has printed both listener lines. */
export async function startHubProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<HubProcess> {
  const run = runHubCommand([], { HUB_MQTT_PORT: '0', HUB_HTTP_PORT: '0', HUB_HOST: '127.0.0.1', ...env });
  return { ...run, ...(await listenerPorts(run, timeoutMs)) };
}

/**
 * The ports a starting hub process prints, read on each chunk of its stdout,
 * not by polling. The limit is generous: on a loaded machine a tsx start took
 * over 10 s (issue 10, item 14). Kills the process if it does not get there.
 */
export function listenerPorts(run: { child: ChildProcess; stdout(): string; stderr(): string }, timeoutMs = 60_000): Promise<{ mqttPort: number; mqttsPort: number | undefined; httpPort: number }> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      run.child.stdout!.off('data', onOutput);
      run.child.off('exit', onExit);
    };
    const onOutput = () => {
      const mqtt = run.stdout().match(/MQTT broker listening on mqtt:\/\/[^:]+:(\d+)/);
      const mqtts = run.stdout().match(/listening on mqtts:\/\/[^:]+:(\d+)/);
      const http = run.stdout().match(/listening on https?:\/\/[^:]+:(\d+)/);
      if (!mqtt || !http) return;
      done();
      resolve({ mqttPort: Number(mqtt[1]), mqttsPort: mqtts ? Number(mqtts[1]) : undefined, httpPort: Number(http[1]) });
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`hub exited (${code}): ${run.stderr()}`));
    };
    const timer = setTimeout(() => {
      done();
      run.child.kill('SIGKILL');
      reject(new Error(`hub did not start within ${timeoutMs} ms: ${run.stdout()} ${run.stderr()}`));
    }, timeoutMs);
    // Registered after the caller's own listener, so run.stdout() already holds each chunk.
    run.child.stdout!.on('data', onOutput);
    run.child.once('exit', onExit);
    onOutput();
  });
}
