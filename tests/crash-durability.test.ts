/**
 * DESIGN.md §6: an alarm is in the journal before the device gets its PUBACK,
 * so killing the hub with SIGKILL right after a PUBACK loses nothing.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from './helpers/api-client.js';
import { startHubProcess, type HubProcess } from './helpers/hub-process.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { makeTempDir } from './helpers/temp-dir.js';

const PASSWORD = 'crash-test-password';
const running: HubProcess[] = [];
const clients: MqttClient[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  for (const p of running.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  for (const c of cleanups.splice(0)) await c();
});

async function start(dataDir: string): Promise<{ proc: HubProcess; api: ApiClient }> {
  const proc = await startHubProcess({ HUB_DATA_DIR: dataDir, HUB_ADMIN_PASSWORD: PASSWORD });
  running.push(proc);
  const api = new ApiClient(`http://127.0.0.1:${proc.httpPort}`);
  await api.login('admin', PASSWORD);
  return { proc, api };
}

describe('kill -9 right after a PUBACK', () => {
  it('keeps every alarm the device saw acknowledged, and recognises its retransmission as a duplicate', async () => {
    const temp = await makeTempDir();
    cleanups.push(temp.remove);
    const first = await start(temp.path);
    const home = await first.api.post('/api/v1/homes', { name: 'Crash home', address: 'x', resident: { name: 'Li Wei', birthYear: 1938 } });
    const device = await first.api.post(`/api/v1/homes/${home.body.id}/devices`, { kind: 'bracelet', serial: 'CRASH-1' });
    await first.api.post(`/api/v1/homes/${home.body.id}/go-live`, { overrideReason: 'crash test: not commissioned' });
    const { id, secret } = device.body;

    const client = await connectDevice(`mqtt://127.0.0.1:${first.proc.mqttPort}`, id, secret);
    clients.push(client);
    const payload = JSON.stringify({ type: 'sos', seq: 41, ts: Date.now() });
    await client.publishAsync(`hc/v1/${id}/event`, payload, { qos: 1 });
    // PUBACK received: kill at once, before any graceful flush could happen.
    first.proc.child.kill('SIGKILL');
    await first.proc.exited;
    await client.endAsync(true);

    const second = await start(temp.path);
    const alerts = (await second.api.get('/api/v1/alerts?status=open')).body.alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ deviceId: id, kind: 'sos', severity: 'critical', occurrences: 1 });

    // The device, unsure, retransmits the same message: not a second occurrence.
    const again = await connectDevice(`mqtt://127.0.0.1:${second.proc.mqttPort}`, id, secret);
    clients.push(again);
    await again.publishAsync(`hc/v1/${id}/event`, payload, { qos: 1 });
    const after = (await second.api.get('/api/v1/alerts?status=open')).body.alerts;
    expect(after).toHaveLength(1);
    expect(after[0].occurrences).toBe(1);
  });
});
