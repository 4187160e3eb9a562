/**
 * The simulated device against a real, bare Aedes broker on a loopback port:
 * the wire behaviour a real device must have (credentials, retained status,
 * will, heartbeats, PUBACK-bound events, commands), without the hub. The
 * `npm run sim` CLI: simulator-cli.test.ts.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_KINDS, findDeviceKind, type DeviceKind } from '../devices/catalog.js';
import type { DeviceCommand } from '../devices/commands.js';
import { ConnackRefusedError } from '../simulators/connack.js';
import { PayloadError } from '../simulators/payloads.js';
import { SimulatedDevice, type InvalidCommand, type SimulatedDeviceOptions } from '../simulators/simulated-device.js';
import { onTopic, startBareBroker, type TestBroker } from './helpers/bare-broker.js';

function kindNamed(name: string): DeviceKind {
  const kind = findDeviceKind(name);
  if (!kind) throw new Error(`no kind ${name}`);
  return kind;
}
const bracelet = kindNamed('bracelet');

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  // Reverse order: devices before the broker before the server.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const startBroker = (secrets: Record<string, string>) => startBareBroker(secrets, cleanups);

function device(tb: TestBroker, options: Partial<SimulatedDeviceOptions> & { deviceId: string; secret: string }): SimulatedDevice {
  const d = new SimulatedDevice({ kind: bracelet, host: '127.0.0.1', port: tb.port, reconnectPeriodMs: 100, ...options });
  cleanups.push(() => d.stop());
  return d;
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SimulatedDevice', () => {
  it('connects with client id = username = device id and the secret, announces itself and subscribes to cmd', async () => {
    const tb = await startBroker({ 'brc-0001': 's3cret' });
    const d = device(tb, { deviceId: 'brc-0001', secret: 's3cret', heartbeats: false });
    d.start();
    await d.waitForConnect();
    expect(d.connected).toBe(true);
    expect(tb.logins).toEqual([{ clientId: 'brc-0001', username: 'brc-0001', password: 's3cret' }]);
    await waitFor(() => onTopic(tb, 'hc/v1/brc-0001/status').length > 0 && tb.subscriptions.length > 0, 'online and SUBSCRIBE');
    expect(onTopic(tb, 'hc/v1/brc-0001/status')).toEqual([
      { clientId: 'brc-0001', topic: 'hc/v1/brc-0001/status', payload: 'online', qos: 1, retain: true },
    ]);
    expect(tb.subscriptions).toEqual([{ clientId: 'brc-0001', topic: 'hc/v1/brc-0001/cmd', qos: 1 }]);
  });

  it.each(DEVICE_KINDS.map((k) => [k.kind, k] as const))(
    'sends %s heartbeats at a fractional heartbeatSec, first one right away, valid against the kind schema',
    async (_name, kind) => {
      const tb = await startBroker({ 'dev-hb': 'pw' });
      const d = device(tb, { deviceId: 'dev-hb', secret: 'pw', kind, heartbeatSec: 0.1 });
      const startedAt = Date.now();
      d.start();
      await d.waitForConnect();
      await waitFor(() => onTopic(tb, 'hc/v1/dev-hb/telemetry').length >= 1, 'first telemetry');
      // Right away means before the first interval elapsed (with margin for a slow machine).
      expect(Date.now() - startedAt).toBeLessThan(1_000);
      await waitFor(() => onTopic(tb, 'hc/v1/dev-hb/telemetry').length >= 4, '4 heartbeats');
      const payloads = onTopic(tb, 'hc/v1/dev-hb/telemetry').map((s) => JSON.parse(s.payload) as Record<string, unknown>);
      for (const p of payloads) {
        expect(kind.telemetrySchema.safeParse(p).error).toBeUndefined();
        expect(p).toMatchObject({ seq: expect.any(Number), ts: expect.any(Number), battery: expect.any(Number) });
        for (const field of kind.telemetryFields) expect(p, field).toHaveProperty(field);
      }
      const seqs = payloads.map((p) => p.seq as number);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
      expect(onTopic(tb, 'hc/v1/dev-hb/telemetry').every((s) => s.qos === 0 && !s.retain)).toBe(true);
    },
  );

  it('sendEvent resolves only after the PUBACK, with increasing seq and ts', async () => {
    const tb = await startBroker({ 'brc-ev': 'pw' });
    const d = device(tb, { deviceId: 'brc-ev', secret: 'pw', heartbeats: false, seqStart: 41 });
    d.start();
    await d.waitForConnect();
    let releasedAt = 0;
    tb.holdPublish = (packet, release) => {
      if (!packet.topic.endsWith('/event')) return release();
      // The broker sends the PUBACK only after authorizePublish calls back: hold it for 150 ms.
      setTimeout(() => {
        releasedAt = Date.now();
        release();
      }, 150);
    };
    const first = await d.sendEvent('sos');
    expect(releasedAt).toBeGreaterThan(0);
    expect(Date.now()).toBeGreaterThanOrEqual(releasedAt);
    const second = await d.sendEvent('fall', { confidence: 0.9 });
    expect(first.seq).toBe(41);
    expect(second.seq).toBe(42);
    const wire = onTopic(tb, 'hc/v1/brc-ev/event').map((s) => JSON.parse(s.payload) as Record<string, unknown>);
    expect(wire).toEqual([first.payload, second.payload]);
    expect(wire[0]).toMatchObject({ type: 'sos', seq: 41, battery: 100 });
    expect(wire[1]).toMatchObject({ type: 'fall', seq: 42, confidence: 0.9 });
    expect(wire[1]?.ts as number).toBeGreaterThanOrEqual(wire[0]?.ts as number);
    expect(onTopic(tb, 'hc/v1/brc-ev/event').every((s) => s.qos === 1)).toBe(true);
  });

  it('refuses to send payloads its kind does not allow, before anything is published', async () => {
    const tb = await startBroker({ 'brc-bad': 'pw' });
    const d = device(tb, { deviceId: 'brc-bad', secret: 'pw', heartbeats: false });
    d.start();
    await d.waitForConnect();
    await expect(d.sendEvent('smoke')).rejects.toBeInstanceOf(PayloadError);
    await expect(d.sendEvent('fall', { confidence: 2 })).rejects.toThrow(/confidence/);
    await expect(d.sendTelemetry({ heartRate: 'fast' })).rejects.toThrow(/heartRate/);
    expect(onTopic(tb, 'hc/v1/brc-bad/event')).toEqual([]);
    // Raw sends are for testing the hub's handling of garbage and are not checked.
    await d.sendRaw('event', '{not json', 1);
    expect(onTopic(tb, 'hc/v1/brc-bad/event').map((s) => s.payload)).toEqual(['{not json']);
  });

  it('sends low_battery once when the battery falls below 15 %', async () => {
    const tb = await startBroker({ 'brc-low': 'pw' });
    const d = device(tb, { deviceId: 'brc-low', secret: 'pw', heartbeatSec: 0.05, batteryStart: 15.2, batteryDrainPerHour: 3_600 });
    d.start();
    await d.waitForConnect();
    await waitFor(() => onTopic(tb, 'hc/v1/brc-low/telemetry').length >= 8, '8 heartbeats');
    const events = onTopic(tb, 'hc/v1/brc-low/event').map((s) => JSON.parse(s.payload) as { type: string; battery: number });
    expect(events.map((e) => e.type)).toEqual(['low_battery']);
    expect(events[0]?.battery).toBeLessThan(15);
  });

  it('leaves a retained offline will when its socket dies, and announces offline itself on a clean stop', async () => {
    const tb = await startBroker({ 'brc-will': 'pw', 'brc-stop': 'pw' });
    const dying = device(tb, { deviceId: 'brc-will', secret: 'pw', heartbeats: false });
    const stopping = device(tb, { deviceId: 'brc-stop', secret: 'pw', heartbeats: false });
    dying.start();
    stopping.start();
    await Promise.all([dying.waitForConnect(), stopping.waitForConnect()]);
    await waitFor(() => tb.seen.filter((s) => s.payload === 'online').length === 2, 'both online');

    dying.kill();
    await waitFor(() => onTopic(tb, 'hc/v1/brc-will/status').length === 2, 'the will');
    expect(onTopic(tb, 'hc/v1/brc-will/status').at(-1)).toMatchObject({ payload: 'offline', qos: 1, retain: true });

    await stopping.stop();
    expect(stopping.connected).toBe(false);
    await waitFor(() => onTopic(tb, 'hc/v1/brc-stop/status').length === 2, 'offline on stop');
    await new Promise((r) => setTimeout(r, 100));
    // Exactly one offline: the DISCONNECT discarded the will.
    expect(onTopic(tb, 'hc/v1/brc-stop/status').map((s) => [s.payload, s.retain])).toEqual([
      ['online', true],
      ['offline', true],
    ]);
  });

  it('receives and parses commands on its cmd topic, carries each cmdId out once and confirms every copy with cmd_ack', async () => {
    const tb = await startBroker({ 'brc-cmd': 'pw' });
    const d = device(tb, { deviceId: 'brc-cmd', secret: 'pw', heartbeats: false });
    const commands: DeviceCommand[] = [];
    const invalid: InvalidCommand[] = [];
    d.on('command', (c) => commands.push(c));
    d.on('invalid-command', (c) => invalid.push(c));
    d.start();
    await d.waitForConnect();
    await waitFor(() => tb.subscriptions.length === 1, 'SUBSCRIBE');
    const send = (payload: string) =>
      new Promise<void>((resolve, reject) =>
        tb.broker.publish({ cmd: 'publish', topic: 'hc/v1/brc-cmd/cmd', payload, qos: 1, retain: false, dup: false }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    await send(JSON.stringify({ cmd: 'help_coming', cmdId: 'cmd-1', alertId: 'alr-1' }));
    await send(JSON.stringify({ cmd: 'silence', cmdId: 'cmd-2' }));
    await send(JSON.stringify({ cmd: 'configure', cmdId: 'cmd-3', heartbeatSec: 120 }));
    await send(JSON.stringify({ cmd: 'help_coming', cmdId: 'cmd-1', alertId: 'alr-1' })); // resent after a reconnect
    await send(JSON.stringify({ cmd: 'reboot', cmdId: 'cmd-4' }));
    await send(JSON.stringify({ cmd: 'silence' })); // no cmdId: not a command of this protocol
    await send('help!');
    const acks = () => onTopic(tb, 'hc/v1/brc-cmd/event').map((e) => JSON.parse(e.payload) as { type: string; cmdId?: string });
    await waitFor(() => commands.length + invalid.length === 6 && acks().length === 4, 'commands handled and confirmed');
    expect(commands).toEqual([
      { cmd: 'help_coming', cmdId: 'cmd-1', alertId: 'alr-1' },
      { cmd: 'silence', cmdId: 'cmd-2' },
      { cmd: 'configure', cmdId: 'cmd-3', heartbeatSec: 120 },
    ]);
    expect(acks().map((a) => [a.type, a.cmdId])).toEqual([
      ['cmd_ack', 'cmd-1'],
      ['cmd_ack', 'cmd-2'],
      ['cmd_ack', 'cmd-3'],
      ['cmd_ack', 'cmd-1'],
    ]);
    for (const ack of acks()) expect(bracelet.eventSchema.safeParse(ack).success).toBe(true);
    expect(invalid.map((i) => i.payload)).toEqual(['{"cmd":"reboot","cmdId":"cmd-4"}', '{"cmd":"silence"}', 'help!']);
    expect(invalid[2]?.reason).toBe('not JSON');
  });

  it('does not confirm when told not to (an old firmware)', async () => {
    const tb = await startBroker({ 'brc-old': 'pw' });
    const d = device(tb, { deviceId: 'brc-old', secret: 'pw', heartbeats: false, confirmCommands: false });
    const commands: DeviceCommand[] = [];
    d.on('command', (c) => commands.push(c));
    d.start();
    await d.waitForConnect();
    await waitFor(() => tb.subscriptions.length === 1, 'SUBSCRIBE');
    await new Promise<void>((resolve, reject) =>
      tb.broker.publish({ cmd: 'publish', topic: 'hc/v1/brc-old/cmd', payload: JSON.stringify({ cmd: 'silence', cmdId: 'c1' }), qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve())),
    );
    await waitFor(() => commands.length === 1, 'the command');
    // One connection delivers in order: a cmd_ack started on the command would arrive before this event.
    await d.sendEvent('worn');
    expect(onTopic(tb, 'hc/v1/brc-old/event').map((e) => (JSON.parse(e.payload) as { type: string }).type)).toEqual(['worn']);
  });

  it('rejects waitForConnect with the CONNACK code when the broker refuses it', async () => {
    const tb = await startBroker({ 'brc-ok': 'right' });
    const d = device(tb, { deviceId: 'brc-ok', secret: 'wrong' });
    d.start();
    const err = await d.waitForConnect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnackRefusedError);
    expect(err).toMatchObject({ code: 4 });
    expect(d.connected).toBe(false);
    expect(d.lastError).toBeDefined();
    // Refusals are final: a later waiter learns the same answer instead of hanging.
    await expect(d.waitForConnect()).rejects.toMatchObject({ code: 4 });
    expect(tb.seen).toEqual([]);
  });

  it('reconnects after the broker drops it, and announces itself and subscribes again', async () => {
    const tb = await startBroker({ 'brc-re': 'pw' });
    const d = device(tb, { deviceId: 'brc-re', secret: 'pw', heartbeats: false, reconnectPeriodMs: 50 });
    let connects = 0;
    d.on('connect', () => connects++);
    d.start();
    await d.waitForConnect();
    await waitFor(() => tb.subscriptions.length === 1, 'first SUBSCRIBE');
    // Taking the client id over is what a rebooted device does: the broker closes the old session.
    const clients = (tb.broker as unknown as { clients: Record<string, { close(): void }> }).clients;
    clients['brc-re']?.close();
    await waitFor(() => connects === 2 && tb.subscriptions.length === 2, 'reconnect and SUBSCRIBE again');
    await waitFor(() => onTopic(tb, 'hc/v1/brc-re/status').filter((s) => s.payload === 'online').length === 2, 'online again');
  });

  it('an event whose PUBACK does not come within eventAckTimeoutMs: drops the connection (its node frozen) and resends it, same seq, on the next broker', async () => {
    // A node that accepted the device and then stopped answering: CONNACK, then nothing, the socket kept open.
    const received: Buffer[] = [];
    const frozen = createServer((socket) => {
      socket.once('data', () => socket.write(Buffer.from([0x20, 0x02, 0x00, 0x00])));
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => frozen.close(() => resolve())));
    const live = await startBroker({ 'brc-ack': 'pw' });
    const servers = [{ host: '127.0.0.1', port: (frozen.address() as AddressInfo).port }, { host: '127.0.0.1', port: live.port }];
    const d = device(live, { deviceId: 'brc-ack', secret: 'pw', heartbeats: false, announceStatus: false, reconnectPeriodMs: 50, eventAckTimeoutMs: 300, servers });
    const overdue: number[] = [];
    d.on('ack-overdue', (ms) => overdue.push(ms));
    d.start();
    await d.waitForConnect();
    const sent = await d.sendEvent('sos');
    expect(overdue).toEqual([300]);
    // The frozen node got the PUBLISH (QoS 1) and never acknowledged it; the live one has the same event.
    expect(Buffer.concat(received).includes(Buffer.from('hc/v1/brc-ack/event'))).toBe(true);
    const onLive = onTopic(live, 'hc/v1/brc-ack/event').map((m) => JSON.parse(m.payload) as { type: string; seq: number });
    expect(onLive).toEqual([expect.objectContaining({ type: 'sos', seq: sent.seq })]);
  });

  it('with a servers list, connects to the first and, once dropped, to the next one (a cluster node that died)', async () => {
    const [a, b] = [await startBroker({ 'brc-rot': 'pw' }), await startBroker({ 'brc-rot': 'pw' })];
    const d = device(a!, { deviceId: 'brc-rot', secret: 'pw', heartbeats: false, reconnectPeriodMs: 50, servers: [a!, b!].map((x) => ({ host: '127.0.0.1', port: x.port })) });
    d.start();
    await d.waitForConnect();
    expect([a!.logins.length, b!.logins.length]).toEqual([1, 0]);
    (a!.broker as unknown as { clients: Record<string, { close(): void }> }).clients['brc-rot']?.close();
    await waitFor(() => onTopic(b!, 'hc/v1/brc-rot/status').some((s) => s.payload === 'online'), 'online on the second broker');
    expect(b!.logins.map((l) => l.clientId)).toEqual(['brc-rot']);
    expect(a!.logins).toHaveLength(1); // it moved on, not back to the first
  });
});
