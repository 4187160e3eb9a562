/**
 * DESIGN.md §6: an alarm is in the journal before the device gets its PUBACK,
 * so killing the hub with SIGKILL right after a PUBACK loses nothing.
 */
import { describe, expect, it } from 'vitest';
import { useChildHubs } from './helpers/child-hubs.js';
import { connectDevice } from './helpers/mqtt-device.js';

const hubs = useChildHubs('crash-test-password');

describe('kill -9 right after a PUBACK', () => {
  it('keeps every alarm the device saw acknowledged, and recognises its retransmission as a duplicate', async () => {
    const dataDir = await hubs.tempDir();
    const first = await hubs.start(dataDir);
    const home = await first.api.post('/api/v1/homes', { name: 'Crash home', address: 'x', resident: { name: 'Li Wei', birthYear: 1938 } });
    const device = await first.api.post(`/api/v1/homes/${home.body.id}/devices`, { kind: 'bracelet', serial: 'CRASH-1' });
    await first.api.post(`/api/v1/homes/${home.body.id}/go-live`, { overrideReason: 'crash test: not commissioned' });
    const { id, secret } = device.body;

    const client = hubs.track(await connectDevice(`mqtt://127.0.0.1:${first.proc.mqttPort}`, id, secret));
    const payload = JSON.stringify({ type: 'sos', seq: 41, ts: Date.now() });
    await client.publishAsync(`hc/v1/${id}/event`, payload, { qos: 1 });
    // PUBACK received: kill at once, before any graceful flush could happen.
    first.proc.child.kill('SIGKILL');
    await first.proc.exited;
    await client.endAsync(true);

    const second = await hubs.start(dataDir);
    const alerts = (await second.api.get('/api/v1/alerts?status=open')).body.alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ deviceId: id, kind: 'sos', severity: 'critical', occurrences: 1 });

    // The device, unsure, retransmits the same message: not a second occurrence.
    const again = hubs.track(await connectDevice(`mqtt://127.0.0.1:${second.proc.mqttPort}`, id, secret));
    await again.publishAsync(`hc/v1/${id}/event`, payload, { qos: 1 });
    const after = (await second.api.get('/api/v1/alerts?status=open')).body.alerts;
    expect(after).toHaveLength(1);
    expect(after[0].occurrences).toBe(1);
  }, 60_000); // two cold starts of a child hub: slow on a loaded 2-core machine
});
