/**
 * The `configure` command (issue 11) over real HTTP and MQTT: installers set a
 * device's heartbeat interval through the API; bad input is refused with the
 * field named and nothing queued, sent, stored or audited; the command goes
 * through the outbox (an offline device gets it when it is back); the
 * interval is stored on the device once it confirms; and the offline watchdog
 * follows it — the longer of old and new while unconfirmed, then the new one,
 * also after a restart (manual clock).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { journalLines } from './helpers/journal-lines.js';
import { ManualClock } from './helpers/manual-clock.js';
import { CommandInbox, connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type ProvisionedDevice, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function subscribed(hub: TestHub, device: ProvisionedDevice): Promise<CommandInbox> {
  const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
  return CommandInbox.open(client, device.id);
}

async function storedDevice(hub: TestHub, id: string): Promise<Record<string, unknown>> {
  const file = JSON.parse(await readFile(join(hub.dataDir, 'registry', 'devices.json'), 'utf8')) as { items: Record<string, Record<string, unknown>> };
  return file.items[id]!;
}

const online = (hub: TestHub, id: string) => hub.hub.states.get(id)?.online;

/** A bracelet heard from just now, asked for a new interval, with the command received (not yet confirmed). */
async function configuring(clock: ManualClock, heartbeatSec: number) {
  const hub = keep(await startTestHub({ clock }), closeHub);
  const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  const bracelet = devices[0]!;
  const inbox = await subscribed(hub, bracelet);
  await inbox.client.publishAsync(`hc/v1/${bracelet.id}/telemetry`, '{}', { qos: 1 });
  expect(online(hub, bracelet.id)).toBe(true);
  const queued = await hub.api.post(`/api/v1/devices/${bracelet.id}/configure`, { heartbeatSec });
  await inbox.next((c) => c.cmdId === queued.body.cmdId);
  return { hub, bracelet, inbox, cmdId: queued.body.cmdId as string };
}

describe('POST /devices/{id}/configure', () => {
  it('refuses bad input with the field named, and queues, sends, stores and audits nothing', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const bracelet = devices[0]!;
    const inbox = await subscribed(hub, bracelet);
    const linesBefore = (await journalLines(hub.dataDir)).length;

    const bad: [unknown, string][] = [
      [{}, 'heartbeatSec'],
      [{ heartbeatSec: 9 }, 'heartbeatSec'],
      [{ heartbeatSec: 86_401 }, 'heartbeatSec'],
      [{ heartbeatSec: 60.5 }, 'heartbeatSec'],
      [{ heartbeatSec: '60' }, 'heartbeatSec'],
      [{ heartbeatSec: 60, cmd: 'silence' }, 'cmd'],
    ];
    for (const [body, field] of bad) {
      const res = await hub.api.post(`/api/v1/devices/${bracelet.id}/configure`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_body');
      expect(res.body.error.message, JSON.stringify(body)).toContain(field);
    }
    const notJson = await hub.api.request('POST', `/api/v1/devices/${bracelet.id}/configure`, undefined, { headers: { 'content-type': 'application/json' }, raw: '{"heartbeatSec":' });
    expect(notJson.status).toBe(400);
    expect((await hub.api.post('/api/v1/devices/brc-nope/configure', { heartbeatSec: 60 })).status).toBe(404);

    // Only installers and admins: an operator is refused before anything happens.
    await hub.hub.registry.createUser({ username: 'op', role: 'operator', passwordHash: await hashPassword('op-pass-1234'), displayName: 'Op' });
    const operator = new ApiClient(hub.httpUrl);
    await operator.login('op', 'op-pass-1234');
    expect((await operator.post(`/api/v1/devices/${bracelet.id}/configure`, { heartbeatSec: 120 })).status).toBe(403);

    expect((await journalLines(hub.dataDir)).slice(linesBefore).filter((l) => l.type !== 'audit')).toEqual([]);
    expect(hub.hub.audit.recent().filter((e) => e.action === 'device.configure_requested')).toEqual([]);
    expect(hub.hub.outbox.forDevice(bracelet.id)).toEqual([]);
    expect((await storedDevice(hub, bracelet.id)).heartbeatSec).toBeUndefined();
    // The first command the device ever receives is the good one sent now.
    const good = await hub.api.post(`/api/v1/devices/${bracelet.id}/configure`, { heartbeatSec: 120 });
    expect(good.status).toBe(202);
    expect(await inbox.next()).toEqual({ cmd: 'configure', cmdId: good.body.cmdId, heartbeatSec: 120 });
    expect(hub.hub.audit.recent().filter((e) => e.action === 'device.configure_requested').map((e) => [e.actor, e.target, e.detail])).toEqual([
      ['user:admin', bracelet.id, { heartbeatSec: 120, cmdId: good.body.cmdId }],
    ]);
  });

  it('refuses a revoked device (409)', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['door_sensor'] });
    await hub.api.post(`/api/v1/devices/${devices[0]!.id}/revoke`, { reason: 'lost in the move' });
    const res = await hub.api.post(`/api/v1/devices/${devices[0]!.id}/configure`, { heartbeatSec: 600 });
    expect(res.status).toBe(409);
    expect(hub.hub.outbox.forDevice(devices[0]!.id)).toEqual([]);
  });

  it('reaches an offline device when it is back, and is stored on the device only once confirmed', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['smoke_sensor'] });
    const smoke = devices[0]!;
    const queued = await hub.api.post(`/api/v1/devices/${smoke.id}/configure`, { heartbeatSec: 600 });
    expect(queued.body).toMatchObject({ cmd: 'configure', state: 'pending', deviceId: smoke.id });
    // A second request replaces the first: only the latest interval is worth sending.
    const latest = await hub.api.post(`/api/v1/devices/${smoke.id}/configure`, { heartbeatSec: 450 });
    const view = (await hub.api.get(`/api/v1/devices/${smoke.id}/commands`)).body;
    expect(view).toMatchObject({ heartbeatSec: 300, defaultHeartbeatSec: 300, watchdogHeartbeatSec: 450, pending: { cmdId: latest.body.cmdId } });
    expect(view.commands.map((c: { state: string; expiryReason?: string }) => `${c.state}:${c.expiryReason ?? ''}`)).toEqual(['pending:', 'expired:superseded']);

    const inbox = await subscribed(hub, smoke);
    const command = await inbox.next();
    expect(command).toEqual({ cmd: 'configure', cmdId: latest.body.cmdId, heartbeatSec: 450 });
    await expect.poll(() => hub.hub.outbox.get(command.cmdId)?.state).toBe('delivered');
    expect((await storedDevice(hub, smoke.id)).heartbeatSec).toBeUndefined();

    await inbox.confirm(command.cmdId);
    await expect.poll(async () => (await storedDevice(hub, smoke.id)).heartbeatSec).toBe(450);
    expect((await hub.api.get(`/api/v1/devices/${smoke.id}/commands`)).body).toMatchObject({ heartbeatSec: 450, watchdogHeartbeatSec: 450 });
    expect((await hub.api.get(`/api/v1/devices/${smoke.id}`)).body.heartbeatSec).toBe(450);
  });
});

describe('the offline watchdog follows the configured interval', () => {
  it('allows the longer interval while unconfirmed, then the confirmed one, also after a restart', async () => {
    const clock = new ManualClock();
    const { hub: first, bracelet, inbox, cmdId } = await configuring(clock, 300);
    // Default 60 s: offline after 180 s. Pending 300 s: the device may already be on it, so not yet.
    clock.advance(181_000);
    expect(online(first, bracelet.id)).toBe(true);

    await inbox.confirm(cmdId); // a sign of life too
    await expect.poll(async () => (await storedDevice(first, bracelet.id)).heartbeatSec).toBe(300);
    clock.advance(899_999);
    expect(online(first, bracelet.id)).toBe(true);
    clock.advance(1);
    expect(online(first, bracelet.id)).toBe(false);

    // Restarted: the stored interval, not the kind's default.
    await inbox.client.endAsync();
    await first.hub.stop();
    const hub = keep(await startTestHub({ clock, dataDir: first.dataDir }), closeHub);
    const statuses: boolean[] = [];
    hub.hub.bus.on('device.status', (s) => statuses.push(s.online));
    clock.advance(3 * 60_000);
    expect(statuses).toEqual([]);
    clock.advance(3 * 240_000);
    expect(online(hub, bracelet.id)).toBe(false);
  });

  it('keeps the old, longer interval until a shorter one is confirmed', async () => {
    const clock = new ManualClock();
    const { hub, bracelet, inbox, cmdId } = await configuring(clock, 20);
    clock.advance(179_000); // 3 × 20 s passed long ago, but the device may still be on 60 s
    expect(online(hub, bracelet.id)).toBe(true);

    await inbox.confirm(cmdId);
    await expect.poll(async () => (await storedDevice(hub, bracelet.id)).heartbeatSec).toBe(20);
    clock.advance(59_999);
    expect(online(hub, bracelet.id)).toBe(true);
    clock.advance(1);
    expect(online(hub, bracelet.id)).toBe(false);
  });
});
