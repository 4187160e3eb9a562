/**
 * `npm run demo` from the outside: it starts a hub, provisions homes, prints
 * the console URL and the operator's password, an emergency becomes an alert
 * on the operator stream, and Ctrl-C stops everything and removes its data.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useCleanup } from './helpers/cleanup.js';
import { REPO_ROOT } from './helpers/hub-process.js';

const keep = useCleanup();

describe('npm run demo', () => {
  it('shows an alert from a simulated home within seconds and cleans up on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/demo/main.ts', '--homes', '2', '--first', '1', '--emergency', 'sos'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    keep(child, (c) => c.exitCode === null && c.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // On the output itself, not a 100 ms poll against a 30 s deadline: on a loaded machine the
    // demo's tsx start and provisioning alone took longer (issue 10, item 14).
    await new Promise<void>((resolve) => {
      const limit = setTimeout(resolve, 100_000); // then the expectations below show what it printed
      const done = () => (clearTimeout(limit), resolve());
      const seen = () => /ALERT: critical sos/.test(out) && done();
      child.stdout.on('data', seen);
      child.once('exit', done);
      seen();
    });
    expect(out).toMatch(/Console:\s+http:\/\/127\.0\.0\.1:\d+\/\s+\(operator \/ operator-\w+/);
    expect(out).toMatch(/ALERT: critical sos/);
    const dataDir = out.match(/--credentials (\S+)\/demo-devices\.json/)?.[1];
    expect(dataDir && existsSync(dataDir)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped: hub and residents stopped, temporary data removed/);
    expect(existsSync(dataDir!)).toBe(false);
  }, 120_000);
});
