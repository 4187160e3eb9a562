/**
 * Issue 10, item 13: PROTOCOL.md promises installers each device's count of
 * dropped payloads. A device sends a non-JSON and a wrong-shape payload over
 * real MQTT, stays connected, and every device read of the API — as the
 * installer sees it — shows badPayloads = 2 with the last reason and time;
 * duplicates (retransmissions) and good messages do not count.
 */
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.js';
import { createLogger } from '../hub/core/logger.js';
import { LineBudget } from '../hub/core/log-throttle.js';
import { DROP_LOG_LINES_PER_SECOND } from '../hub/ingest/ingest.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { logSink } from './helpers/log-sink.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub } from './helpers/test-hub.js';

const keep = useCleanup();

describe('bad payloads per device (issue 10, item 13)', () => {
  it('counts a non-JSON and a wrong-shape payload on the device, keeps it connected, and shows both in the API', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'], live: false });
    const bracelet = devices[0]!;
    await hub.hub.registry.createUser({ username: 'fitter', role: 'installer', displayName: 'Fitter', passwordHash: await hashPassword('fitter-password-1') });
    const installer = new ApiClient(hub.httpUrl);
    await installer.login('fitter', 'fitter-password-1');

    const fresh = (await installer.get(`/api/v1/devices/${bracelet.id}`)).body;
    expect(fresh).toMatchObject({ badPayloads: 0, lastBadPayload: null });

    const client = keep(await connectDevice(hub.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const event = `hc/v1/${bracelet.id}/event`;
    // QoS 1: the hub handles a message before its PUBACK, so the count is there when this resolves.
    await client.publishAsync(event, 'hello from firmware 0.9', { qos: 1 });
    await client.publishAsync(event, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await client.publishAsync(event, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 }); // a retransmission: not bad
    const beforeWrong = Date.now();
    // On the event channel: telemetry may be shed unparsed when the hub is overloaded, events never are.
    await client.publishAsync(event, JSON.stringify({ type: 'fall', confidence: 'high', seq: 2 }), { qos: 1 });
    expect(client.connected).toBe(true);
    expect(hub.hub.ingest.dropped).toMatchObject({ not_json: 1, invalid_payload: 1, duplicate: 1 });

    const device = (await installer.get(`/api/v1/devices/${bracelet.id}`)).body;
    expect(device.badPayloads).toBe(2);
    expect(device.lastBadPayload).toMatchObject({ reason: 'invalid_payload', detail: expect.stringContaining('confidence') });
    expect(Date.parse(device.lastBadPayload.at)).toBeGreaterThanOrEqual(beforeWrong - 1_000);
    // The good SOS went through as usual (a test event while installing): nothing else changed.
    expect(device.lastEvent).toMatchObject({ type: 'sos' });

    // The same on every read an installer uses: the home, its device list, and homes?include=devices.
    const inHome = (await installer.get(`/api/v1/homes/${homeId}`)).body.devices[0];
    const inList = (await installer.get(`/api/v1/homes/${homeId}/devices`)).body.devices[0];
    const inAll = (await installer.get('/api/v1/homes?include=devices')).body.homes.find((h: { id: string }) => h.id === homeId).devices[0];
    for (const view of [inHome, inList, inAll]) expect(view).toMatchObject({ id: bracelet.id, badPayloads: 2, lastBadPayload: device.lastBadPayload });

    const openapi = (await installer.get('/api/v1/openapi.json')).body;
    expect(Object.keys(openapi.components.schemas.Device.properties)).toEqual(expect.arrayContaining(['badPayloads', 'lastBadPayload']));
  });

  it('names a not-JSON payload as such when it is the last one', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['door_sensor'] });
    const door = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, door.id, door.secret), endClient);
    await client.publishAsync(`hc/v1/${door.id}/event`, JSON.stringify({ type: 'opened' }), { qos: 1 });
    await client.publishAsync(`hc/v1/${door.id}/event`, '{"type":"open"', { qos: 1 });
    const device = (await hub.api.get(`/api/v1/devices/${door.id}`)).body;
    expect(device).toMatchObject({ badPayloads: 2, lastBadPayload: { reason: 'not_json', detail: '{"type":"open"' } });
    expect(client.connected).toBe(true);
  });
});

describe('the log of dropped messages, over all devices', () => {
  it('a fleet sending garbage at once gets at most DROP_LOG_LINES_PER_SECOND lines a second; every drop is still counted on its device', async () => {
    const sink = logSink();
    const hub = keep(await startTestHub({ log: createLogger('info', sink.stream) }), closeHub);
    const fleet = DROP_LOG_LINES_PER_SECOND + 10;
    const { devices } = await hub.provisionHome({ kinds: Array.from({ length: fleet }, () => 'bracelet') });
    // The real entry the broker calls, one bad event per device (a key per device: the per-device throttle lets each through).
    for (const d of devices) hub.hub.ingest.accept(d.id, 'event', Buffer.from('firmware 0.9 says hello'), Date.now());
    await new Promise((resolve) => setImmediate(resolve)); // the logger's stream writes once the loop turns
    expect(hub.hub.ingest.dropped.not_json).toBe(fleet);
    expect(sink.lines.filter((l) => l.msg === 'device message dropped')).toHaveLength(DROP_LOG_LINES_PER_SECOND);
    const counted = await Promise.all(devices.map(async (d) => (await hub.api.get(`/api/v1/devices/${d.id}`)).body.badPayloads as number));
    expect(counted).toEqual(devices.map(() => 1));
  });

  it('LineBudget: lines per window, the held-back count told with the next line let through', () => {
    let now = 0;
    const budget = new LineBudget(2, 1_000, () => now);
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([{ heldBack: 0 }, { heldBack: 0 }, null, null]);
    now = 999;
    expect(budget.take()).toBeNull();
    now = 1_000;
    expect(budget.take()).toEqual({ heldBack: 3 });
    expect(budget.take()).toEqual({ heldBack: 0 });
  });
});
