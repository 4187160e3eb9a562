/**
 * Issue 14 item 1, over real MQTT/TCP: the broker takes a device's uplink
 * packets itself and runs alarms before queued telemetry. Telemetry here is
 * made to cost 1 ms of CPU each (a stand-in for an overloaded hub), and the
 * scheduler's budgets are small, so the order is decided by the scheduler,
 * not by timing: an SOS sent after 40 telemetry messages, in the same TCP
 * write, is handled and acknowledged before most of them.
 */
import type { AddressInfo } from 'node:net';
import type { Packet } from 'mqtt-packet';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import type { SchedulerOptions } from '../hub/broker/uplink-scheduler.js';
import { useOneDeviceBroker } from './helpers/one-device-broker.js';
import { waitFor } from './helpers/wait-for.js';

const DEVICE = 'brc-alarm1';
const TELEMETRY = `hc/v1/${DEVICE}/telemetry`;
const EVENT = `hc/v1/${DEVICE}/event`;

const device = useOneDeviceBroker(DEVICE);

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * `log` gets `<channel>:<seq>` for each message handled; with `triage`, `shed:<seq>` for each
 * shed and an event's PUBACK waits for `durable:<seq>` (a journal write on the next turn).
 */
async function startBroker(scheduler: Partial<SchedulerOptions>, log: string[], triage?: { routine(payload: string): boolean }): Promise<AddressInfo> {
  const seq = (payload: Buffer) => (JSON.parse(payload.toString()) as { seq: number }).seq;
  // No drain inside a read here (a stalled machine could make one): these tests count what the check phase decides.
  scheduler = { drainEveryMs: 60_000, ...scheduler };
  return device.start({
    onDeviceMessage: (_id, channel, payload) => {
      if (channel === 'telemetry') spin(1);
      log.push(`${channel}:${seq(payload)}`);
      if (!triage || channel !== 'event') return undefined;
      return new Promise<void>((resolve) => setImmediate(() => (log.push(`durable:${seq(payload)}`), resolve())));
    },
    ...(triage ? { telemetry: { routine: (_id, payload) => triage.routine(payload.toString()), shed: (_id, payload) => void log.push(`shed:${seq(payload)}`) } } : {}),
    scheduler,
  });
}

/** The device's connection and the packet ids of the PUBACKs it receives, in order. */
async function deviceWithAcks(port: number): Promise<number[]> {
  const acks: number[] = [];
  await device.connect(port, { onPuback: (id) => acks.push(id) });
  return acks;
}

const publish = (topic: string, seq: number): Buffer =>
  mqttPacket.generate({ cmd: 'publish', topic, payload: JSON.stringify({ seq }), qos: 1, retain: false, dup: false, messageId: seq } as Packet);

describe('alarms first', () => {
  it('handles and acknowledges an SOS before the telemetry queued ahead of it; every message is acknowledged', async () => {
    const handled: string[] = [];
    const { port } = await startBroker({ turnBudgetMs: 2, drainBudgetMs: 2, connectionBacklog: 1_000 }, handled);
    const acks = await deviceWithAcks(port);
    const telemetry = Array.from({ length: 40 }, (_, i) => publish(TELEMETRY, i + 1));
    device.client.socket.write(Buffer.concat([...telemetry, publish(EVENT, 41)]));
    await waitFor(() => acks.length === 41, 'every PUBACK');

    expect(acks.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    // The SOS overtook most of the telemetry sent before it, in handling and in acknowledgement.
    expect(handled.indexOf('event:41')).toBeLessThan(10);
    expect(acks.indexOf(41)).toBeLessThan(10);
    // Telemetry keeps its own order.
    expect(handled.filter((h) => h.startsWith('telemetry'))).toEqual(Array.from({ length: 40 }, (_, i) => `telemetry:${i + 1}`));
    expect(device.broker.uplinkStats.queued).toBeGreaterThan(0);
  });

  it('stops reading a connection whose queued telemetry reaches its backlog, then reads it again', async () => {
    const handled: string[] = [];
    const { port } = await startBroker({ turnBudgetMs: 0, drainBudgetMs: 1, connectionBacklog: 4 }, handled);
    const acks = await deviceWithAcks(port);
    device.client.socket.write(Buffer.concat(Array.from({ length: 30 }, (_, i) => publish(TELEMETRY, i + 1))));
    await waitFor(() => acks.length === 30, 'every PUBACK');
    expect(acks).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(device.broker.uplinkStats.heldConnections).toBeGreaterThan(0);
    expect(device.broker.uplinkStats.maxQueued).toBeLessThanOrEqual(30);
  });

  it('with the queue at its bound, acknowledges and sheds new routine telemetry as it arrives; an alarm behind it is still handled and acknowledged once durable', async () => {
    const log: string[] = [];
    const { port } = await startBroker({ turnBudgetMs: 0, drainBudgetMs: 1, connectionBacklog: 1_000, maxQueued: 5 }, log, { routine: () => true });
    const acks = await deviceWithAcks(port);
    const telemetry = Array.from({ length: 40 }, (_, i) => publish(TELEMETRY, i + 1));
    device.client.socket.write(Buffer.concat([...telemetry, publish(EVENT, 41)]));
    await waitFor(() => acks.length === 41, 'every PUBACK');

    expect(acks.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    // Five queued and processed in order; the other 35 shed (a sign of life each), none processed.
    expect(log.filter((l) => l.startsWith('telemetry'))).toEqual([1, 2, 3, 4, 5].map((i) => `telemetry:${i}`));
    expect(log.filter((l) => l.startsWith('shed'))).toEqual(Array.from({ length: 35 }, (_, i) => `shed:${i + 6}`));
    // Shed ones were acknowledged as they arrived, before the queued ones were processed.
    expect(acks.indexOf(40)).toBeLessThan(acks.indexOf(1));
    // The alarm was handled as it arrived and acknowledged only after its durable write.
    expect(log.indexOf('event:41')).toBeLessThan(log.indexOf('telemetry:1'));
    expect(log).toContain('durable:41');
    expect(device.broker.uplinkStats).toMatchObject({ shed: 35, queued: 5, maxQueued: 5, heldConnections: 0 });
  });

  it('never sheds telemetry the triage does not call routine: it queues past the bound, and each PUBACK follows its handling', async () => {
    const log: string[] = [];
    const { port } = await startBroker({ turnBudgetMs: 0, drainBudgetMs: 1, connectionBacklog: 1_000, maxQueued: 2 }, log, { routine: (p) => !p.includes('lel') });
    const client = await device.connect(port, { onPuback: (id) => log.push(`ack:${id}`) });
    const reading = (seq: number) =>
      mqttPacket.generate({ cmd: 'publish', topic: TELEMETRY, payload: JSON.stringify({ seq, lel: 30 }), qos: 1, retain: false, dup: false, messageId: seq } as Packet);
    client.socket.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => reading(i + 1))));
    await waitFor(() => log.filter((l) => l.startsWith('ack')).length === 20, 'every PUBACK');

    expect(log.filter((l) => l.startsWith('shed'))).toEqual([]);
    for (let seq = 1; seq <= 20; seq++) expect(log.indexOf(`telemetry:${seq}`)).toBeLessThan(log.indexOf(`ack:${seq}`));
    expect(device.broker.uplinkStats).toMatchObject({ shed: 0, queued: 20 });
  });

  it('holds a connection over its backlog rather than shedding its routine telemetry while the queue has room', async () => {
    const log: string[] = [];
    const { port } = await startBroker({ turnBudgetMs: 0, drainBudgetMs: 1, connectionBacklog: 4, maxQueued: 1_000 }, log, { routine: () => true });
    const acks = await deviceWithAcks(port);
    device.client.socket.write(Buffer.concat([...Array.from({ length: 30 }, (_, i) => publish(TELEMETRY, i + 1)), publish(EVENT, 31)]));
    await waitFor(() => acks.length === 31, 'every PUBACK');
    expect(log.filter((l) => l.startsWith('telemetry'))).toEqual(Array.from({ length: 30 }, (_, i) => `telemetry:${i + 1}`));
    expect(log).toContain('durable:31');
    expect(device.broker.uplinkStats.shed).toBe(0);
    expect(device.broker.uplinkStats.heldConnections).toBeGreaterThan(0);
  });

  it('keeps processing queued telemetry during a long read that sheds: a drain runs inside the read every drainEveryMs', async () => {
    // One read of 120 messages; each shed costs 0.5 ms, so the read lasts about 60 ms. Only the
    // check phase's drain would leave 3 processed (the queue's bound) and 117 shed.
    const log: string[] = [];
    const seq = (payload: Buffer) => (JSON.parse(payload.toString()) as { seq: number }).seq;
    const { port } = await device.start({
      onDeviceMessage: (_id, channel, payload) => {
        if (channel === 'telemetry') spin(1);
        log.push(`${channel}:${seq(payload)}`);
        return undefined;
      },
      telemetry: { routine: () => true, shed: (_id, payload) => (spin(0.5), void log.push(`shed:${seq(payload)}`)) },
      scheduler: { turnBudgetMs: 0, drainBudgetMs: 1, drainEveryMs: 5, connectionBacklog: 1_000, maxQueued: 3 },
    });
    const acks = await deviceWithAcks(port);
    device.client.socket.write(Buffer.concat(Array.from({ length: 120 }, (_, i) => publish(TELEMETRY, i + 1))));
    await waitFor(() => acks.length === 120, 'every PUBACK');

    const processed = log.filter((l) => l.startsWith('telemetry'));
    const shed = log.filter((l) => l.startsWith('shed'));
    expect(processed.length + shed.length).toBe(120);
    // Drained while the read went on: the queue took more than its bound, and its first was done before the last shed.
    expect(processed.length).toBeGreaterThan(6);
    expect(log.indexOf('telemetry:1')).toBeLessThan(log.indexOf(shed.at(-1)!));
    // Still in arrival order, each message once.
    expect(processed.map((l) => Number(l.split(':')[1]))).toEqual(processed.map((l) => Number(l.split(':')[1])).sort((a, b) => a - b));
    expect(new Set(log).size).toBe(120);
  });

  it('keeps a device that only publishes connected past its keepalive, and still drops a silent one', async () => {
    const { port } = await startBroker({}, []);
    const client = await device.connect(port, { keepalive: 1 });
    // Aedes would close after 1.5 s without a packet it handled itself; publish for longer than that.
    for (let seq = 1; seq <= 8; seq++) {
      await client.publish(TELEMETRY, JSON.stringify({ seq }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(client.closed).toBe(false);
    await client.waitClosed(5_000);
  });
});
