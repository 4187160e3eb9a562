/**
 * Issue 14 item 1, fourth pass, over real MQTT/TCP: under overload a
 * device's telemetry PUBACKs wait and leave together (hub/broker/delayed-acks.ts).
 * Overload is made as in alarms-first.test.ts, without timing: the
 * scheduler's queue holds 5 messages and its budgets are 0, so of 40
 * telemetry messages sent in one TCP write 5 are queued and 35 shed. The
 * delay is a minute, so a PUBACK that arrives was written because something
 * else (an alarm, a bound, a close) made it leave, never because time passed;
 * a PINGREQ answered by Aedes on the same stream shows what was not written.
 */
import type { AddressInfo } from 'node:net';
import type { Packet } from 'mqtt-packet';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import type { AckDelayOptions } from '../hub/broker/delayed-acks.js';
import type { SchedulerOptions } from '../hub/broker/uplink-scheduler.js';
import type { RawClient } from './conformance/raw-client.js';
import { useOneDeviceBroker } from './helpers/one-device-broker.js';
import { waitFor } from './helpers/wait-for.js';

const DEVICE = 'brc-late1';
const TELEMETRY = `hc/v1/${DEVICE}/telemetry`;
const EVENT = `hc/v1/${DEVICE}/event`;
const MINUTE = 60_000;
/**
 * 40 telemetry messages in one write: 1–5 queued, 6–40 shed; PUBACKs late from the first overload until the queue is empty.
 * No drain inside the read (`drainEveryMs`): on a stalled machine one would make room in the queue mid-read, and fewer than 35 be shed.
 */
const OVERLOAD: Partial<SchedulerOptions> = { turnBudgetMs: 0, drainBudgetMs: 1, drainEveryMs: MINUTE, connectionBacklog: 1_000, maxQueued: 5, lateAcksAfterMs: 0, lateAcksCalmMs: 0 };
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const harness = useOneDeviceBroker(DEVICE);

function startBroker(scheduler: Partial<SchedulerOptions>, ackDelay: Partial<AckDelayOptions>): Promise<AddressInfo> {
  return harness.start({ onDeviceMessage: () => undefined, telemetry: { routine: () => true, shed: () => undefined }, scheduler, ackDelay });
}

/** The device's connection; `acks` gets the packet id of each PUBACK it receives, in order. */
function connectDevice(port: number, acks: number[]): Promise<RawClient> {
  return harness.connect(port, { onPuback: (id) => acks.push(id) });
}

const publish = (topic: string, seq: number): Buffer =>
  mqttPacket.generate({ cmd: 'publish', topic, payload: JSON.stringify({ seq }), qos: 1, retain: false, dup: false, messageId: seq } as Packet);

/** Sends telemetry 1–40 in one write and waits until the hub has decided all 40 PUBACKs (`late` of them held back). */
async function overload(device: RawClient, late: number): Promise<void> {
  device.socket.write(Buffer.concat(range(1, 40).map((seq) => publish(TELEMETRY, seq))));
  await waitFor(() => harness.broker.uplinkStats.shed === 35 && harness.broker.uplinkStats.waiting === 0 && harness.broker.uplinkStats.lateAcks === late, 'all 40 handled');
}

/** Every packet the hub wrote before this has arrived once the PINGRESP has. */
async function pingRoundTrip(device: RawClient): Promise<void> {
  const pong = device.wait((p) => p.cmd === 'pingresp');
  device.send({ cmd: 'pingreq' });
  await pong;
}

/**
 * A device whose 40 telemetry messages overloaded the hub (all 40 held back,
 * the bounds permitting), and the PUBACKs it has received by the round trip after.
 */
async function overloadedDevice(ackDelay: Partial<AckDelayOptions>): Promise<{ device: RawClient; acks: number[] }> {
  const { port } = await startBroker(OVERLOAD, { delayMs: MINUTE, maxPerConnection: 1_000, ...ackDelay });
  const acks: number[] = [];
  const device = await connectDevice(port, acks);
  await overload(device, 40);
  await pingRoundTrip(device);
  return { device, acks };
}

describe('telemetry PUBACKs under overload', () => {
  it('hold back telemetry PUBACKs while overloaded; an alarm is acknowledged at once and takes them with it, in order', async () => {
    const { device, acks } = await overloadedDevice({});
    expect(acks).toEqual([]);

    device.socket.write(publish(EVENT, 41));
    await waitFor(() => acks.length === 41, 'the alarm PUBACK');
    // Shed ones in the order they came, then the queued ones as they were processed, then the alarm.
    expect(acks).toEqual([...range(6, 40), ...range(1, 5), 41]);

    // The queue is empty: the hub is no longer overloaded and acknowledges telemetry at once again.
    device.socket.write(publish(TELEMETRY, 42));
    await waitFor(() => acks.length === 42, 'the next telemetry PUBACK');
    expect(harness.broker.uplinkStats.lateAcks).toBe(40);
  });

  it('hold back nothing during an overload shorter than lateAcksAfterMs: shed telemetry is acknowledged at once', async () => {
    const { port } = await startBroker({ ...OVERLOAD, lateAcksAfterMs: MINUTE }, { delayMs: MINUTE });
    const acks: number[] = [];
    const device = await connectDevice(port, acks);
    await overload(device, 0);
    await waitFor(() => acks.length === 40, 'every PUBACK');
    expect(acks).toEqual([...range(6, 40), ...range(1, 5)]);
  });

  it('keep holding telemetry PUBACKs back after an overload until the hub has been calm for lateAcksCalmMs', async () => {
    const { port } = await startBroker({ ...OVERLOAD, lateAcksCalmMs: MINUTE }, { delayMs: MINUTE, maxPerConnection: 1_000 });
    const acks: number[] = [];
    const device = await connectDevice(port, acks);
    await overload(device, 40);
    // The queue is empty again, but not for a minute: the next reading's PUBACK is held back too.
    device.socket.write(publish(TELEMETRY, 41));
    await waitFor(() => harness.broker.uplinkStats.lateAcks === 41, 'the next PUBACK held back');
    await pingRoundTrip(device);
    expect(acks).toEqual([]);
  });

  it('hold back nothing while the hub keeps up', async () => {
    const { port } = await startBroker({}, { delayMs: MINUTE });
    const acks: number[] = [];
    const device = await connectDevice(port, acks);
    for (const seq of range(1, 20)) await device.publish(TELEMETRY, JSON.stringify({ seq }), { qos: 1 });
    expect(harness.broker.uplinkStats).toMatchObject({ lateAcks: 0, queued: 0, shed: 0 });
  });

  it('write a connection\'s held PUBACKs once it holds maxPerConnection, and keep at most that many', async () => {
    const { acks } = await overloadedDevice({ maxPerConnection: 7 });
    // The 35 shed in five writes of 7; the 5 processed from the queue still wait.
    expect(acks).toEqual(range(6, 40));
    expect(harness.broker.uplinkStats.maxLateAcksWaiting).toBe(7);
  });

  it('write the oldest held PUBACKs once maxPending wait over all connections', async () => {
    const { acks } = await overloadedDevice({ maxPending: 12 });
    // Three times 12 written (6–40, then 1), 4 still wait.
    expect(acks).toEqual([...range(6, 40), 1]);
    expect(harness.broker.uplinkStats.maxLateAcksWaiting).toBe(12);
  });

  it('write held PUBACKs when the delay has passed', async () => {
    const { port } = await startBroker(OVERLOAD, { delayMs: 20, maxPerConnection: 1_000 });
    const acks: number[] = [];
    const device = await connectDevice(port, acks);
    device.socket.write(Buffer.concat(range(1, 40).map((seq) => publish(TELEMETRY, seq))));
    await waitFor(() => acks.length === 40, 'every PUBACK');
    expect(acks).toEqual([...range(6, 40), ...range(1, 5)]);
    expect(harness.broker.uplinkStats.lateAcks).toBe(40);
  });

  it('write held PUBACKs before the connection closes on DISCONNECT', async () => {
    const { device, acks } = await overloadedDevice({});
    expect(acks).toEqual([]);
    device.disconnect();
    await device.waitClosed(5_000);
    expect(acks).toEqual([...range(6, 40), ...range(1, 5)]);
  });

  it('write held PUBACKs before the broker stops', async () => {
    const { device, acks } = await overloadedDevice({});
    expect(acks).toEqual([]);
    await harness.stopBroker();
    await device.waitClosed(5_000);
    expect(acks).toEqual([...range(6, 40), ...range(1, 5)]);
  });
});
