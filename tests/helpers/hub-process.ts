/**
 * The hub as a real child process (`node --import tsx hub/main.ts`), for tests
 * of the command line itself and of kill -9. Reads the listener lines it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
  const child = spawn(process.execPath, ['--import', 'tsx', 'hub/main.ts', ...args], {
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
export async function startHubProcess(env: Record<string, string>, timeoutMs = 15_000): Promise<HubProcess> {
  const run = runHubCommand([], { HUB_MQTT_PORT: '0', HUB_HTTP_PORT: '0', HUB_HOST: '127.0.0.1', ...env });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mqtt = run.stdout().match(/MQTT broker listening on mqtt:\/\/[^:]+:(\d+)/);
    const mqtts = run.stdout().match(/listening on mqtts:\/\/[^:]+:(\d+)/);
    const http = run.stdout().match(/listening on https?:\/\/[^:]+:(\d+)/);
    if (mqtt && http) return { ...run, mqttPort: Number(mqtt[1]), mqttsPort: mqtts ? Number(mqtts[1]) : undefined, httpPort: Number(http[1]) };
    if (run.child.exitCode !== null) throw new Error(`hub exited (${run.child.exitCode}): ${run.stderr()}`);
    if (Date.now() > deadline) {
      run.child.kill('SIGKILL');
      throw new Error(`hub did not start: ${run.stdout()} ${run.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
