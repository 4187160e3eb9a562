/**
 * The device state relay's sizes and bounds (hub/cluster/device-state-relay.ts,
 * device-state-wire.ts) on an in-process mqemitter standing in for Redis (the
 * Redis path itself: tests/device-state-relay-redis.test.ts): the resync of
 * 4,000 devices and a window of 10,000 msg/s over them, measured and chunked
 * under the message bound; an entry too large loses its readings first;
 * publishes Redis has not answered are bounded; the wire's checks.
 */
import mqemitter from 'mqemitter';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_IN_FLIGHT, type StateBus } from '../hub/cluster/device-state-relay.js';
import { CHUNK_CHARS, decodeMessage, encodeDevice, MAX_DEVICE_CHARS, MAX_MESSAGE_CHARS, packMessages, type WireDevice } from '../hub/cluster/device-state-wire.js';
import { ALL_HOME_PARTITIONS } from '../hub/core/partitions.js';
import { ManualClock } from './helpers/manual-clock.js';
import { bracelet, DEV_A, PA, relayNode, type RelayNode } from './helpers/state-relay-nodes.js';
import { waitFor } from './helpers/wait-for.js';

const nodes: RelayNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
});

/** An mqemitter that records each message's size, as Redis would carry it. */
function measuredBus(): StateBus & { sizes: number[] } {
  const bus = mqemitter();
  const sizes: number[] = [];
  return {
    sizes,
    on: (topic, listener, done) => bus.on(topic, listener, done),
    removeListener: (topic, listener, done) => bus.removeListener(topic, listener, done),
    emit: (message, done) => {
      const state = (message as { state?: unknown }).state;
      if (typeof state === 'string') sizes.push(state.length);
      bus.emit(message, done);
    },
  };
}

const DEVICES = 4_000;
const homeOf = (i: number) => `home-${String(i).padStart(5, '0')}`;
const idOf = (i: number) => `brc-${String(i).padStart(6, '0')}`;
const many = Array.from({ length: DEVICES }, (_, i) => bracelet(idOf(i), homeOf(i)));

describe('device state relay: sizes and bounds', () => {
  it('sends the resync of 4,000 devices in chunks under the bound, and a late node takes every one', async () => {
    const clock = new ManualClock();
    const bus = measuredBus();
    const a = relayNode('a', [...ALL_HOME_PARTITIONS], bus, clock, { devices: many });
    nodes.push(a);
    for (let i = 0; i < DEVICES; i++) {
      // The bracelet's example telemetry: what a console shows of it.
      a.telemetry(idOf(i), { heartRate: 60 + (i % 40), spo2: 97, steps: 1200 + i, worn: true, battery: 81, location: { room: 'kitchen' } });
    }
    clock.advance(250); // the window's delta
    const b = relayNode('b', [], bus, clock, { devices: many });
    nodes.push(b);
    await waitFor(() => a.relay.stats.received === 1, "b's sync");
    bus.sizes.length = 0;
    clock.advance(250); // a's resync, asked for by b's start
    await waitFor(() => b.relayed.length === DEVICES, 'b has every device');
    const total = bus.sizes.reduce((sum, n) => sum + n, 0);
    // eslint-disable-next-line no-console
    console.log(`resync of ${DEVICES} devices: ${bus.sizes.length} messages, ${total} chars (${Math.round(total / DEVICES)} per device), largest ${Math.max(...bus.sizes)}`);
    expect(Math.max(...bus.sizes)).toBeLessThanOrEqual(CHUNK_CHARS);
    expect(bus.sizes.length).toBe(Math.ceil(total / (CHUNK_CHARS - 300))); // full chunks: entries of ~200 chars
    expect(total / DEVICES).toBeLessThan(300);
    expect(b.states.view(idOf(3_999))).toMatchObject({ online: true, battery: 81, lastValues: { heartRate: 99, steps: 5199, location: { room: 'kitchen' } }, messages: 1 });
    expect(b.statuses).toHaveLength(DEVICES); // each unknown → online, once
    expect(b.signals).toBe(0);
  });

  it('measures one window of 10,000 msg/s over 4,000 devices: a few chunks, not 2,500 publishes', async () => {
    const clock = new ManualClock();
    const bus = measuredBus();
    // Readings sent at every window (no pacing): the most a window can carry.
    const a = relayNode('a', [...ALL_HOME_PARTITIONS], bus, clock, { devices: many, relay: { readingsEveryMs: 0 } });
    const b = relayNode('b', [], bus, clock, { devices: many });
    nodes.push(a, b);
    await waitFor(() => a.relay.stats.received === 1, "b's sync");
    clock.advance(250);
    for (let i = 0; i < DEVICES; i++) a.telemetry(idOf(i), { heartRate: 70, battery: 80 }); // everyone online: one window's status changes
    clock.advance(250);
    bus.sizes.length = 0;
    const readings = 2_500; // 250 ms at 10,000 msg/s
    for (let i = 0; i < readings; i++) {
      a.telemetry(idOf((i * 7) % DEVICES), { heartRate: 60 + (i % 50), steps: i });
      if (i % 40 === 0) clock.advance(4);
    }
    clock.advance(250);
    const total = bus.sizes.reduce((sum, n) => sum + n, 0);
    // eslint-disable-next-line no-console
    console.log(`one 250 ms window, ${readings} readings over ${DEVICES} devices: ${bus.sizes.length} messages, ${total} chars`);
    expect(bus.sizes.length).toBeLessThanOrEqual(Math.ceil(total / CHUNK_CHARS) + 1);
    expect(bus.sizes.length).toBeLessThan(20);
    await waitFor(() => b.states.get(idOf(((readings - 1) * 7) % DEVICES))?.lastValues.steps === readings - 1, 'the last reading on b');
  });

  it('an entry too large loses its readings, then its last values; messages stay under the receiver’s bound', () => {
    const big: WireDevice = { d: 'brc-1', h: 'home-1', k: 'bracelet', on: true, ls: 1, lv: { note: 'x'.repeat(MAX_DEVICE_CHARS) }, r: [[1, { note: 'y'.repeat(MAX_DEVICE_CHARS) }]] };
    expect(JSON.parse(encodeDevice(big)!)).toEqual({ d: 'brc-1', h: 'home-1', k: 'bracelet', on: true, ls: 1 });
    expect(JSON.parse(encodeDevice({ ...big, lv: { a: 1 } })!)).toEqual({ d: 'brc-1', h: 'home-1', k: 'bracelet', on: true, ls: 1, lv: { a: 1 } });
    const entries = Array.from({ length: 200 }, () => 'z'.repeat(MAX_DEVICE_CHARS - 10).replace(/^z/, '{').replace(/z$/, '}'));
    const messages = packMessages('a', 'resync', entries);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(CHUNK_CHARS);
    expect(CHUNK_CHARS + MAX_DEVICE_CHARS).toBeLessThan(MAX_MESSAGE_CHARS);
  });

  it('decodes what it packs, and refuses other versions, oversized and non-JSON text', () => {
    const entry = encodeDevice({ d: 'brc-1', h: 'home-1', k: 'bracelet', on: false, st: [[false, 5, 'watchdog']] })!;
    const [message] = packMessages('node-1', 'delta', [entry]);
    expect(decodeMessage(message)).toEqual({ ok: true, message: { v: 1, node: 'node-1', t: 'delta', devices: [{ d: 'brc-1', h: 'home-1', k: 'bracelet', on: false, st: [[false, 5, 'watchdog']] }] } });
    expect(decodeMessage(JSON.stringify({ v: 9, node: 'n', t: 'sync' }))).toMatchObject({ ok: false, drop: 'version' });
    expect(decodeMessage('x'.repeat(MAX_MESSAGE_CHARS + 1))).toMatchObject({ ok: false, drop: 'oversized' });
    expect(decodeMessage('{')).toMatchObject({ ok: false, drop: 'malformed' });
    expect(decodeMessage(Buffer.from('{}'))).toMatchObject({ ok: false, drop: 'malformed' });
    expect(decodeMessage(JSON.stringify({ v: 1, node: 'n', t: 'delta', devices: Array.from({ length: 5_000 }, () => ({ d: 'x', h: 'h', k: 'k', on: null })) }))).toMatchObject({ ok: false, drop: 'malformed' });
  });

  it('drops (and counts) flushes while Redis has not answered MAX_IN_FLIGHT publishes, instead of queueing them', async () => {
    const clock = new ManualClock();
    const bus = mqemitter();
    let answered = true;
    const held: (() => void)[] = [];
    const stuck: StateBus = {
      on: (topic, listener, done) => bus.on(topic, listener, done),
      removeListener: (topic, listener, done) => bus.removeListener(topic, listener, done),
      emit: (message, done) => (answered ? bus.emit(message, done) : held.push(() => done?.())),
    };
    const a = relayNode('a', [PA], stuck, clock, { relay: { readingsEveryMs: 0 } });
    nodes.push(a);
    await waitFor(() => a.relay.stats.sentMessages === 1, 'its sync, answered');
    answered = false;
    for (let i = 0; i < MAX_IN_FLIGHT + 10; i++) {
      a.telemetry('brc-a', { heartRate: 70 });
      a.relay.flush();
    }
    expect(held.length).toBe(MAX_IN_FLIGHT);
    expect(a.relay.stats.unsent).toBe(10);
    for (const answer of held.splice(0)) answer();
    a.telemetry('brc-a', { heartRate: 71 });
    expect(a.relay.flush()).toBe(1);
  });

  it('sends a device with readings only at most every readingsEveryMs, keeping the newest; a status change goes at the next window', async () => {
    const clock = new ManualClock();
    const bus = measuredBus();
    const a = relayNode('a', [PA], bus, clock, { relay: { readingsEveryMs: 2_000 } });
    const b = relayNode('b', [], bus, clock);
    nodes.push(a, b);
    await waitFor(() => a.relay.stats.received === 1, "b's sync");
    a.telemetry('brc-a', { heartRate: 70 }); // first message: online, a status change
    clock.advance(250);
    await waitFor(() => b.states.get('brc-a')?.online === true, 'brc-a online on b');
    bus.sizes.length = 0;
    // Readings in the next windows: held while the last delta is younger than 2 s.
    for (let i = 1; i <= 6; i++) {
      a.telemetry('brc-a', { heartRate: 70 + i });
      clock.advance(250);
    }
    expect(bus.sizes).toHaveLength(0);
    expect(b.states.get('brc-a')?.lastValues.heartRate).toBe(70);
    clock.advance(500); // 2 s since the last delta
    await waitFor(() => b.states.get('brc-a')?.lastValues.heartRate === 76, 'the newest reading on b');
    expect(bus.sizes).toHaveLength(1);
    // A status change is not held, though the last delta is younger than 2 s: it goes at the next window.
    bus.sizes.length = 0;
    a.bus.emit('device.status', { deviceId: 'brc-a', homeId: DEV_A.homeId, online: false, at: clock.now(), reason: 'watchdog' });
    clock.advance(250);
    expect(bus.sizes).toHaveLength(1);
    await waitFor(() => b.relayed.some((r) => r.deviceId === 'brc-a') && b.statuses.some((st) => st.deviceId === 'brc-a' && st.online === false), 'the offline on b');
  });
});
