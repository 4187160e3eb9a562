/**
 * The device state relay (hub/cluster/device-state-relay.ts) over a real
 * Redis: three nodes in this process, each with its own Redis connections
 * (RedisBrokerParts, as a cluster node opens them), bus, DeviceStateStore and
 * OwnedPartitions, and the real Ingest, presence and device-offline rule.
 * The owner's status changes and readings reach the other nodes' stores and
 * buses; a node never applies state for a home it owns; 1,000 readings in a
 * burst are one Redis message; junk on the channel is dropped and counted; a
 * node that starts late, or missed messages, converges through the resync.
 * Time is a manual clock (the coalescing window and the resync period);
 * deliveries are awaited as events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_STATE_TOPIC, MAX_MESSAGE_CHARS } from '../hub/cluster/device-state-wire.js';
import { RedisBrokerParts } from '../hub/cluster/redis-broker-parts.js';
import { RedisLinks } from '../hub/cluster/redis-links.js';
import type { StateBus } from '../hub/cluster/device-state-relay.js';
import { silentLogger } from '../hub/core/logger.js';
import { ManualClock } from './helpers/manual-clock.js';
import { useRedisNamespace } from './helpers/redis-namespace.js';
import { DEV_A, DEV_B, HEARTBEAT_SEC, HOME_A, PA, PB, relayNode, type RelayNode, type RelayNodeOptions } from './helpers/state-relay-nodes.js';
import { waitFor } from './helpers/wait-for.js';

const ns = useRedisNamespace();
const opened: RedisBrokerParts[] = [];
const nodes: RelayNode[] = [];

async function redisBus(nodeId: string): Promise<StateBus> {
  const parts = new RedisBrokerParts({ redisUrl: ns.url, redisPrefix: ns.prefix, nodeId, log: silentLogger(), links: new RedisLinks(silentLogger(), 'test') });
  opened.push(parts);
  await parts.open();
  return parts.mq;
}

/** A node on its own Redis connections; resolves once its subscription is in place (its `sync` went out after it). */
async function node(nodeId: string, owned: number[], clock: ManualClock, options?: RelayNodeOptions): Promise<RelayNode> {
  const mq = await redisBus(nodeId);
  const made = relayNode(nodeId, owned, mq, clock, options);
  nodes.push(made);
  await waitFor(() => made.relay.stats.sentMessages >= 1, `${nodeId}'s sync`);
  return made;
}

/**
 * Nodes started one after the other; then every sync a node's start sent has
 * been heard by the nodes before it, and the resyncs they asked for (one
 * window later) have run — with no device state yet, they publish nothing.
 */
async function cluster(clock: ManualClock, specs: [string, number[], RelayNodeOptions?][]): Promise<RelayNode[]> {
  const made: RelayNode[] = [];
  for (const [nodeId, owned, options] of specs) made.push(await node(nodeId, owned, clock, options));
  await Promise.all(made.map((n, i) => waitFor(() => n.relay.stats.received === made.length - 1 - i, `${n.nodeId} hears the later nodes' syncs`)));
  clock.advance(250);
  return made;
}

afterEach(async () => {
  for (const n of nodes.splice(0)) n.stop();
  for (const parts of opened.splice(0)) await parts.close();
});

describe('device state relay over Redis', () => {
  let clock: ManualClock;

  it("puts the owner's readings and online/offline on the other nodes' stores and buses, as device.status for the stream, never as a signal or an alert", async () => {
    clock = new ManualClock();
    const [a, b, c] = (await cluster(clock, [['a', [PA]], ['b', [PB]], ['c', []]])) as [RelayNode, RelayNode, RelayNode];

    a.telemetry(DEV_A.id, { heartRate: 71, battery: 80 });
    clock.advance(100);
    a.telemetry(DEV_A.id, { heartRate: 73, steps: 10 });
    expect(a.relay.pendingDevices).toBe(1);
    clock.advance(250); // the window closes: one delta
    for (const n of [b, c]) await waitFor(() => n.relayed.length === 1, `${n.nodeId} applies a's delta`);
    for (const n of [b, c]) {
      const view = n.states.view(DEV_A.id)!;
      expect(view).toMatchObject({ homeId: HOME_A, kind: 'bracelet', online: true, battery: 80, lastSeen: clock.now() - 250, lastValues: { heartRate: 73, battery: 80, steps: 10 }, readings: 2 });
      expect(n.states.readings(DEV_A.id).map((r) => r.values.heartRate)).toEqual([71, 73]);
      expect(n.states.seriesOf(DEV_A.id, 0, clock.now() + 1)).toHaveLength(1);
      expect(n.statuses).toEqual([{ deviceId: DEV_A.id, homeId: HOME_A, online: true, at: clock.now() - 350, reason: 'message', relayedFrom: 'a' }]);
      expect(n.relayed).toEqual([{ deviceId: DEV_A.id, homeId: HOME_A, from: 'a', readings: 2 }]);
      expect(n.signals).toBe(0);
    }
    expect(a.relayed).toEqual([]); // its own message came back from Redis and was ignored

    // Silence: a's watchdog says offline after 3 heartbeats; b and c hear it as a relayed device.status.
    clock.advance(3 * HEARTBEAT_SEC * 1000);
    const ofA = (n: RelayNode) => n.statuses.filter((s) => s.deviceId === DEV_A.id);
    for (const n of [b, c]) await waitFor(() => ofA(n).length === 2, `${n.nodeId} hears brc-a offline`);
    for (const n of [b, c]) {
      expect(ofA(n)[1]).toMatchObject({ deviceId: DEV_A.id, online: false, reason: 'watchdog', relayedFrom: 'a' });
      expect(n.states.get(DEV_A.id)!.online).toBe(false);
      expect(n.raised.filter((d) => d.deviceId === DEV_A.id)).toEqual([]); // the device-offline rule runs on the owner only
    }
    expect(a.raised.map((d) => `${d.kind} ${d.deviceId}`)).toEqual(['device_offline brc-a']);
    // b's own device went silent too: its offline verdict is b's, and a and c hear it.
    for (const n of [a, c]) await waitFor(() => n.statuses.some((s) => s.deviceId === DEV_B.id), `${n.nodeId} hears brc-b`);
    expect(b.statuses.filter((s) => s.deviceId === DEV_B.id)).toEqual([expect.objectContaining({ online: false, reason: 'watchdog' })]);
    expect(b.statuses.find((s) => s.deviceId === DEV_B.id)?.relayedFrom).toBeUndefined();
    expect(b.raised.map((d) => `${d.kind} ${d.deviceId}`)).toEqual(['device_offline brc-b']);
    expect(c.raised).toEqual([]);
  });

  it('keeps every online/offline change of a window, not just the last', async () => {
    clock = new ManualClock();
    const [a, b] = (await cluster(clock, [['a', [PA]], ['b', []]])) as [RelayNode, RelayNode];
    a.telemetry(DEV_A.id, { heartRate: 70 });
    void a.ingest.accept(DEV_A.id, 'status', Buffer.from('offline'), clock.now());
    a.telemetry(DEV_A.id, { heartRate: 72 });
    expect(a.statuses.map((s) => s.online)).toEqual([true, false, true]);
    expect(a.relay.flush()).toBe(1);
    await waitFor(() => b.relayed.length === 1, 'the delta');
    expect(b.statuses.map((s) => `${s.online} ${s.reason}`)).toEqual(['true message', 'false status_topic', 'true message']);
    expect(b.states.get(DEV_A.id)!.online).toBe(true);
  });

  it('coalesces 1,000 readings of one device in a burst into one Redis message; the receivers end with the latest', async () => {
    clock = new ManualClock();
    const [a, b, c] = (await cluster(clock, [['a', [PA]], ['b', []], ['c', []]])) as [RelayNode, RelayNode, RelayNode];
    const before = a.relay.stats.sentMessages;
    for (let i = 1; i <= 1_000; i++) {
      a.telemetry(DEV_A.id, { heartRate: 60 + (i % 100), steps: i, ...(i === 500 ? { spo2: 96 } : {}) });
      if (i % 100 === 0) clock.advance(1); // 10 distinct milliseconds within the window
    }
    clock.advance(250);
    for (const n of [b, c]) await waitFor(() => n.relayed.length === 1, `${n.nodeId} applies the burst`);
    expect(a.relay.stats.sentMessages - before).toBe(1);
    for (const n of [b, c]) {
      expect(n.relay.stats.received).toBe(1 + (n === b ? 1 : 0)); // the burst (and, for b, c's sync)
      expect(n.states.get(DEV_A.id)!.lastValues).toEqual({ heartRate: 60, steps: 1_000, spo2: 96 });
      const readings = n.states.readings(DEV_A.id);
      expect(readings).toHaveLength(16);
      expect(readings.at(-1)!.values).toEqual({ heartRate: 60, steps: 1_000 });
      expect(readings.map((r) => r.values.steps)).toEqual(Array.from({ length: 16 }, (_, i) => 985 + i));
    }
  });

  it('never applies state for a home the receiver owns, even when another node believes it owns it too', async () => {
    clock = new ManualClock();
    const [a, b] = (await cluster(clock, [['a', [PA, PB]], ['b', [PB]]])) as [RelayNode, RelayNode];
    b.telemetry(DEV_B.id, { heartRate: 55 });
    a.telemetry(DEV_B.id, { heartRate: 99 });
    a.telemetry(DEV_A.id, { heartRate: 66 });
    a.relay.flush();
    b.relay.flush();
    await waitFor(() => b.relay.stats.skippedOwned === 1 && b.relayed.length === 1, "b ignores a's brc-b, applies its brc-a");
    await waitFor(() => a.relay.stats.skippedOwned === 1, "a ignores b's brc-b");
    expect(b.states.get(DEV_B.id)!.lastValues).toEqual({ heartRate: 55 });
    expect(b.relayed.map((r) => r.deviceId)).toEqual([DEV_A.id]);
    expect(a.states.get(DEV_B.id)!.lastValues).toEqual({ heartRate: 99 });
  });

  it("makes the new owner's state everyone's once it gains the partition", async () => {
    clock = new ManualClock();
    const [a, b] = (await cluster(clock, [['a', [PA]], ['b', []]])) as [RelayNode, RelayNode];
    a.telemetry(DEV_A.id, { heartRate: 70 });
    a.relay.flush();
    await waitFor(() => b.relayed.length === 1, 'b has brc-a');
    // The lease moves from a to b: b publishes what it holds for A at once (after one window).
    a.ownership.lose([PA]);
    b.ownership.gain([PA]);
    clock.advance(250);
    await waitFor(() => b.relay.stats.sentDevices >= 1, "b's resync of A");
    // The device now speaks to b (its messages go to the owner): a shows b's state.
    b.telemetry(DEV_A.id, { heartRate: 88 });
    b.relay.flush();
    await waitFor(() => a.relayed.some((r) => r.from === 'b' && r.readings === 1), "a applies b's brc-a");
    expect(a.states.get(DEV_A.id)!.lastValues).toEqual({ heartRate: 88 });
    expect(b.relay.stats.skippedOwned).toBe(0);
    // a publishes nothing more for A.
    expect(a.relay.pendingDevices).toBe(0);
  });

  it('drops and counts junk and oversized messages on the channel, and goes on applying good ones', async () => {
    clock = new ManualClock();
    const [a, b] = (await cluster(clock, [['a', [PA]], ['b', []]])) as [RelayNode, RelayNode];
    const raw = await redisBus('junk');
    const junk: unknown[] = [
      42,
      'not json',
      JSON.stringify({ v: 1, node: 'x', t: 'delta', devices: [{ d: '', h: 'h', k: 'bracelet', on: true }] }),
      JSON.stringify({ v: 1, node: 'x', t: 'delta', devices: [{ d: 'brc-x', h: 'h', k: 'bracelet', on: true, r: [[1, { a: 1 }]], st: [[true, 1, 'because']] }] }),
      JSON.stringify({ v: 2, node: 'x', t: 'delta', devices: [] }),
      `{"v":1,"node":"x","t":"resync","devices":[${'{"d":"brc-x","h":"h","k":"bracelet","on":true},'.repeat(MAX_MESSAGE_CHARS / 40)}]}`,
    ];
    for (const state of junk) raw.emit({ topic: DEVICE_STATE_TOPIC, state });
    raw.emit({ topic: DEVICE_STATE_TOPIC });
    await waitFor(() => b.relay.stats.dropped.malformed + b.relay.stats.dropped.oversized + b.relay.stats.dropped.version === 7, 'seven drops');
    expect(b.relay.stats.dropped).toEqual({ malformed: 5, oversized: 1, version: 1 });
    expect(b.states.get('brc-x')).toBeUndefined();
    a.telemetry(DEV_A.id, { heartRate: 70 });
    a.relay.flush();
    await waitFor(() => b.relayed.length === 1, 'the good message after the junk');
  });

  it('a node that starts late converges through the resync its start asks for', async () => {
    clock = new ManualClock();
    const [a, b] = (await cluster(clock, [['a', [PA]], ['b', [PB]]])) as [RelayNode, RelayNode];
    a.telemetry(DEV_A.id, { heartRate: 70, battery: 64 });
    b.telemetry(DEV_B.id, { heartRate: 58 });
    a.relay.flush();
    b.relay.flush();
    await waitFor(() => a.relayed.length === 1 && b.relayed.length === 1, 'a and b have each other');
    const heard = [a.relay.stats.received, b.relay.stats.received];
    const c = await node('c', [], clock);
    await waitFor(() => a.relay.stats.received === heard[0]! + 1 && b.relay.stats.received === heard[1]! + 1, "c's sync heard");
    clock.advance(250); // each owner's resync, one window after the sync
    await waitFor(() => c.relayed.length === 2, 'c has both devices');
    expect(c.states.view(DEV_A.id)).toMatchObject({ online: true, battery: 64, lastValues: { heartRate: 70, battery: 64 }, messages: 1, readings: 0 });
    expect(c.states.view(DEV_B.id)).toMatchObject({ online: true, lastValues: { heartRate: 58 } });
    expect(c.statuses.map((s) => `${s.deviceId} ${s.online} ${s.relayedFrom}`).sort()).toEqual(['brc-a true a', 'brc-b true b']);
  });

  it('a node that missed messages (its owner could not reach Redis) converges at the periodic resync', async () => {
    clock = new ManualClock();
    let up = true;
    const [a, b] = (await cluster(clock, [['a', [PA], { relay: { connected: () => up } }], ['b', []]])) as [RelayNode, RelayNode];
    up = false;
    a.telemetry(DEV_A.id, { heartRate: 70 });
    clock.advance(250);
    expect(a.relay.stats.unsent).toBe(1);
    up = true;
    clock.advance(30_000 - 500); // the resync falls due 30 s after the start (the cluster's settling took 250 ms)
    await waitFor(() => b.relayed.length === 1, 'the periodic resync');
    expect(b.states.view(DEV_A.id)).toMatchObject({ online: true, lastValues: { heartRate: 70 } });
  });
});
