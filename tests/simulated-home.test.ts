/**
 * The simulators against the real hub: a simulated bracelet's heartbeats make
 * it online with battery and readings, its SOS becomes an alert, and the
 * `npm run sim` command raises one too.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { bracelet } from '../devices/kinds/bracelet.js';
import { SimulatedDevice } from '../simulators/simulated-device.js';
import { REPO_ROOT } from './helpers/hub-process.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function waitFor<T>(read: () => T | undefined, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('simulated devices against the hub', () => {
  it('a simulated bracelet reports readings, goes online, and its SOS raises an alert', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices: provisioned } = await hub.provisionHome({ kinds: ['bracelet'] });
    const p = provisioned[0]!;
    const device = keep(
      new SimulatedDevice({ url: hub.mqttUrl, deviceId: p.id, secret: p.secret, kind: bracelet, heartbeatSec: 0.1, reconnectPeriodMs: 0 }),
      (d) => d.stop(),
    );
    device.start();
    await device.waitForConnect();
    await waitFor(() => (hub.hub.states.get(p.id)?.readings.size ?? 0) >= 3);
    const state = hub.hub.states.get(p.id)!;
    expect(state.online).toBe(true);
    expect(typeof state.lastValues.heartRate).toBe('number');
    expect(state.battery).toBeGreaterThan(0);
    expect(hub.hub.ingest.dropped).toMatchObject({ not_json: 0, invalid_payload: 0, bad_status: 0 });

    await device.sendEvent('sos');
    const alerts = (await hub.api.get('/api/v1/alerts?status=open')).body.alerts;
    expect(alerts).toEqual([expect.objectContaining({ deviceId: p.id, kind: 'sos', severity: 'critical' })]);
  });

  it('`npm run sim` sends one SOS that the hub turns into an alert', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices: provisioned } = await hub.provisionHome({ kinds: ['bracelet'] });
    const p = provisioned[0]!;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'simulators/cli.ts', '--kind', 'bracelet', '--event', 'sos', '--device', p.id, '--secret', p.secret, '--port', String(hub.mqttPort)],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/sent sos from .*PUBACK received/);
    const alerts = (await hub.api.get('/api/v1/alerts?status=open')).body.alerts;
    expect(alerts).toEqual([expect.objectContaining({ deviceId: p.id, kind: 'sos' })]);
  });
});
