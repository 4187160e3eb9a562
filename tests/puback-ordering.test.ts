/**
 * DESIGN.md §6 / §10: Aedes sends a QoS 1 PUBACK before its `published` hook
 * runs, so the hub persists in the pre-ack path. Here the journal's durable write (O_DSYNC)
 * is held back on purpose: the device must get no PUBACK and nobody must see
 * the alert until the fsync completes.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { gatedOpener } from './helpers/gated-journal.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

describe('PUBACK after fsync', () => {
  it('holds the PUBACK of an SOS, and hides the alert, until its journal line is fsynced', async () => {
    const gate = gatedOpener();
    const hub = keep(await startTestHub({ journalFileOpener: gate.opener }), closeHub);
    keep(gate, (g) => g.open()); // a failed expectation must not leave the hub's stop waiting at the gate
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    await stream.next((m) => m.type === 'snapshot');
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);

    gate.close();
    let acked = false;
    const publish = client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 }).then(() => (acked = true));
    await gate.whenHeld();
    // The alarm's fsync is held: for a while, no PUBACK and no alert may appear (a quiet window, after the event).
    await new Promise((r) => setTimeout(r, 300));
    expect(gate.held).toBeGreaterThanOrEqual(1);
    expect(acked).toBe(false);
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toEqual([]);
    expect(stream.messages.some((m) => m.type === 'alert.raised')).toBe(false);

    gate.open();
    await publish;
    expect(acked).toBe(true);
    await stream.next((m) => m.type === 'alert.raised', 10_000);
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toHaveLength(1);
  });

  it('does not hold telemetry for the journal', async () => {
    const gate = gatedOpener();
    const hub = keep(await startTestHub({ journalFileOpener: gate.opener }), closeHub);
    keep(gate, (g) => g.open());
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    gate.close();
    // An audit line is pending behind the closed gate, yet telemetry is acked at once.
    hub.hub.audit.record('test.pending', 'system');
    await client.publishAsync(`hc/v1/${d.id}/telemetry`, JSON.stringify({ heartRate: 72 }), { qos: 1 });
    expect(hub.hub.states.get(d.id)?.lastValues.heartRate).toBe(72);
    gate.open();
  });

  it('holds the PUBACK of telemetry that raised an alarm (gas at 25 % LEL) until it is fsynced', async () => {
    const gate = gatedOpener();
    const hub = keep(await startTestHub({ journalFileOpener: gate.opener }), closeHub);
    keep(gate, (g) => g.open());
    const { devices } = await hub.provisionHome({ kinds: ['gas_alarm'] });
    const d = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    gate.close();
    let acked = false;
    const publish = client.publishAsync(`hc/v1/${d.id}/telemetry`, JSON.stringify({ lel: 25 }), { qos: 1 }).then(() => (acked = true));
    await gate.whenHeld();
    await new Promise((r) => setTimeout(r, 300)); // the quiet window, as above
    expect(acked).toBe(false);
    gate.open();
    await publish;
    expect((await hub.api.get('/api/v1/alerts?kind=gas')).body.alerts).toEqual([expect.objectContaining({ severity: 'critical' })]);
  });
});
