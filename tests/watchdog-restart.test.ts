/**
 * Device watchdogs across a planned restart of a hub alone on its files
 * (issue 12; hub/ingest/watchdog-checkpoint.ts): the snapshot saved at a
 * clean stop carries each device's silence, and the next start resumes from
 * it. The downtime is not counted as silence (nobody could hear the devices);
 * a device past its window goes offline at the reconnect grace (one heartbeat
 * + 5 s after the start); one already offline before the stop raises no
 * second alert. Before, every device got a whole new silence from the start.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bracelet } from '../devices/kinds/bracelet.js';
import { RECONNECT_GRACE_EXTRA_MS } from '../hub/ingest/watchdog-checkpoint.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type ProvisionedDevice, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();
const HEARTBEAT_MS = bracelet.heartbeatSec * 1000; // 60 s
const TIMEOUT_MS = 3 * HEARTBEAT_MS; // offline after 180 s of silence
const GRACE_MS = HEARTBEAT_MS + RECONNECT_GRACE_EXTRA_MS; // 65 s

/** One telemetry message from the device: a sign of life at the clock's now. */
async function signOfLife(hub: TestHub, device: ProvisionedDevice): Promise<void> {
  const client = await connectDevice(hub.mqttUrl, device.id, device.secret);
  await client.publishAsync(`hc/v1/${device.id}/telemetry`, JSON.stringify({ heartRate: 70 }), { qos: 1 });
  await endClient(client); // a clean DISCONNECT: no will, only silence from now on
}

/** Offline alerts by device, with their occurrences, once what the timers raised is on disk. */
async function offlineAlerts(hub: TestHub): Promise<Record<string, number>> {
  await hub.hub.journal.whenDurable();
  const { alerts } = (await hub.api.get('/api/v1/alerts?kind=device_offline&limit=100')).body as { alerts: { deviceId: string; occurrences: number }[] };
  return Object.fromEntries(alerts.map((a) => [a.deviceId, a.occurrences]));
}

describe('device watchdogs across a planned restart of a hub alone', () => {
  it('resume from the silences saved at the stop, with the downtime not counted and the grace kept', async () => {
    const clock = new ManualClock();
    const first = keep(await startTestHub({ clock }), closeHub);
    // A home each: offline alerts of one home are one alert (occurrences), and each device must be told apart.
    const devices: ProvisionedDevice[] = [];
    for (let i = 0; i < 3; i++) devices.push((await first.provisionHome({ kinds: ['bracelet'] })).devices[0]!);
    const [gone, quiet, dead] = devices as [ProvisionedDevice, ProvisionedDevice, ProvisionedDevice];

    for (const d of devices) await signOfLife(first, d);
    clock.advance(40_000);
    await signOfLife(first, gone);
    await signOfLife(first, quiet);
    clock.advance(60_000);
    await signOfLife(first, quiet);
    clock.advance(90_000); // t = 190 s: `dead` went offline at 180 s
    expect(await offlineAlerts(first)).toEqual({ [dead.id]: 1 });
    // Stopped with `gone` silent 150 s of its 180, `quiet` 90 s, `dead` 190 s.
    await first.hub.stop();

    clock.advance(5 * 60_000); // five minutes down: every window would be over if the downtime counted
    const second = keep(await startTestHub({ clock, dataDir: first.dataDir }), closeHub);
    const startedAt = clock.now();
    clock.advance(GRACE_MS - 1);
    expect(await offlineAlerts(second)).toEqual({ [dead.id]: 1 });
    clock.advance(1);
    // `gone` had 30 s left: offline at the grace. `dead`, already offline, is not raised again.
    expect(await offlineAlerts(second)).toEqual({ [dead.id]: 1, [gone.id]: 1 });
    clock.advance(TIMEOUT_MS - 90_000 - GRACE_MS - 1);
    expect(await offlineAlerts(second)).toEqual({ [dead.id]: 1, [gone.id]: 1 });
    clock.advance(1);
    // `quiet` had 90 s left: offline 90 s after the start, not 180 s.
    expect(clock.now() - startedAt).toBe(90_000);
    expect(await offlineAlerts(second)).toEqual({ [dead.id]: 1, [gone.id]: 1, [quiet.id]: 1 });
    for (const d of devices) expect((await second.api.get(`/api/v1/devices/${d.id}`)).body.online).toBe(false);
  });

  it('after a start without a snapshot (a crash), every watchdog starts afresh', async () => {
    const clock = new ManualClock();
    const first = keep(await startTestHub({ clock }), closeHub);
    const { devices } = await first.provisionHome({ kinds: ['bracelet'] });
    await signOfLife(first, devices[0]!);
    clock.advance(150_000);
    await first.hub.stop();
    await rm(join(first.dataDir, 'rules-state.json')); // as if it had crashed: nothing saved at the stop

    const second = keep(await startTestHub({ clock, dataDir: first.dataDir }), closeHub);
    clock.advance(TIMEOUT_MS - 1);
    expect(await offlineAlerts(second)).toEqual({});
    clock.advance(1);
    expect(await offlineAlerts(second)).toEqual({ [devices[0]!.id]: 1 });
  });
});
