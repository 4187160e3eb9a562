/**
 * Commands that provably arrive (issue 10), over real MQTT and HTTP: a
 * bracelet that is offline when its SOS is acknowledged gets "help is coming"
 * when it reconnects and subscribes — also after a hub restart in between —
 * and its cmd_ack moves the command to confirmed (API and stream). Unconfirmed
 * commands are resent at every subscribe, one at a time and in order; a
 * critical alert nobody confirmed within 60 s says so; with two bracelets the
 * other one gets it when the alarm's bracelet does not confirm. cmd_ack never
 * raises an alert, is never shed, and confirms only the sender's own command.
 */
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { journalLines } from './helpers/journal-lines.js';
import { ManualClock } from './helpers/manual-clock.js';
import { CommandInbox, connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type ProvisionedDevice, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function connect(hub: TestHub, device: ProvisionedDevice): Promise<MqttClient> {
  return keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
}

/** The bracelet presses SOS (PUBACK = stored) and the alert as the API lists it. */
async function sos(hub: TestHub, client: MqttClient, device: ProvisionedDevice, seq = 1) {
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq }), { qos: 1 });
  const alerts = (await hub.api.get('/api/v1/alerts?status=open')).body.alerts;
  return alerts.find((a: { homeId: string }) => a.homeId === device.homeId);
}

/** A live home with one bracelet, connected (not yet subscribed to its commands). */
async function braceletHome(options: { clock?: ManualClock } = {}) {
  const hub = keep(await startTestHub(options), closeHub);
  const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  const bracelet = devices[0]!;
  return { hub, bracelet, client: await connect(hub, bracelet) };
}

const alertOf = async (hub: TestHub, id: string) => (await hub.api.get(`/api/v1/alerts/${id}`)).body;
const states = (alert: { commands?: { deviceId: string; state: string }[] }) => (alert.commands ?? []).map((c) => `${c.deviceId}:${c.state}`);

describe('help_coming through the command outbox', () => {
  it('reaches a bracelet that was offline at the acknowledgement, across a hub restart, and is confirmed by its cmd_ack', async () => {
    const { hub: first, bracelet, client: before } = await braceletHome();
    const alert = await sos(first, before, bracelet);
    await before.endAsync(); // the bracelet drops off before anyone answers

    const acked = await first.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    expect(acked.status).toBe(200);
    expect(acked.body.commands).toEqual([expect.objectContaining({ command: 'help_coming', deviceId: bracelet.id, state: 'pending' })]);
    const cmdId = acked.body.commands[0].cmdId as string;
    expect((await journalLines(first.dataDir)).filter((l) => l.type === 'command.queued').map((l) => l.data)).toEqual([
      expect.objectContaining({ cmdId, deviceId: bracelet.id, alertId: alert.id, command: { cmd: 'help_coming', cmdId, alertId: alert.id } }),
    ]);

    // The hub restarts on the same data dir before the bracelet is back.
    await first.hub.stop();
    const hub = keep(await startTestHub({ dataDir: first.dataDir }), closeHub);
    expect(states(await alertOf(hub, alert.id))).toEqual([`${bracelet.id}:pending`]);
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);

    const inbox = await CommandInbox.open(await connect(hub, bracelet), bracelet.id);
    expect(await inbox.next()).toEqual({ cmd: 'help_coming', cmdId, alertId: alert.id });
    await expect.poll(async () => states(await alertOf(hub, alert.id))).toEqual([`${bracelet.id}:delivered`]);
    await stream.next((m) => m.type === 'alert.updated' && m.alert.commands?.[0]?.state === 'delivered');

    await inbox.confirm(cmdId); // its PUBACK comes once the confirmation is on disk
    const confirmed = await alertOf(hub, alert.id);
    expect(confirmed.commands[0]).toMatchObject({ cmdId, state: 'confirmed', queuedAt: expect.any(String), deliveredAt: expect.any(String), confirmedAt: expect.any(String) });
    expect(confirmed.flags.helpUnconfirmed).toBeFalsy();
    const steps = confirmed.timeline.filter((e: { type: string }) => e.type === 'command_updated').map((e: { state: string; actor: string }) => `${e.state}:${e.actor}`);
    expect(steps).toEqual(['pending:user:admin', 'delivered:system', `confirmed:device:${bracelet.id}`]);
    const pushed = await stream.next((m) => m.type === 'alert.updated' && m.alert.commands?.[0]?.state === 'confirmed');
    expect(pushed.alert.id).toBe(alert.id);

    // The device's command list says the same; the cmd_ack raised nothing.
    const listed = (await hub.api.get(`/api/v1/devices/${bracelet.id}/commands`)).body;
    expect(listed.commands).toEqual([expect.objectContaining({ cmdId, cmd: 'help_coming', state: 'confirmed', alertId: alert.id })]);
    expect((await hub.api.get('/api/v1/alerts?status=unresolved')).body.total).toBe(1);
    expect((await journalLines(hub.dataDir)).filter((l) => l.type.startsWith('command.')).map((l) => l.type)).toEqual(['command.queued', 'command.delivered', 'command.confirmed']);
  });

  it('resends an unconfirmed command at every subscribe, oldest first, and a confirmed one never again', async () => {
    const { hub, bracelet, client: one } = await braceletHome();
    const alert = await sos(hub, one, bracelet);
    const firstInbox = await CommandInbox.open(one, bracelet.id);
    await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    const help = await firstInbox.next();
    await expect.poll(async () => states(await alertOf(hub, alert.id))).toEqual([`${bracelet.id}:delivered`]);
    await one.endAsync(); // received (PUBACKed) but never confirmed: lost in a reboot

    const config = await hub.api.post(`/api/v1/devices/${bracelet.id}/configure`, { heartbeatSec: 120 });
    expect(config.status).toBe(202);
    const two = await CommandInbox.open(await connect(hub, bracelet), bracelet.id);
    // Both, in the order they were queued, and the help_coming with its original id.
    await two.next((c) => c.cmd === 'configure');
    expect(two.received.map((c) => c.cmdId)).toEqual([help.cmdId, config.body.cmdId]);
    await two.confirm(help.cmdId);
    await two.client.endAsync();

    // Third session: the configure (still unconfirmed) comes first — the confirmed help_coming is older and would have come before it.
    const three = await CommandInbox.open(await connect(hub, bracelet), bracelet.id);
    expect((await three.next()).cmdId).toBe(config.body.cmdId);
    await three.confirm(config.body.cmdId);
    expect((await hub.api.get(`/api/v1/devices/${bracelet.id}/commands`)).body.commands.map((c: { cmd: string; state: string }) => `${c.cmd}:${c.state}`)).toEqual([
      'configure:confirmed',
      'help_coming:confirmed',
    ]);
  });

  it('flags a critical alert whose help_coming nobody confirmed within 60 s, pushes it, and clears it on a late confirmation', async () => {
    const clock = new ManualClock();
    const { hub, bracelet, client } = await braceletHome({ clock });
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    const inbox = await CommandInbox.open(client, bracelet.id);
    const alert = await sos(hub, client, bracelet);
    await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    const help = await inbox.next();

    clock.advance(59_999);
    expect(hub.hub.alerts.get(alert.id)!.flags.helpUnconfirmed).toBeFalsy();
    clock.advance(1);
    expect(hub.hub.alerts.get(alert.id)!.flags.helpUnconfirmed).toBe(true);
    const pushed = await stream.next((m) => m.type === 'alert.updated' && m.alert.flags.helpUnconfirmed === true);
    expect(pushed.alert.id).toBe(alert.id);
    expect((await alertOf(hub, alert.id)).timeline.map((e: { type: string }) => e.type)).toContain('help_unconfirmed');

    await inbox.confirm(help.cmdId);
    const after = await alertOf(hub, alert.id);
    expect(after.flags.helpUnconfirmed).toBe(false);
    expect(states(after)).toEqual([`${bracelet.id}:confirmed`]);
  });

  it('does not flag an alert whose bracelet confirmed in time, nor one no longer critical', async () => {
    const clock = new ManualClock();
    const { hub, bracelet, client } = await braceletHome({ clock });
    const inbox = await CommandInbox.open(client, bracelet.id);
    const alert = await sos(hub, client, bracelet);
    await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    clock.advance(10_000);
    await inbox.confirm((await inbox.next()).cmdId);
    clock.advance(600_000);
    expect(hub.hub.alerts.get(alert.id)!.flags.helpUnconfirmed).toBe(false);
    expect(hub.hub.alerts.get(alert.id)!.timeline.map((e) => e.type)).not.toContain('help_unconfirmed');

    // A fall the wearer cancelled is a medium "call back", not an emergency: no flag either.
    await client.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'fall', seq: 2 }), { qos: 1 });
    await client.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'fall_cancelled', seq: 3 }), { qos: 1 });
    const fall = (await hub.api.get('/api/v1/alerts?kind=fall')).body.alerts[0];
    expect(fall.severity).toBe('medium');
    await hub.api.post(`/api/v1/alerts/${fall.id}/acknowledge`, {});
    await inbox.next((c) => c.alertId === fall.id);
    clock.advance(600_000);
    expect(hub.hub.alerts.get(fall.id)!.flags.helpUnconfirmed).toBeFalsy();
  });

  it('sends help_coming to the other bracelet when the alarm bracelet does not confirm within 30 s', async () => {
    const clock = new ManualClock();
    const hub = keep(await startTestHub({ clock }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet', 'bracelet', 'door_sensor'] });
    const [alarm, other] = [devices[0]!, devices[1]!];
    const alarmClient = await connect(hub, alarm);
    const alarmInbox = await CommandInbox.open(alarmClient, alarm.id);
    const otherInbox = await CommandInbox.open(await connect(hub, other), other.id);
    const alert = await sos(hub, alarmClient, alarm);
    await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    await alarmInbox.next();
    await expect.poll(() => states(hub.hub.alerts.get(alert.id)!)).toEqual([`${alarm.id}:delivered`]);

    clock.advance(29_999);
    expect(states(hub.hub.alerts.get(alert.id)!)).toEqual([`${alarm.id}:delivered`]);
    clock.advance(1);
    const second = await otherInbox.next();
    expect(second).toEqual({ cmd: 'help_coming', cmdId: expect.any(String), alertId: alert.id });
    await otherInbox.confirm(second.cmdId);
    const detail = await alertOf(hub, alert.id);
    expect(states(detail)).toEqual([`${alarm.id}:delivered`, `${other.id}:confirmed`]);
    expect(detail.timeline.find((e: { type: string; deviceId?: string }) => e.type === 'command_updated' && e.deviceId === other.id)).toMatchObject({ state: 'pending', actor: 'system' });
    // Someone in the home knows: no "not confirmed" flag, and the door sensor was never sent it.
    clock.advance(60_000);
    expect(hub.hub.alerts.get(alert.id)!.flags.helpUnconfirmed).toBeFalsy();
    expect(hub.hub.outbox.forDevice(devices[2]!.id)).toEqual([]);
  });

  it('sends it to the other bracelet at once when the alarm bracelet is offline', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet', 'bracelet'] });
    const [alarm, other] = [devices[0]!, devices[1]!];
    const alarmClient = await connect(hub, alarm);
    const otherInbox = await CommandInbox.open(await connect(hub, other), other.id);
    const alert = await sos(hub, alarmClient, alarm);
    await alarmClient.endAsync();
    const acked = await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    expect(states(acked.body)).toEqual([`${alarm.id}:pending`, `${other.id}:pending`]);
    expect(await otherInbox.next()).toMatchObject({ cmd: 'help_coming', alertId: alert.id });
  });

  it('withdraws what never arrived when the alert is resolved', async () => {
    const { hub, bracelet, client } = await braceletHome();
    const alert = await sos(hub, client, bracelet);
    await client.endAsync();
    await hub.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    await hub.api.post(`/api/v1/alerts/${alert.id}/resolve`, { outcome: 'resident_ok' });
    await expect.poll(async () => states(await alertOf(hub, alert.id))).toEqual([`${bracelet.id}:expired`]);
    expect((await alertOf(hub, alert.id)).commands[0].reason).toBe('alert_resolved');
    // Back online later: nothing is sent; a configure queued now is the first thing it gets.
    const later = await hub.api.post(`/api/v1/devices/${bracelet.id}/configure`, { heartbeatSec: 90 });
    const inbox = await CommandInbox.open(await connect(hub, bracelet), bracelet.id);
    expect((await inbox.next()).cmdId).toBe(later.body.cmdId);
  });
});

describe('cmd_ack', () => {
  it('is never an alert, never a rule signal, never shed, and confirms only the sender’s own command', async () => {
    const hub = keep(await startTestHub({ loadSampler: () => 0.99 }), closeHub);
    hub.hub.load.check();
    expect(hub.hub.load.shedding).toBe(true);
    const signals: string[] = [];
    hub.hub.bus.on('device.signal', (s) => signals.push(s.channel === 'event' ? s.type : 'telemetry'));
    const { devices } = await hub.provisionHome({ kinds: ['bracelet', 'bracelet'] });
    const [mine, stranger] = [devices[0]!, devices[1]!];
    const inbox = await CommandInbox.open(await connect(hub, mine), mine.id);
    const strangerInbox = await CommandInbox.open(await connect(hub, stranger), stranger.id);
    const config = (await hub.api.post(`/api/v1/devices/${mine.id}/configure`, { heartbeatSec: 30 })).body;
    await inbox.next();

    await strangerInbox.confirm(config.cmdId, 1); // another device's command
    await strangerInbox.confirm('cmd-does-not-exist', 2);
    expect(hub.hub.outbox.get(config.cmdId)!.state).not.toBe('confirmed');

    await inbox.confirm(config.cmdId, 1);
    expect(hub.hub.outbox.get(config.cmdId)!.state).toBe('confirmed');
    await inbox.confirm(config.cmdId, 2); // a repeat changes nothing
    expect((await journalLines(hub.dataDir)).filter((l) => l.type === 'command.confirmed')).toHaveLength(1);
    expect(signals).toEqual([]);
    expect((await hub.api.get('/api/v1/alerts')).body.total).toBe(0);
    expect(hub.hub.ingest.dropped.invalid_payload).toBe(0);
  });
});
