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
    const deadline = Date.now() + 30_000;
    while (!/ALERT: critical sos/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/Console:\s+http:\/\/127\.0\.0\.1:\d+\/\s+\(operator \/ operator-\w+/);
    expect(out).toMatch(/ALERT: critical sos/);
    const dataDir = out.match(/--credentials (\S+)\/demo-devices\.json/)?.[1];
    expect(dataDir && existsSync(dataDir)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/stopped: hub and residents stopped, temporary data removed/);
    expect(existsSync(dataDir!)).toBe(false);
  }, 60_000);
});
