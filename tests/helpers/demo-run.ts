/**
 * `npm run demo` as a child process, as a user runs it (`node --import tsx
 * bench/demo/main.ts …`), with its output read as it comes: tests wait on
 * the lines it prints, never on a clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './hub-process.js';

export interface DemoRun {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  exited: Promise<number | null>;
  /**
   * The first match of `pattern` in the output from character `from` on (its `index` counts from the
   * output's start), as soon as it is printed;
   * null if the demo exits or `limitMs` passes first (the test's expectations then show the output).
   */
  waitFor(pattern: RegExp, from?: number, limitMs?: number): Promise<RegExpMatchArray | null>;
}

export function runDemo(args: string[], env: Record<string, string> = {}): DemoRun {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/demo/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // On the output itself, not a 100 ms poll against a 30 s deadline: on a loaded machine the
  // demo's tsx start and provisioning alone took longer (issue 10, item 14).
  const waitFor = (pattern: RegExp, from = 0, limitMs = 100_000) =>
    new Promise<RegExpMatchArray | null>((resolve) => {
      const done = (found: RegExpMatchArray | null) => {
        clearTimeout(limit);
        child.stdout!.off('data', seen);
        child.off('exit', gone);
        resolve(found);
      };
      const find = () => {
        const found = out.slice(from).match(pattern);
        if (found) found.index = (found.index ?? 0) + from; // where in the whole output
        return found;
      };
      const seen = () => {
        const found = find();
        if (found) done(found);
      };
      const gone = () => done(find());
      const limit = setTimeout(gone, limitMs);
      child.stdout!.on('data', seen);
      child.once('exit', gone);
      seen();
    });
  return { child, output: () => out, exited, waitFor };
}
