/**
 * Offline detection: the watchdog unit with a manual clock, and the whole hub
 * with an injected clock — a device silent for 3 × its heartbeat is reported
 * offline on the WebSocket and comes back online with its next message.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { bracelet } from '../devices/kinds/bracelet.js';
import { Watchdog } from '../hub/ingest/watchdog.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub } from './helpers/test-hub.js';

describe('Watchdog', () => {
  it('fires exactly at the timeout after the last sign of life, not before', () => {
    const clock = new ManualClock();
    const silent: string[] = [];
    const watchdog = new Watchdog(clock, (id) => silent.push(id));
    watchdog.watch('d1', 1_000);
    clock.advance(999);
    expect(silent).toEqual([]);
    clock.advance(1);
    expect(silent).toEqual(['d1']);
  });

  it('is pushed back by every touch, with a single timer per device', () => {
    const clock = new ManualClock();
    const silent: string[] = [];
    const watchdog = new Watchdog(clock, (id) => silent.push(id));
    watchdog.watch('d1', 1_000);
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      watchdog.touch('d1');
    }
    expect(silent).toEqual([]);
    expect(clock.pending).toBe(1);
    clock.advance(1_000);
    expect(silent).toEqual(['d1']);
  });

  it('fires once per silence and re-arms on the next sign of life', () => {
    const clock = new ManualClock();
    const silent: string[] = [];
    const watchdog = new Watchdog(clock, (id) => silent.push(id));
    watchdog.watch('d1', 1_000);
    clock.advance(5_000);
    expect(silent).toEqual(['d1']);
    watchdog.touch('d1');
    clock.advance(999);
    expect(silent).toEqual(['d1']);
    clock.advance(1);
    expect(silent).toEqual(['d1', 'd1']);
  });

  it('stops watching an unwatched device and leaves no timers behind on stop', () => {
    const clock = new ManualClock();
    const silent: string[] = [];
    const watchdog = new Watchdog(clock, (id) => silent.push(id));
    watchdog.watch('d1', 1_000);
    watchdog.watch('d2', 1_000);
    watchdog.unwatch('d1');
    watchdog.stop();
    clock.advance(10_000);
    expect(silent).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

describe('device presence through the hub', () => {
  const keep = useCleanup();

  it('marks a silent bracelet offline after 3 × heartbeat and online again on its next message', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const device = devices[0]!;
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    await stream.next((m) => m.type === 'snapshot');

    const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
    await client.publishAsync(`hc/v1/${device.id}/telemetry`, JSON.stringify({ heartRate: 70 }), { qos: 1 });
    const online = await stream.next((m) => m.type === 'device.status' && m.online === true);
    expect(online).toMatchObject({ deviceId: device.id, reason: 'message' });

    const timeoutMs = 3 * bracelet.heartbeatSec * 1000;
    clock.advance(timeoutMs - 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(stream.messages.some((m) => m.type === 'device.status' && m.online === false)).toBe(false);
    clock.advance(1);
    const offline = await stream.next((m) => m.type === 'device.status' && m.online === false);
    expect(offline).toMatchObject({ deviceId: device.id, reason: 'watchdog' });
    expect((await hub.api.get(`/api/v1/homes/${device.homeId}/devices`)).body.devices[0].online).toBe(false);

    // The device is still connected over MQTT: only its silence made it offline.
    await client.publishAsync(`hc/v1/${device.id}/telemetry`, JSON.stringify({ heartRate: 71 }), { qos: 1 });
    // Device status is volatile (no event id): "after" is its place among the messages received.
    await stream.next((m) => m.type === 'device.status' && m.online === true && stream.messages.indexOf(m) > stream.messages.indexOf(offline));
    expect((await hub.api.get(`/api/v1/homes/${device.homeId}/devices`)).body.devices[0].online).toBe(true);
  });
});
