/**
 * The README's "Try it" walk-through, run as written (issue 13 item 1: it
 * once answered 409 at go-live and the SOS then raised nothing). The shell
 * blocks are read from README.md itself; only the two port numbers and the
 * admin password are swapped for the test hub's, so a README edit that breaks the
 * walk-through breaks this test.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { REPO_ROOT } from './helpers/hub-process.js';
import { runCommand } from './helpers/run-tool.js';
import { ADMIN_PASSWORD, startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

/** The ```sh blocks between the "Try it" heading and the next level-2 heading. */
function walkthroughBlocks(readme: string): string[] {
  const start = readme.indexOf('## Try it');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README walk-through', () => {
  it('provisions, commissions, goes live, raises an SOS and handles it, with the commands as written', { timeout: 90_000 }, async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const password = readme.match(/HUB_ADMIN_PASSWORD=(\S+) npm start/)?.[1];
    expect(password).toBeTruthy();
    const hub = keep(await startTestHub(), closeHub);
    const blocks = walkthroughBlocks(readme);
    expect(blocks).toHaveLength(2);
    const script = blocks
      .join('\n')
      .replaceAll('http://127.0.0.1:8080', hub.httpUrl)
      .replace('MQTT_PORT=1884', `MQTT_PORT=${hub.mqttPort}`)
      .replaceAll(`"password":"${password!}"`, `"password":"${ADMIN_PASSWORD}"`);
    expect(script).not.toContain('8080');

    const res = await runCommand('bash', ['-e', '-o', 'pipefail', '-c', script], { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const all = res.stdout.trim().split('\n');
    // each simulator press says what it sent and when its PUBACK came
    const sent = all.filter((l) => l.startsWith('sent '));
    expect(sent.map((l) => l.split(' ')[1])).toEqual(['telemetry', 'sos', 'fall', 'sos']);
    expect(sent.every((l) => l.includes('PUBACK received'))).toBe(true);
    const lines = all.filter((l) => !l.startsWith('sent '));
    // commissioning passed, the home went live, one open SOS was listed, then handled step by step
    expect(lines[0]).toBe('true');
    expect(lines[1]).toBe('live');
    expect(lines[2]).toMatch(/^\S+ sos critical open$/);
    expect(lines.slice(3)).toEqual(['acknowledged', 'dispatched', 'resolved']);

    // and the hub agrees: the home is live and its one alert is resolved
    const homes = (await hub.api.get('/api/v1/homes')).body.homes as { status: string }[];
    expect(homes.map((h) => h.status)).toEqual(['live']);
    const alerts = (await hub.api.get('/api/v1/alerts')).body.alerts as { status: string }[];
    expect(alerts.map((a) => a.status)).toEqual(['resolved']);
  });
});
