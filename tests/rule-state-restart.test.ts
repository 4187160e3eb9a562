/**
 * Rule state across a planned restart: a door opened before the restart still
 * raises "door left open" at 30 minutes; a snapshot older than 15 minutes
 * (a crash, a long outage) is ignored rather than raising stale alerts.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();
/**
 * Timers fire inside clock.advance(), and an alert they raise is appended to the
 * journal there and then; it is listed once on disk. Waiting for the journal to be
 * durable is waiting on that event (a 50 ms sleep lost to a slow fsync under load).
 */
const settle = (hub: TestHub) => hub.hub.journal.whenDurable();

async function openDoorThenRestart(gapMs: number) {
  const clock = new ManualClock(Date.parse('2026-11-24T02:00:00Z')); // 10:00 in Shanghai: not night
  const first = keep(await startTestHub({ clock }), closeHub);
  const { devices } = await first.provisionHome({ kinds: ['door_sensor'] });
  const door = devices[0]!;
  const client = await connectDevice(first.mqttUrl, door.id, door.secret);
  await client.publishAsync(`hc/v1/${door.id}/event`, JSON.stringify({ type: 'open', seq: 1 }), { qos: 1 });
  await endClient(client);
  clock.advance(10 * 60_000);
  await first.hub.stop();
  clock.advance(gapMs);
  const second = keep(await startTestHub({ clock, dataDir: first.dataDir }), closeHub);
  return { clock, second };
}

describe('rule state across a restart', () => {
  it('keeps timing a door left open before a planned restart', async () => {
    const { clock, second } = await openDoorThenRestart(60_000);
    clock.advance(18 * 60_000); // 29 minutes after the door opened
    await settle(second);
    expect((await second.api.get('/api/v1/alerts?kind=door_open')).body.alerts).toEqual([]);
    clock.advance(60_000);
    await settle(second);
    expect((await second.api.get('/api/v1/alerts?kind=door_open')).body.alerts).toEqual([expect.objectContaining({ severity: 'medium' })]);
  });

  it('ignores state saved too long ago', async () => {
    const { clock, second } = await openDoorThenRestart(20 * 60_000);
    clock.advance(60 * 60_000);
    await settle(second);
    expect((await second.api.get('/api/v1/alerts?kind=door_open')).body.alerts).toEqual([]);
  });
});
