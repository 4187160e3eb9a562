/**
 * Issue 12 step 3, checklist item 4 (docs/CLUSTER.md "Alarms that arrive at
 * a node that does not own the home"): work reaches the owner of the home's
 * partition. Alarm rows carry the partition (migration 0009) and each node's
 * drain takes only its own partitions' rows, the leader also -1 and NULL;
 * a node that gains a partition drains what a dead owner left; telemetry,
 * status and connections go to the owner's own Redis stream, and a node that
 * no longer owns the home drops what reaches it. Real PostgreSQL (a fresh
 * database), real Redis (a fresh prefix per test).
 */
import { describe, expect, it } from 'vitest';
import { InboundDrain, type ForwardedUplinkHandler } from '../hub/cluster/inbound-drain.js';
import { devicePartition, drainsFor, splitByOwner } from '../hub/cluster/owner-routing.js';
import { UplinkPublisher, UplinkSubscriber, uplinkNodeStreamKey } from '../hub/cluster/uplink-bus.js';
import { UplinkForwarder } from '../hub/cluster/uplink-forwarder.js';
import { silentLogger } from '../hub/core/logger.js';
import { FixedPartitionDirectory } from '../hub/core/partition-directory.js';
import { OwnedPartitions, OWNS_EVERYTHING } from '../hub/core/partition-ownership.js';
import { HOMELESS_PARTITION, partitionOfHome } from '../hub/core/partitions.js';
import { auditClientId } from '../hub/cluster/forwarded-audit.js';
import { ClusterElection } from '../hub/compose/cluster-election.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgInboundAlarms } from '../hub/storage/postgres/inbound-alarms-pg.js';
import { useCleanup } from './helpers/cleanup.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { useRedisNamespace } from './helpers/redis-namespace.js';
import { waitFor } from './helpers/wait-for.js';

const pg = usePgDatabase();
const redis = useRedisNamespace();
const keep = useCleanup();
const log = silentLogger();

/** Four homes in four different partitions: owned by node A, node B, node C, and by nobody. */
const homes = (() => {
  const found: string[] = [];
  const used = new Set<number>();
  for (let i = 0; found.length < 4; i++) {
    const home = `home-${i}`;
    if (used.has(partitionOfHome(home))) continue;
    used.add(partitionOfHome(home));
    found.push(home);
  }
  const [a, b, c, orphan] = found as [string, string, string, string];
  return { a, b, c, orphan };
})();
const P = { a: partitionOfHome(homes.a), b: partitionOfHome(homes.b), c: partitionOfHome(homes.c), orphan: partitionOfHome(homes.orphan) };

/** The registry: device `br-<home letter><n>` belongs to that home; `br-x…` to none. */
const deviceHomes = new Map<string, string>();
for (const [letter, home] of Object.entries(homes)) for (let n = 1; n <= 3; n++) deviceHomes.set(`br-${letter}${n}`, home);
const homeOfDevice = (deviceId: string) => deviceHomes.get(deviceId);

async function freshStore(): Promise<PgInboundAlarms> {
  const store = keep(new PgInboundAlarms(new PgDatabase({ url: pg.url, log }), { min: 20, max: 200 }), (s) => s.close());
  await store.oldest(1); // opens and migrates
  await pg.query('DELETE FROM inbound_alarm');
  return store;
}

async function rows(): Promise<{ device_id: string; partition: number | null }[]> {
  return (await pg.query<{ device_id: string; partition: number | null }>('SELECT device_id, partition FROM inbound_alarm ORDER BY id')).rows;
}

const alarm = (seq: number) => Buffer.from(JSON.stringify({ type: 'sos', seq, ts: 1_000 + seq }));
const seqOf = (payload: Buffer) => (JSON.parse(payload.toString()) as { seq: number }).seq;

interface Got {
  deviceId: string;
  channel: string;
  payload: Buffer;
}

function recorder() {
  const got: Got[] = [];
  const handle: ForwardedUplinkHandler = (deviceId, channel, payload) => {
    got.push({ deviceId, channel, payload });
    return undefined;
  };
  return { got, handle };
}

/** A node's drain over its own partitions (alarms only unless `subscribe` is given); only NOTIFY, start and gains wake it. */
function ownerDrain(store: PgInboundAlarms, owned: OwnedPartitions, leads: boolean, extra: Partial<ConstructorParameters<typeof InboundDrain>[0]> = {}) {
  const node = recorder();
  const drain = keep(
    new InboundDrain({
      store,
      handle: node.handle,
      log,
      pollEveryMs: 60_000,
      retryDelayMs: 50,
      stopTimeoutMs: 2_000,
      drains: drainsFor(owned, () => leads),
      homeOfDevice,
      onGained: (listener) => owned.onGained(listener),
      ...extra,
    }),
    (d) => d.stop(),
  );
  return { ...node, drain };
}

describe('alarm rows carry the partition and reach its owner', () => {
  it('two owners and the leader each drain exactly their rows, none twice, none missing; a partition nobody owns waits', async () => {
    const store = await freshStore();
    const a = ownerDrain(store, new OwnedPartitions([P.a]), false);
    const b = ownerDrain(store, new OwnedPartitions([P.b]), false);
    const leader = ownerDrain(store, new OwnedPartitions([P.c]), true);
    await Promise.all([a.drain.start(), b.drain.start(), leader.drain.start()]);

    // Node D (no drain) receives them all: all three drains are woken by every NOTIFY, together.
    const forwarder = new UplinkForwarder({ store, publisher: { publish: () => undefined }, nodeId: 'node-d', maxPayloadBytes: 16 * 1024, log, homeOfDevice });
    const devices = ['br-a1', 'br-a2', 'br-b1', 'br-b2', 'br-c1', 'br-x1', 'br-orphan1'];
    const sent: Promise<unknown>[] = [];
    for (let seq = 1; seq <= 8; seq++) for (const device of devices) sent.push(Promise.resolve(forwarder.handle(device, 'event', alarm(seq))));
    // A row of an older node (no partition) and a node's own audit row: the leader's.
    sent.push(store.put({ deviceId: 'br-b3', key: { seq: 1, ts: 1 }, payload: alarm(1), receivedAt: Date.now(), receivedBy: 'node-old' }));
    sent.push(Promise.resolve(forwarder.handle(auditClientId('node-d'), 'event', Buffer.from('{}'))));
    await Promise.all(sent);

    const total = () => a.got.length + b.got.length + leader.got.length;
    await waitFor(() => total() === 8 * 6 + 2, 'every owned row to be delivered');
    await waitFor(async () => (await rows()).length === 8, 'the delivered rows to be deleted');

    const devicesOf = (got: Got[]) => [...new Set(got.map((g) => g.deviceId))].sort();
    expect(devicesOf(a.got)).toEqual(['br-a1', 'br-a2']);
    expect(devicesOf(b.got)).toEqual(['br-b1', 'br-b2']);
    expect(devicesOf(leader.got)).toEqual(['br-b3', 'br-c1', 'br-x1', auditClientId('node-d')].sort());
    // Each device's alarms once each, in order: nobody delivered a row another drain took.
    for (const node of [a, b, leader]) {
      for (const device of devicesOf(node.got).filter((d) => d.startsWith('br-') && d !== 'br-b3')) {
        expect(node.got.filter((g) => g.deviceId === device).map((g) => seqOf(g.payload))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      }
    }
    // What is left: the partition nobody owns, marked with it.
    expect(await rows()).toEqual(Array.from({ length: 8 }, () => ({ device_id: 'br-orphan1', partition: P.orphan })));
    expect(a.drain.stats.alarmsDelivered + b.drain.stats.alarmsDelivered + leader.drain.stats.alarmsDelivered).toBe(8 * 6 + 1); // the audit row is no alarm
  });

  it('rows carry the home’s partition, -1 without a home, NULL from a forwarder without the registry (today’s leader takes them all)', async () => {
    const store = await freshStore();
    const owners = new UplinkForwarder({ store, publisher: { publish: () => undefined }, nodeId: 'node-d', maxPayloadBytes: 16 * 1024, log, homeOfDevice });
    const older = new UplinkForwarder({ store, publisher: { publish: () => undefined }, nodeId: 'node-e', maxPayloadBytes: 16 * 1024, log });
    await owners.handle('br-b1', 'event', alarm(1));
    await owners.handle('br-x1', 'event', alarm(1));
    await owners.handle('hub.probe.node-d', 'event', Buffer.from('{"seq":1}'));
    await older.handle('br-a1', 'event', alarm(1));
    expect(await rows()).toEqual([
      { device_id: 'br-b1', partition: P.b },
      { device_id: 'br-x1', partition: HOMELESS_PARTITION },
      { device_id: 'hub.probe.node-d', partition: HOMELESS_PARTITION },
      { device_id: 'br-a1', partition: null },
    ]);
    // A drain with no `drains` (one leader, as before owners) takes every row; so does one that owns everything and leads.
    const all = ownerDrain(store, new OwnedPartitions(), true, { drains: drainsFor(OWNS_EVERYTHING, () => true) });
    await all.drain.start();
    expect(all.got.map((g) => g.deviceId)).toEqual(['br-b1', 'br-x1', 'hub.probe.node-d', 'br-a1']);
    expect(await rows()).toEqual([]);
  });

  it('a node that gains a partition drains at once what its dead owner left', async () => {
    const store = await freshStore();
    // Node A owned partition P.a and died: its rows were written while nobody drained them.
    const forwarder = new UplinkForwarder({ store, publisher: { publish: () => undefined }, nodeId: 'node-d', maxPayloadBytes: 16 * 1024, log, homeOfDevice });
    for (let seq = 1; seq <= 5; seq++) await forwarder.handle('br-a1', 'event', alarm(seq));
    await forwarder.handle('br-b1', 'event', alarm(1));

    const owned = new OwnedPartitions([P.b]);
    const b = ownerDrain(store, owned, false);
    await b.drain.start(); // its first pass: only its own partition's row
    expect(b.got.map((g) => g.deviceId)).toEqual(['br-b1']);
    expect((await rows()).map((r) => r.device_id)).toEqual(['br-a1', 'br-a1', 'br-a1', 'br-a1', 'br-a1']);

    owned.gain([P.a]); // the lease balancer hands A's partition to B: no NOTIFY, the poll is a minute away
    await waitFor(() => b.got.length === 6, 'the gained partition’s rows to be drained');
    expect(b.got.slice(1).map((g) => seqOf(g.payload))).toEqual([1, 2, 3, 4, 5]);
    await waitFor(async () => (await rows()).length === 0, 'the drained rows to be deleted');

    // And a partition lost is not drained any more.
    owned.lose([P.a]);
    await forwarder.handle('br-a2', 'event', alarm(1));
    await forwarder.handle('br-b2', 'event', alarm(1)); // after it in id order: once B has this one, it has passed over br-a2's
    await waitFor(() => b.got.some((g) => g.deviceId === 'br-b2'), 'B to drain its own new row');
    expect(b.got.some((g) => g.deviceId === 'br-a2')).toBe(false);
    await waitFor(async () => (await rows()).length === 1, 'B’s row to be deleted');
    expect(await rows()).toEqual([{ device_id: 'br-a2', partition: P.a }]);
  });

  it('refuses a row whose partition is out of range, with a clear error, and stores nothing of it', async () => {
    const store = await freshStore();
    const put = (partition: number, seq: number) => store.put({ deviceId: 'br-a1', key: { seq, ts: 1 }, payload: alarm(seq), receivedAt: Date.now(), receivedBy: 'node-d', partition });
    // In one turn with good ones: the bad ones fail alone, not the batch they would have joined.
    const answers = await Promise.allSettled([put(256, 1), put(P.a, 2), put(-2, 3), put(1.5, 4), put(HOMELESS_PARTITION, 5)]);
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((answers[0] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    expect(String((answers[0] as PromiseRejectedResult).reason)).toMatch(/partition 256 is not a partition \(-1 to 255\)/);
    expect(String((answers[2] as PromiseRejectedResult).reason)).toMatch(/partition -2 is not a partition/);
    expect(await rows()).toEqual([
      { device_id: 'br-a1', partition: P.a },
      { device_id: 'br-a1', partition: HOMELESS_PARTITION },
    ]);
    // The table refuses it too (a writer that skips the store's check).
    await expect(
      pg.query(`INSERT INTO inbound_alarm (device_id, payload, received_at, received_by, partition) VALUES ('br-a1', '\\x00', now(), 'x', 300)`),
    ).rejects.toThrow(/inbound_alarm_partition_range/);
    expect(await rows()).toHaveLength(2);
  });
});

describe('telemetry, status and connections reach the owner’s stream', () => {
  let cluster = 0;

  /** One node: its publisher, and its drain reading its own stream (and the leader's while it leads). */
  async function node(prefix: string, nodeId: string, owned: OwnedPartitions, leads: { now: boolean }, store: PgInboundAlarms) {
    const settings = { redisUrl: redis.url, redisPrefix: prefix, nodeId, log, entryWaitMs: 0 };
    const publisher = keep(await UplinkPublisher.open(settings), (p) => p.close());
    let subscriber: UplinkSubscriber | undefined;
    const connections: string[] = [];
    const self = ownerDrain(store, owned, leads.now, {
      drains: drainsFor(owned, () => leads.now),
      subscribe: async (onMessage) => (subscriber = await UplinkSubscriber.open(settings, onMessage, Date.now, { own: true, leader: () => leads.now })),
      onConnection: (deviceId, connected) => connections.push(`${deviceId} ${connected ? 'on' : 'off'}`),
    });
    await self.drain.start();
    const hrs = () => self.got.map((g) => `${g.deviceId} ${(JSON.parse(g.payload.toString()) as { hr: number }).hr}`);
    return { ...self, publisher, connections, hrs, subscriber: () => subscriber! };
  }

  async function threeNodes() {
    cluster++;
    const prefix = `${redis.prefix}c${cluster}:`;
    const store = await freshStore();
    const owned = { a: new OwnedPartitions([P.a]), b: new OwnedPartitions([P.b]), c: new OwnedPartitions([P.c]) };
    const leads = { a: { now: true }, b: { now: false }, c: { now: false } };
    const nodes = {
      a: await node(prefix, 'node-a', owned.a, leads.a, store),
      b: await node(prefix, 'node-b', owned.b, leads.b, store),
      c: await node(prefix, 'node-c', owned.c, leads.c, store),
    };
    // What every node last heard of the leases; the orphan's partition is held by nobody.
    const directory = new FixedPartitionDirectory(new Map([[P.a, 'node-a'], [P.b, 'node-b'], [P.c, 'node-c']]));
    const forwarderOn = (n: keyof typeof nodes) =>
      new UplinkForwarder({ store, publisher: nodes[n].publisher, nodeId: `node-${n}`, maxPayloadBytes: 16 * 1024, log, homeOfDevice, directory });
    return { prefix, store, owned, leads, nodes, directory, forwarderOn };
  }

  const reading = (hr: number) => Buffer.from(JSON.stringify({ hr }));

  it('a reading for a home B owns, forwarded by A, is delivered to B and to neither A nor C', async () => {
    const { nodes, forwarderOn } = await threeNodes();
    const fromA = forwarderOn('a');
    fromA.handle('br-b1', 'telemetry', reading(71));
    fromA.handle('br-b1', 'status', reading(72));
    fromA.connection('br-b2', true);
    await waitFor(() => nodes.b.got.length === 2 && nodes.b.connections.length === 1, 'B to get its home’s messages');
    expect(nodes.b.hrs()).toEqual(['br-b1 71', 'br-b1 72']);
    expect(nodes.b.got.map((g) => g.channel)).toEqual(['telemetry', 'status']);
    expect(nodes.b.connections).toEqual(['br-b2 on']);

    // A sentinel on every other stream: each stream is read in order, so had B's messages gone to A
    // or C (own stream) or to the leader's stream (A leads), they would have come before it.
    const fromC = forwarderOn('c');
    fromC.handle('br-a1', 'telemetry', reading(1)); // to A's own stream
    fromC.handle('br-x1', 'telemetry', reading(2)); // no home: the leader's stream (A reads it)
    fromA.handle('br-c1', 'telemetry', reading(3)); // to C's own stream
    await waitFor(() => nodes.a.got.length === 2 && nodes.c.got.length === 1, 'A and C to get their sentinels');
    expect(nodes.a.hrs().sort()).toEqual(['br-a1 1', 'br-x1 2']);
    expect(nodes.c.hrs()).toEqual(['br-c1 3']);
    expect(nodes.a.connections).toEqual([]);
    expect(nodes.c.connections).toEqual([]);
    expect(fromA.sent).toEqual({ telemetry: 2, status: 1, connection: 1 });
    for (const n of Object.values(nodes)) expect(n.drain.dropped.notOwned).toBe(0);
  });

  it('an entry reaching a node that no longer owns the home is dropped and counted, never applied', async () => {
    const { nodes, owned, forwarderOn } = await threeNodes();
    // B loses its partition to C, but A's directory still names B (it has not read the leases yet).
    owned.b.lose([P.b]);
    owned.c.gain([P.b]);
    const fromA = forwarderOn('a');
    fromA.handle('br-b1', 'telemetry', reading(80));
    fromA.connection('br-b1', false);
    await waitFor(() => nodes.b.drain.dropped.notOwned === 2, 'B to drop both messages');
    expect(nodes.b.got).toEqual([]);
    expect(nodes.b.connections).toEqual([]);
    expect(nodes.b.drain.received).toEqual({ telemetry: 0, status: 0, connection: 0 });
    // C, the new owner, was never sent them (lost, as telemetry may be in a move: DESIGN.md §8).
    fromA.handle('br-c1', 'telemetry', reading(81));
    await waitFor(() => nodes.c.got.length === 1, 'C to get a sentinel');
    expect(nodes.c.hrs()).toEqual(['br-c1 81']);
  });

  it('a partition nobody owns now: the forwarder sends nothing and counts it', async () => {
    const { nodes, forwarderOn, prefix } = await threeNodes();
    const fromA = forwarderOn('a');
    fromA.handle('br-orphan1', 'telemetry', reading(90));
    fromA.connection('br-orphan1', true);
    expect(fromA.routing.noOwner).toBe(2);
    expect(fromA.sent).toEqual({ telemetry: 0, status: 0, connection: 0 });
    // Nothing was written for anybody: the next message to C arrives alone.
    fromA.handle('br-c2', 'telemetry', reading(91));
    await waitFor(() => nodes.c.got.length === 1, 'C to get its reading');
    expect(nodes.a.got.length + nodes.b.got.length).toBe(0);
    expect(uplinkNodeStreamKey(prefix, 'node-c')).toBe(`${prefix}uplink:node-c`);
  });

  it('only the leader reads the leader’s stream: a forwarder without a directory (an older node) still reaches it', async () => {
    const { nodes, store, leads } = await threeNodes();
    const older = new UplinkForwarder({ store, publisher: nodes.c.publisher, nodeId: 'node-c', maxPayloadBytes: 16 * 1024, log });
    older.handle('br-a1', 'telemetry', reading(60)); // A's home, and A leads
    older.handle('br-b1', 'telemetry', reading(61)); // B's home, but the leader's stream: A is not its owner
    older.connection('br-x2', true); // no home: the leader's
    await waitFor(() => nodes.a.got.length === 1 && nodes.a.connections.length === 1 && nodes.a.drain.dropped.notOwned === 1, 'the leader to read the leader’s stream');
    expect(nodes.a.hrs()).toEqual(['br-a1 60']);
    expect(nodes.a.connections).toEqual(['br-x2 on']);
    expect(nodes.b.got).toEqual([]); // B does not read the leader's stream, so it never takes the leader's share
    expect(leads.b.now).toBe(false);
  });
});

describe('ClusterElection with owners switched on', () => {
  it('passes ownership, directory and registry to its forwarder and drain: each node’s pipeline gets its own homes’ work', async () => {
    const store = await freshStore();
    const prefix = `${redis.prefix}election:`;
    const directory = new FixedPartitionDirectory(new Map([[P.a, 'node-a'], [P.b, 'node-b']]));
    const leaderRecord = { epoch: 1, nodeId: 'node-b', httpUrl: null, since: new Date(), held: true };
    const election = (nodeId: string, owned: OwnedPartitions, leads: boolean) => {
      const ingested: string[] = [];
      const heartbeats: string[] = [];
      const e = new ClusterElection({
        nodeId,
        redisUrl: redis.url,
        redisPrefix: prefix,
        redisLinks: undefined,
        maxPayloadBytes: 16 * 1024,
        inboundAlarms: store,
        journal: { readLeader: async () => leaderRecord },
        ingest: (deviceId, channel) => void ingested.push(`${deviceId} ${channel}`),
        onConnection: (deviceId, connected) => void ingested.push(`${deviceId} ${connected ? 'on' : 'off'}`),
        heartbeatFromNode: (clientId) => void heartbeats.push(clientId),
        auditFromNode: () => undefined,
        log,
        ownership: owned,
        directory,
        homeOfDevice,
        isLeader: () => leads,
      });
      return { e, ingested, heartbeats };
    };
    const a = election('node-a', new OwnedPartitions([P.a]), false);
    const b = election('node-b', new OwnedPartitions([P.b]), true);
    for (const n of [a, b]) {
      const front = n.e.frontService();
      await front.start();
      keep(front, (f) => f.stop());
      await n.e.drain.start();
      keep(n.e.drain, (d) => d.stop());
    }

    // Node A's broker took them: B's home's alarm and reading, a home-less device's, A's own probe heartbeat.
    await a.e.forwarder.handle('br-b1', 'event', alarm(1));
    a.e.forwarder.handle('br-b1', 'telemetry', Buffer.from('{"hr":70}'));
    a.e.forwarder.connection('br-b2', true);
    await a.e.forwarder.handle('hub.probe.node-a', 'event', Buffer.from('{"seq":1}'));
    // Node B's broker took one of A's home's alarms and readings.
    await b.e.forwarder.handle('br-a1', 'event', alarm(1));
    b.e.forwarder.handle('br-a1', 'status', Buffer.from('{"battery":90}'));

    await waitFor(() => b.ingested.length === 3 && a.ingested.length === 2 && b.heartbeats.length === 1, 'each node’s pipeline to get its homes’ messages');
    expect(b.ingested.sort()).toEqual(['br-b1 event', 'br-b1 telemetry', 'br-b2 on']);
    expect(a.ingested.sort()).toEqual(['br-a1 event', 'br-a1 status']);
    expect(b.heartbeats).toEqual(['hub.probe.node-a']); // the leader's, as before owners
    expect(a.heartbeats).toEqual([]);
    await waitFor(async () => (await rows()).length === 0, 'the drained rows to be deleted');
    expect(a.e.drain.dropped.notOwned + b.e.drain.dropped.notOwned).toBe(0);
  });
});

describe('owner routing', () => {
  it('a node takes in its own partitions’ devices (and, leading, the home-less ones) and forwards the rest', () => {
    const owned = new OwnedPartitions([P.a]);
    let leads = false;
    const taken: string[] = [];
    const split = splitByOwner(owned, homeOfDevice, () => leads, {
      local: (deviceId) => void taken.push(`local ${deviceId}`),
      forward: (deviceId) => void taken.push(`forward ${deviceId}`),
      localConnection: (deviceId) => taken.push(`local connection ${deviceId}`),
      forwardConnection: (deviceId) => taken.push(`forward connection ${deviceId}`),
    });
    split.handle('br-a1', 'telemetry', Buffer.from('{}'));
    split.handle('br-b1', 'event', Buffer.from('{}'));
    split.handle('br-x1', 'telemetry', Buffer.from('{}'));
    split.connection('br-a2', true);
    leads = true;
    owned.gain([P.b]);
    split.handle('br-x1', 'telemetry', Buffer.from('{}'));
    split.handle('br-b1', 'event', Buffer.from('{}'));
    expect(taken).toEqual(['local br-a1', 'forward br-b1', 'forward br-x1', 'local connection br-a2', 'local br-x1', 'local br-b1']);
    expect(devicePartition(homeOfDevice, 'hub.probe.node-a')).toBe(HOMELESS_PARTITION);
    expect(devicePartition(homeOfDevice, 'br-c1')).toBe(P.c);
  });

  it('a partition the services still believe owned, whose lease ran out a moment ago (holdsNow), is forwarded; the home-less one follows leadership alone', () => {
    const owned = new OwnedPartitions([P.a, P.b]);
    const lapsed = new Set([P.b]);
    const taken: string[] = [];
    const split = splitByOwner(
      owned,
      homeOfDevice,
      () => true,
      {
        local: (deviceId) => void taken.push(`local ${deviceId}`),
        forward: (deviceId) => void taken.push(`forward ${deviceId}`),
        localConnection: (deviceId) => taken.push(`local connection ${deviceId}`),
        forwardConnection: (deviceId) => taken.push(`forward connection ${deviceId}`),
      },
      (partition) => !lapsed.has(partition),
    );
    split.handle('br-a1', 'event', Buffer.from('{}'));
    split.handle('br-b1', 'event', Buffer.from('{}'));
    split.connection('br-b2', true);
    split.handle('br-x1', 'event', Buffer.from('{}'));
    expect(taken).toEqual(['local br-a1', 'forward br-b1', 'forward connection br-b2', 'local br-x1']);
    expect(drainsFor(owned, () => true, (partition) => !lapsed.has(partition))(P.b)).toBe(false);
    expect(drainsFor(owned, () => true)(P.b)).toBe(true); // without the lease's word: the services' belief
  });
});
