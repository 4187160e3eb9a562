/**
 * One alarm end to end over real sockets: a provisioned bracelet's SOS over
 * MQTT becomes an open critical alert, in the journal, on REST and on the
 * WebSocket, within the same second.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { journalLines } from './helpers/journal-lines.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

/** The journal as text (files or database, whichever store the hub runs on). */
async function journalText(dataDir: string): Promise<string> {
  return (await journalLines(dataDir)).map((line) => JSON.stringify(line)).join('\n');
}

describe('SOS end to end', () => {
  it('raises a critical open alert visible in the journal, over REST and on the WebSocket', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const bracelet = devices[0]!;
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    const snapshot = await stream.next((m) => m.type === 'snapshot');
    expect(snapshot.alerts).toEqual([]);

    const device = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const sentAt = Date.now();
    await device.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'sos', seq: 1, ts: sentAt }), { qos: 1 });

    // On disk by the time the PUBACK arrived.
    const journal = await journalText(hub.dataDir);
    expect(journal).toContain('"type":"alert.raised"');
    expect(journal).toContain(bracelet.id);

    const pushed = await stream.next((m) => m.type === 'alert.raised', 15_000);
    expect(pushed.alert).toMatchObject({ homeId, deviceId: bracelet.id, kind: 'sos', severity: 'critical', status: 'open' });
    expect(typeof pushed.eventId).toBe('number');

    const res = await hub.api.get('/api/v1/alerts?status=open');
    expect(res.status).toBe(200);
    expect(res.body.alerts).toHaveLength(1);
    const alert = res.body.alerts[0];
    expect(alert).toMatchObject({ id: pushed.alert.id, homeId, deviceId: bracelet.id, kind: 'sos', severity: 'critical', status: 'open' });
    // Stamped by the hub when it took the alarm (between sending and now), not by the device.
    // How fast is the bench's job (alarm PUBACK latency, docs/PERFORMANCE.md), not a timed unit test's.
    expect(Date.parse(alert.raisedAt)).toBeGreaterThanOrEqual(sentAt - 5);
    expect(Date.parse(alert.raisedAt)).toBeLessThanOrEqual(Date.now());

    const detail = await hub.api.get(`/api/v1/alerts/${alert.id}`);
    expect(detail.body.timeline[0]).toMatchObject({ type: 'raised', actor: `device:${bracelet.id}` });
  });

  it('attaches a second SOS with a new seq as an occurrence, and drops a repeated seq', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const bracelet = devices[0]!;
    const device = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const topic = `hc/v1/${bracelet.id}/event`;
    await device.publishAsync(topic, JSON.stringify({ type: 'sos', seq: 7 }), { qos: 1 });
    await device.publishAsync(topic, JSON.stringify({ type: 'sos', seq: 7 }), { qos: 1 });

    let alerts = (await hub.api.get('/api/v1/alerts')).body.alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].occurrences).toBe(1);
    expect(hub.hub.ingest.dropped.duplicate).toBe(1);

    await device.publishAsync(topic, JSON.stringify({ type: 'sos', seq: 8 }), { qos: 1 });
    alerts = (await hub.api.get('/api/v1/alerts')).body.alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0].occurrences).toBe(2);
  });

  it('records an installing home\'s SOS as a test event and raises no real alert', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'], live: false });
    const bracelet = devices[0]!;
    const testEvents: unknown[] = [];
    hub.hub.bus.on('device.test_event', (e) => testEvents.push(e));
    const device = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    await device.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });

    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toEqual([]);
    expect(testEvents).toEqual([expect.objectContaining({ deviceId: bracelet.id, eventType: 'sos', alertKind: 'sos' })]);
    expect(await journalText(hub.dataDir)).toContain('"type":"device.test_event"');
  });
});
