/**
 * The broker's security and limits over real TCP: per-device credentials,
 * client id = device id, topic ACLs with SUBACK 0x80, refusals audited, packet
 * size and pre-CONNACK budgets, connect timeout, rate limits.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connackCode, connectDevice, waitForClose } from './helpers/mqtt-device.js';
import { RawMqtt } from './helpers/raw-mqtt.js';
import { closedWithin } from './helpers/sockets.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();

async function setUp(env: Record<string, string> = {}, kinds = ['bracelet', 'bracelet']) {
  const hub = keep(await startTestHub({ env }), closeHub);
  const { devices } = await hub.provisionHome({ kinds });
  return { hub, devices };
}

function auditActions(h: TestHub): string[] {
  return h.hub.audit.recent().map((e) => e.action);
}

function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = keep(tcpConnect(port, '127.0.0.1', () => resolve(socket)), (s) => s.destroy());
    socket.on('error', reject);
  });
}

/** A device that can still raise an alert proves the hub kept serving. */
async function assertStillServing(h: TestHub, device: { id: string; secret: string }) {
  const client = keep(await connectDevice(h.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq: 99 }), { qos: 1 });
  const alerts = (await h.api.get('/api/v1/alerts?status=open')).body.alerts;
  expect(alerts.map((a: { deviceId: string }) => a.deviceId)).toContain(device.id);
}

describe('broker authentication', () => {
  it('refuses a wrong secret and an unknown device with CONNACK 4, and audits it', async () => {
    const { hub, devices } = await setUp();
    const a = devices[0]!;
    expect(await connackCode(hub.mqttUrl, { clientId: a.id, username: a.id, password: 'wrong' })).toBe(4);
    expect(await connackCode(hub.mqttUrl, { clientId: 'brc-nobody', username: 'brc-nobody', password: 'x' })).toBe(4);
    expect(await connackCode(hub.mqttUrl, { clientId: a.id })).toBe(4);
    expect(auditActions(hub)).toContain('mqtt.connect_refused');
    // The secret never reaches the audit trail.
    expect(JSON.stringify(hub.hub.audit.recent())).not.toContain(a.secret);
  });

  it('audits a refused username of 10,000 characters cut to its first 200, as a refused topic is', async () => {
    const { hub } = await setUp();
    const long = `au_${'x'.repeat(9_997)}`;
    expect(await connackCode(hub.mqttUrl, { clientId: 'brc-au-long', username: long, password: 'x' })).toBe(4);
    const refused = hub.hub.audit.recent().find((e) => e.action === 'mqtt.connect_refused');
    expect(refused?.detail).toMatchObject({ username: long.slice(0, 200), returnCode: 4 });
  });

  it("refuses A's credentials with B's client id (CONNACK 2) and leaves B connected", async () => {
    const { hub, devices } = await setUp();
    const [a, b] = [devices[0]!, devices[1]!];
    const clientB = keep(await connectDevice(hub.mqttUrl, b.id, b.secret), endClient);
    expect(await connackCode(hub.mqttUrl, { clientId: b.id, username: a.id, password: a.secret })).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(clientB.connected).toBe(true);
    await clientB.publishAsync(`hc/v1/${b.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
  });

  it('answers an empty client id with clean session 0 with CONNACK 2 (MQTT-3.1.3-8)', async () => {
    const { hub, devices } = await setUp();
    const a = devices[0]!;
    const raw = keep(await RawMqtt.open(hub.mqttPort), (r) => r.close());
    // mqtt-packet will not generate this (it is a protocol error), so clear the
    // CleanSession bit of a generated CONNECT by hand: fixed header (2 bytes
    // here), protocol name (6), level (1), then the connect flags byte at index 9.
    const bytes = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: '', username: a.id, password: Buffer.from(a.secret) });
    expect(bytes[9]! & 0x02).toBe(0x02);
    bytes[9] = bytes[9]! & ~0x02;
    raw.socket.write(bytes);
    const connack = await raw.next<mqttPacket.IConnackPacket>('connack');
    expect(connack.returnCode).toBe(2);
  });
});

describe('topic ACL', () => {
  it('grants only the own cmd topic; other topics, wildcards and $SYS get SUBACK 0x80 and are audited', async () => {
    const { hub, devices } = await setUp();
    const [a, b] = [devices[0]!, devices[1]!];
    const raw = keep(await RawMqtt.open(hub.mqttPort), (r) => r.close());
    expect(await raw.connect({ clientId: a.id, username: a.id, password: Buffer.from(a.secret) })).toBe(0);
    const granted = await raw.subscribe([`hc/v1/${a.id}/cmd`, `hc/v1/${b.id}/cmd`, '#', '$SYS/#', `hc/v1/${a.id}/+`]);
    expect(granted).toEqual([1, 128, 128, 128, 128]);
    expect(raw.closed).toBe(false);
    expect(auditActions(hub)).toContain('mqtt.subscribe_refused');
  });

  it("disconnects a device that publishes on another device's topic, audits it, and raises nothing", async () => {
    const { hub, devices } = await setUp();
    const [a, b] = [devices[0]!, devices[1]!];
    const client = keep(await connectDevice(hub.mqttUrl, a.id, a.secret), endClient);
    const closing = waitForClose(client);
    client.publish(`hc/v1/${b.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await closing;
    expect(auditActions(hub)).toContain('mqtt.publish_refused');
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toEqual([]);
  });
});

describe('limits in front of Aedes', () => {
  it('drops a connection announcing a 1 MiB packet and keeps serving', async () => {
    const { hub, devices } = await setUp();
    const a = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, a.id, a.secret), endClient);
    const closing = waitForClose(client);
    client.publish(`hc/v1/${a.id}/telemetry`, Buffer.alloc(1024 * 1024, 0x20), { qos: 0 });
    await closing;
    expect(hub.hub.broker.stats.guardViolations).toBe(1);
    expect(auditActions(hub)).toContain('mqtt.packet_refused');
    await assertStillServing(hub, devices[1]!);
  });

  it('drops an unauthenticated socket that starts a huge CONNECT, before Aedes buffers it', async () => {
    const { hub, devices } = await setUp();
    const socket = await rawSocket(hub.mqttPort);
    // CONNECT fixed header announcing 200 MB, then the first 64 KiB of it.
    const header = mqttPacket.generate({ cmd: 'connect', clientId: 'x', protocolVersion: 4, protocolId: 'MQTT', clean: true, keepalive: 30 }).subarray(0, 1);
    const length = Buffer.from([0x80, 0x80, 0x80, 0x60]); // 200 MiB remaining length
    socket.write(Buffer.concat([header, length, Buffer.alloc(64 * 1024)]));
    await closedWithin(socket, 2_000);
    await assertStillServing(hub, devices[0]!);
  });

  it('drops a socket that sends more than the pre-CONNACK byte budget in small packets', async () => {
    const { hub } = await setUp({ HUB_PRE_CONNACK_BYTES: '1024' });
    const socket = await rawSocket(hub.mqttPort);
    // Many small PINGREQs: each packet is tiny, only the budget can stop them.
    socket.write(Buffer.alloc(4096, Buffer.from([0xc0, 0x00])));
    await closedWithin(socket, 2_000);
    expect(hub.hub.broker.stats.guardViolations).toBe(1);
  });

  it('closes a socket that never sends CONNECT within the connect timeout', async () => {
    const { hub } = await setUp({ HUB_CONNECT_TIMEOUT_MS: '300' });
    const socket = await rawSocket(hub.mqttPort);
    const after = await closedWithin(socket, 3_000);
    expect(after).toBeGreaterThanOrEqual(250);
  });

  it('disconnects and audits a device over its publish rate', async () => {
    const { hub, devices } = await setUp({ HUB_PUBLISHES_PER_DEVICE_PER_SEC: '2' });
    const a = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, a.id, a.secret), endClient);
    const closing = waitForClose(client);
    for (let i = 0; i < 30; i++) client.publish(`hc/v1/${a.id}/telemetry`, JSON.stringify({ heartRate: 70, seq: i }), { qos: 0 });
    await closing;
    expect(hub.hub.broker.stats.refused.rate_limit).toBeGreaterThanOrEqual(1);
    expect(auditActions(hub)).toContain('mqtt.rate_limit_refused');
  });

  it('refuses new connections from one IP above its rate', async () => {
    const { hub } = await setUp({ HUB_CONNECTIONS_PER_IP_PER_SEC: '1' });
    const opened = await Promise.all([1, 2, 3, 4].map(() => rawSocket(hub.mqttPort)));
    await closedWithin(opened[3]!, 2_000);
    expect(hub.hub.broker.stats.connectionsRateLimited).toBeGreaterThanOrEqual(1);
    expect(auditActions(hub)).toContain('mqtt.connection_rate_limited');
  });
});

describe('bad payloads', () => {
  it('drops malformed payloads with a counter and keeps the device connected, changing nothing', async () => {
    const { hub, devices } = await setUp();
    const a = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, a.id, a.secret), endClient);
    const topic = `hc/v1/${a.id}/event`;
    await client.publishAsync(topic, 'not json at all', { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ type: 'explode' }), { qos: 1 });
    await client.publishAsync(topic, JSON.stringify({ type: 'sos', battery: 140 }), { qos: 1 });
    await client.publishAsync(`hc/v1/${a.id}/telemetry`, JSON.stringify([1, 2, 3]), { qos: 1 });
    await client.publishAsync(`hc/v1/${a.id}/status`, 'sleepy', { qos: 1 });
    expect(client.connected).toBe(true);
    expect(hub.hub.ingest.dropped).toMatchObject({ not_json: 2, invalid_payload: 2, bad_status: 1 });
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toEqual([]);
    expect(hub.hub.states.get(a.id)?.lastSeen).toBeUndefined();

    await client.publishAsync(topic, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toHaveLength(1);
  });
});
