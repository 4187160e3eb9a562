/**
 * Spawns tests/helpers/pg-journal-node.ts (`node --import tsx`) and waits on
 * the lines it prints — on each chunk of its stdout, never by polling.
 * Whatever a test started is SIGKILLed after it (SIGCONT first: a stopped
 * process would not die until continued).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { REPO_ROOT } from './hub-process.js';

export interface JournalNode {
  child: ChildProcess;
  stdout(): string;
  /** Resolves with the first line matching `pattern` (already printed or still to come). */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  send(command: string): void;
}

export function useJournalNodes() {
  const running: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(
      running.splice(0).map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return undefined;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        return exited;
      }),
    );
  });
  return (env: { url: string; nodeId: string; leaseMs: number; httpUrl?: string }): JournalNode => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/pg-journal-node.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HUB_TEST_PG_URL: env.url,
        HUB_TEST_NODE_ID: env.nodeId,
        HUB_TEST_LEASE_MS: String(env.leaseMs),
        HUB_TEST_HTTP_URL: env.httpUrl ?? `http://${env.nodeId}.test:8080`,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const line = (pattern: RegExp, timeoutMs = 60_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const found = out.split('\n').find((l) => pattern.test(l));
          if (found === undefined) return;
          done();
          resolve(found);
        };
        const onExit = (code: number | null) => (done(), reject(new Error(`${env.nodeId} exited (${code}) before printing ${pattern}: ${out}${err}`)));
        const timer = setTimeout(() => (done(), reject(new Error(`${env.nodeId} printed no ${pattern} within ${timeoutMs} ms: ${out}${err}`))), timeoutMs);
        const done = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.off('exit', onExit);
        };
        // Registered after the collector above, so `out` already holds each chunk.
        child.stdout!.on('data', check);
        child.once('exit', onExit);
        check();
      });
    return { child, stdout: () => out, line, send: (command) => child.stdin!.write(`${command}\n`) };
  };
}
