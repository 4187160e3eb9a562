/**
 * A cluster whose home partitions are spread over the nodes
 * (HUB_PARTITIONS=spread, issue 12 step 3, docs/CLUSTER.md "Owners"): each
 * node owns a share of the homes and runs their pipeline; a device may
 * connect to any node, its alarm reaches its home's owner; a console's
 * write for a home goes to its owner. Real processes, real PostgreSQL and
 * Redis.
 */
import { describe, expect, it } from 'vitest';
import { partitionOfHome } from '../hub/core/partitions.js';
import { endClient, closeStream } from './helpers/cleanup.js';
import { explainedBy, startClusterProcess, type ClusterProcess } from './helpers/cluster-processes.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';
import { CommandInbox, connectDeviceOnceKnown } from './helpers/mqtt-device.js';
import { connectRoaming, provisionBracelets } from './helpers/cluster-bracelets.js';
import { provisionHomeThrough, type ProvisionedDevice } from './helpers/provision.js';
import { StreamClient } from './helpers/stream-client.js';
import { ApiClient } from './helpers/api-client.js';
import { withClient } from './helpers/pg-server.js';
import { offlineBracelets, SILENCE_MS, SILENT_BEFORE_KILL_MS } from './helpers/offline-bracelets.js';

const LEASE_MS = 3_000;
const bed = useClusterTestbed('hub_spread', LEASE_MS);
const { keep } = bed;
const options = () => bed.options({ HUB_PARTITIONS: 'spread' });
const offline = offlineBracelets(keep, bed.redis);

interface Health {
  partitions: { owned: number[] };
  journal: { lastN: number };
}

async function health(node: ClusterProcess): Promise<Health> {
  return (await (await fetch(`${node.httpUrl}/api/v1/health`)).json()) as Health;
}

async function owned(node: ClusterProcess): Promise<Set<number>> {
  return new Set((await health(node)).partitions.owned);
}

/** Homes provisioned until one falls in a partition `node` owns. */
async function homeOwnedBy(api: ApiClient, node: ClusterProcess): Promise<{ homeId: string; devices: ProvisionedDevice[] }> {
  const mine = await owned(node);
  for (let i = 0; i < 40; i++) {
    const home = await provisionHomeThrough(api);
    if (mine.has(partitionOfHome(home.homeId))) return home;
  }
  throw new Error(`no home fell in ${node.name}'s ${mine.size} partitions`);
}

/** `count` nodes, the first leading, once the balancer has given each its share (85/85/86 of 256 for three). */
async function settledCluster(count: number): Promise<ClusterProcess[]> {
  const nodes = [await startClusterProcess('node-a', options())];
  await nodes[0]!.leading;
  for (const name of ['node-b', 'node-c'].slice(0, count - 1)) nodes.push(await startClusterProcess(name, options()));
  const share = Math.floor(256 / count);
  await expect.poll(async () => (await Promise.all(nodes.map(owned))).map((p) => p.size).sort((x, y) => x - y), { timeout: 30_000 }).toEqual(nodes.map((_, i) => share + (i >= count - (256 % count) ? 1 : 0)));
  return nodes;
}

const sos = (seq: number) => JSON.stringify({ type: 'sos', seq, ts: Date.now() });

describe('a cluster with the partitions spread over its nodes', () => {
  it("three nodes: an SOS from a device on node a for a home node b owns is raised by b and appears on an operator's stream on node c; the acknowledgement on c runs on b and brings help_coming to the device on a", async () => {
    const [a, b, c] = (await settledCluster(3)) as [ClusterProcess, ClusterProcess, ClusterProcess];

    const apiC = await c.api();
    const { homeId, devices } = await homeOwnedBy(apiC, b);
    const bracelet = devices[0]!;
    const stream = keep(await StreamClient.open(c.httpUrl, `token=${apiC.token}`), closeStream);

    const onA = keep(await connectDeviceOnceKnown(a.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const inbox = await CommandInbox.open(onA, bracelet.id);
    await onA.publishAsync(`hc/v1/${bracelet.id}/event`, sos(1), { qos: 1 });

    const raised = await stream.next((m) => m.type === 'alert.raised' && m.alert.homeId === homeId, 20_000);
    // The device's live state is b's (its home's owner): relayed to a, whose console sees the bracelet online and its battery.
    await stream.next((m) => m.type === 'device.status' && m.deviceId === bracelet.id && m.online === true, 20_000);
    await expect.poll(async () => (await apiC.get(`/api/v1/devices/${bracelet.id}`)).body.online, { timeout: 20_000 }).toBe(true);
    // The line was written by b, the home's owner (the journal's writer column names its session; its partition is the home's).
    const acked = await apiC.post(`/api/v1/alerts/${raised.alert.id}/acknowledge`, {});
    expect(acked.status).toBe(200);
    const help = await inbox.next((cmd) => cmd.cmd === 'help_coming', 20_000);
    expect(help).toMatchObject({ cmd: 'help_coming', alertId: raised.alert.id });
    const alert = (await apiC.get(`/api/v1/alerts/${raised.alert.id}`)).body;
    expect(alert.occurrences).toBe(1);
    expect(alert.status).toBe('acknowledged');
    // b, the home's owner, wrote both lines (journal_writer names the node of each writer session), into the home's partition.
    const writers = await withClient(bed.databaseUrl, async (client) =>
      (
        await client.query<{ type: string; owner: string; partition: number }>(
          "SELECT j.type, w.owner, j.partition FROM journal j JOIN journal_writer w ON w.session = j.writer WHERE j.type IN ('alert.raised', 'alert.acknowledged') ORDER BY j.n",
        )
      ).rows,
    );
    expect(writers).toEqual([
      { type: 'alert.raised', owner: 'node-b', partition: partitionOfHome(homeId) },
      { type: 'alert.acknowledged', owner: 'node-b', partition: partitionOfHome(homeId) },
    ]);
    expect(b.proc.stdout() + b.proc.stderr()).not.toMatch(/"level":(50|60)/);
    // Each owner's /metrics shows its own leases (the balancer's), not -1 as a standby's would.
    const metrics = await (await fetch(`${b.httpUrl}/metrics`)).text();
    expect(Number(/^hub_partition_lease_seconds_left(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^hub_partitions_owned(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(85);
  });

  it('after kill -9 of an owner, the others take its partitions within 15 s; of 100 alarms from devices spread over all nodes, sent around the kill, none is lost or doubled; its alert still escalates on time', async () => {
    const nodes = await settledCluster(3);
    const [a, b, c] = nodes as [ClusterProcess, ClusterProcess, ClusterProcess];
    const api = await a.api();
    const bracelets = await provisionBracelets(api, 100);
    const ofB = await owned(b);
    const victim = bracelets.findIndex((d) => ofB.has(partitionOfHome(d.homeId)));
    expect(victim).toBeGreaterThanOrEqual(0);
    const clients = await Promise.all(bracelets.map((d, i) => connectRoaming(keep, nodes, i, d)));

    // An alarm of a home b owns, raised by b before the kill: its 60 s "overdue" must come from b's successor.
    await clients[victim]!.publishAsync(`hc/v1/${bracelets[victim]!.id}/event`, sos(1), { qos: 1 });
    let first: { id: string; raisedAt: string } | undefined;
    await expect
      .poll(async () => (first = (await api.get('/api/v1/alerts?status=open')).body.alerts.find((x: { homeId: string }) => x.homeId === bracelets[victim]!.homeId)), { timeout: 15_000 })
      .toBeDefined();

    const sent = (from: number, to: number) =>
      Promise.all(clients.slice(from, to).map((client, i) => (from + i === victim ? undefined : client.publishAsync(`hc/v1/${bracelets[from + i]!.id}/event`, sos(1), { qos: 1 }))));
    await sent(0, 50);
    const killedAt = Date.now();
    b.proc.child.kill('SIGKILL');
    const inFlight = sent(50, 100);
    // b's partitions re-owned by a and c.
    await expect.poll(async () => (await owned(a)).size + (await owned(c)).size, { timeout: 20_000, interval: 100 }).toBe(256);
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(15_000);
    await inFlight; // every PUBACK came: each alarm is durable somewhere

    await expect.poll(async () => ((await api.get('/api/v1/alerts?status=open&limit=500')).body.alerts as unknown[]).length, { timeout: 30_000 }).toBe(100);
    const open = (await api.get('/api/v1/alerts?status=open&limit=500')).body.alerts as { homeId: string; occurrences: number }[];
    expect(new Set(open.map((x) => x.homeId)).size).toBe(100);
    expect(open.filter((x) => x.occurrences !== 1)).toEqual([]);

    const raisedAt = Date.parse(first!.raisedAt);
    await expect.poll(async () => (await api.get(`/api/v1/alerts/${first!.id}`)).body.flags?.overdue === true, { timeout: 90_000, interval: 500 }).toBe(true);
    expect(Math.abs(Date.now() - (raisedAt + 60_000))).toBeLessThan(15_000);
    const offline = ((await api.get('/api/v1/alerts?status=open&limit=500')).body.alerts as { kind: string }[]).filter((x) => x.kind === 'device_offline');
    expect(offline).toEqual([]);
    console.log(`spread failover: b's partitions re-owned ${takeoverMs} ms after kill -9`);
  }, 180_000);

  it('an owner frozen with SIGSTOP loses its partitions to the others within the lease; resumed, it writes nothing for the homes it lost', async () => {
    const [a, b] = (await settledCluster(2)) as [ClusterProcess, ClusterProcess];
    const api = await a.api();
    const { homeId, devices } = await homeOwnedBy(api, b);
    const bracelet = devices[0]!;
    // The device on b, b owning its home: its alarm is b's to journal.
    const onB = keep(await connectDeviceOnceKnown(b.mqttUrl, bracelet.id, bracelet.secret, { reconnectPeriod: 100 }), endClient);
    await onB.publishAsync(`hc/v1/${bracelet.id}/event`, sos(1), { qos: 1 });
    const writerOf = (type: string) =>
      withClient(bed.databaseUrl, async (client) =>
        (await client.query<{ owner: string }>("SELECT w.owner FROM journal j JOIN journal_writer w ON w.session = j.writer WHERE j.type = $1 AND j.data->'alert'->>'homeId' = $2 ORDER BY j.n", [type, homeId])).rows.map((r) => r.owner),
      );
    await expect.poll(() => writerOf('alert.raised'), { timeout: 15_000 }).toEqual(['node-b']);

    const lines = () =>
      withClient(bed.databaseUrl, async (client) =>
        (
          await client.query<{ owner: string; type: string }>(
            'SELECT w.owner, j.type FROM journal j JOIN journal_writer w ON w.session = j.writer WHERE j.partition = $1 ORDER BY j.n',
            [partitionOfHome(homeId)],
          )
        ).rows,
      );
    const beforeFreeze = await lines();
    expect(beforeFreeze.every((l) => l.owner === 'node-b')).toBe(true);

    b.proc.child.kill('SIGSTOP');
    await expect.poll(async () => (await owned(a)).size, { timeout: 20_000, interval: 100 }).toBe(256);
    b.proc.child.kill('SIGCONT');
    // A second alarm of the same home, sent to b once it runs again: b no longer owns the home, so a journals it, never b.
    await onB.publishAsync(`hc/v1/${bracelet.id}/event`, sos(2), { qos: 1 });
    // Failed once in a full CI run (2026-12-06): the alarm acknowledged, no line within 20 s. The likely path: b, resumed, took the alarm in
    // before its lease's expiry timer ran, and the refused alert line was lost on the bus (tests/lapsed-lease-writes.test.ts).
    await explainedBy([a, b], () => expect.poll(async () => (await lines()).length, { timeout: 20_000 }).toBeGreaterThan(beforeFreeze.length));
    const afterFreeze = (await lines()).slice(beforeFreeze.length);
    expect(afterFreeze.map((l) => l.owner)).toEqual(afterFreeze.map(() => 'node-a'));
  }, 120_000);

  it('after kill -9 of the leader, another node leads (the home-less partition: logins) and takes its homes', async () => {
    const [a, b] = (await settledCluster(2)) as [ClusterProcess, ClusterProcess];
    const api = await b.api(); // through b's front: logins are the leader's
    const { homeId, devices } = await homeOwnedBy(api, a);
    a.proc.child.kill('SIGKILL');
    await b.leading;
    await expect.poll(async () => (await owned(b)).size, { timeout: 20_000 }).toBe(256);
    // A login now runs on b (the home-less partition's holder), and b raises the alarms of a's former homes.
    const after = await b.api();
    const device = keep(await connectDeviceOnceKnown(b.mqttUrl, devices[0]!.id, devices[0]!.secret), endClient);
    await device.publishAsync(`hc/v1/${devices[0]!.id}/event`, sos(1), { qos: 1 });
    await expect.poll(async () => ((await after.get('/api/v1/alerts?status=open')).body.alerts as { homeId: string }[]).some((x) => x.homeId === homeId), { timeout: 15_000 }).toBe(true);
  }, 120_000);

  it('an owner stopped with SIGTERM says it is gone and gives its partitions up; the other takes them and the stopped node exits 0', async () => {
    const [a, b] = (await settledCluster(2)) as [ClusterProcess, ClusterProcess];
    const stoppedAt = Date.now();
    b.proc.child.kill('SIGTERM');
    expect(await b.proc.exited).toBe(0);
    const seen = await withClient(bed.databaseUrl, async (client) => (await client.query<{ gone: boolean }>("SELECT seen_at = '-infinity' AS gone FROM cluster_node WHERE node_id = 'node-b'")).rows[0]?.gone);
    expect(seen).toBe(true);
    await expect.poll(async () => (await owned(a)).size, { timeout: 20_000, interval: 100 }).toBe(256);
    console.log(`spread clean stop: every partition on node-a ${Date.now() - stoppedAt} ms after SIGTERM to node-b`);
  }, 120_000);

  it("kill -9 of the owner of A's and B's homes, B silent for most of its window: the next owner resumes B's watchdog from the partition's snapshot (offline once, about 30 s after its last message); A reconnects elsewhere and stays online", async () => {
    const [a, b, c] = (await settledCluster(3)) as [ClusterProcess, ClusterProcess, ClusterProcess];
    const api = await a.api();
    const braceletA = (await homeOwnedBy(api, b)).devices[0]!;
    const braceletB = (await homeOwnedBy(api, b)).devices[0]!;
    await offline.connectBracelet(braceletA, [b, c, a], { reconnects: true });
    await offline.connectBracelet(braceletB, [b], { reconnects: false, heartbeats: false });
    await offline.configureHeartbeat(api, braceletA.id);
    await offline.configureHeartbeat(api, braceletB.id);
    // Both online on the leader, through the owner's relay.
    await expect.poll(async () => [(await offline.deviceOf(api, braceletA.id)).online, (await offline.deviceOf(api, braceletB.id)).online], { timeout: 20_000 }).toEqual([true, true]);
    const lastSeenB = Date.parse((await offline.deviceOf(api, braceletB.id)).lastSeen!);
    // B says nothing more; b saves its partitions' silences every 5 s. Waiting for the silence to grow is the point.
    await expect.poll(() => Date.now() - lastSeenB, { timeout: SILENT_BEFORE_KILL_MS + 10_000, interval: 200 }).toBeGreaterThanOrEqual(SILENT_BEFORE_KILL_MS);
    b.proc.child.kill('SIGKILL');
    const killedAt = Date.now();
    // Resumed from b's last snapshot slice: B's remaining ~12 s from the take (at least the grace), not a fresh 30 s.
    await offline.expectOnlyBOffline(api, braceletA, braceletB, { lastSeenB, raisedBefore: killedAt + SILENCE_MS - 5_000 }, 'node-b');
  }, 180_000);

  it("a community drill started through the leader: each home's drill alert is raised by its own owner, and the end resolves them all", async () => {
    const [a, , c] = (await settledCluster(3)) as [ClusterProcess, ClusterProcess, ClusterProcess];
    const admin = await a.api();
    const homes = Array.from({ length: 9 }, (_, i) => ({ name: `Drill ${i}`, address: `${i} Drill Lane`, community: 'Riverside', resident: { name: `Resident ${i}`, birthYear: 1940 }, devices: [{ kind: 'bracelet', serial: `DR-${process.pid}-${i}` }] }));
    expect((await admin.post('/api/v1/homes/batch', { homes, goLiveOverrideReason: 'drill test fixture' })).status).toBe(201);
    expect((await admin.post('/api/v1/users', { username: 'sun.mei', password: 'supervisor-password', role: 'supervisor', displayName: 'Sun Mei' })).status).toBe(201);
    const supervisor = new ApiClient(c.httpUrl);
    await supervisor.login('sun.mei', 'supervisor-password');

    const started = await supervisor.post('/api/v1/drills', { kind: 'sos', community: 'Riverside' });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const alertIds = started.body.alertIds as string[];
    expect(alertIds).toHaveLength(9);
    // Every drill alert raised once, each by its home's owner: more than one node wrote them.
    const writers = () =>
      withClient(bed.databaseUrl, async (client) =>
        (await client.query<{ owner: string; id: string }>("SELECT w.owner, j.data->'alert'->>'id' AS id FROM journal j JOIN journal_writer w ON w.session = j.writer WHERE j.type = 'alert.raised' AND j.data->'alert'->'drill' IS NOT NULL")).rows,
      );
    await expect.poll(async () => (await writers()).map((r) => r.id).sort(), { timeout: 20_000 }).toEqual([...alertIds].sort());
    expect(new Set((await writers()).map((r) => r.owner)).size).toBeGreaterThan(1);

    expect((await supervisor.post(`/api/v1/drills/${started.body.id}/end`, {})).status).toBe(200);
    await expect
      .poll(async () => (await Promise.all(alertIds.map(async (id) => (await supervisor.get(`/api/v1/alerts/${id}`)).body.status))).every((st) => st === 'resolved'), { timeout: 20_000 })
      .toBe(true);
  }, 120_000);
});
