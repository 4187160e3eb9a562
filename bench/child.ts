/** Child processes of the bench (hub, baselines) started with tsx, and the listener lines they print. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  process: ChildProcess;
  pid: number;
  /** spawn() until every expected line was printed. */
  readyMs: number;
  matches: RegExpMatchArray[];
  /** Everything printed on stdout so far (it keeps being read after "ready"). */
  stdout(): string;
  stderrTail(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  script: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Lines that mean "ready"; each must match once on stdout. */
  ready: RegExp[];
  timeoutMs?: number;
}

export async function spawnReady(options: SpawnOptions): Promise<Child> {
  const started = performance.now();
  // A built bundle (.mjs) runs with plain node, as `npm start` does; TypeScript goes through tsx.
  const loader = options.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, options.script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4_000)));
  const matches = await new Promise<RegExpMatchArray[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.script} not ready within ${options.timeoutMs ?? 30_000} ms: ${out} ${err}`));
    }, options.timeoutMs ?? 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const found = options.ready.map((r) => out.match(r));
      if (found.every(Boolean)) {
        clearTimeout(timer);
        resolve(found as RegExpMatchArray[]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.script} exited (${code}) before it was ready: ${err.trim()}`));
    });
  });
  const readyMs = performance.now() - started;
  return {
    process: child,
    pid: child.pid!,
    readyMs,
    matches,
    stdout: () => out,
    stderrTail: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
