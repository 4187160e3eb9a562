/**
 * A cluster of hub processes on one PostgreSQL database and one Redis
 * (issue 12, docs/CLUSTER.md): one node leads and runs the pipeline, the
 * others forward devices' messages and consoles' requests to it. Real
 * processes over real TCP: kill -9 must be a real kill.
 */
import { describe, expect, it } from 'vitest';
import { endClient, closeStream } from './helpers/cleanup.js';
import { firstToLead, startCluster, startClusterProcess, type ClusterProcess } from './helpers/cluster-processes.js';
import { connectRoaming as roam, provisionBracelets } from './helpers/cluster-bracelets.js';
import { CommandInbox, connectDeviceOnceKnown } from './helpers/mqtt-device.js';
import { withClient } from './helpers/pg-server.js';
import { provisionHomeThrough } from './helpers/provision.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { closeGateway, LOOPBACK_GATEWAY_ENV, WebhookGateway } from './helpers/webhook-gateway.js';

/** A short lease so failover tests do not wait 10 s more than they must. */
const LEASE_MS = 3_000;
const bed = useClusterTestbed('hub_cluster', LEASE_MS);
const { keep } = bed;
const options = bed.options;
const journalRows = () => withClient(bed.databaseUrl, async (client) => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM journal')).rows[0]!.n));

const sos = (seq: number) => JSON.stringify({ type: 'sos', seq, ts: Date.now() });

describe('a cluster on PostgreSQL and Redis', () => {
  it('an SOS from a device on node b reaches an operator streaming on node c; the acknowledgement on c brings help_coming to the device on b', async () => {
    const [a, b, c] = await startCluster(['node-a', 'node-b', 'node-c'], options());
    expect(a!.proc.stdout()).toMatch(/leads the cluster/);
    const apiC = await c!.api();
    const { homeId, devices } = await provisionHomeThrough(apiC);
    const bracelet = devices[0]!;
    const stream = keep(await StreamClient.open(c!.httpUrl, `token=${apiC.token}`), closeStream);

    const onB = keep(await connectDeviceOnceKnown(b!.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const inbox = await CommandInbox.open(onB, bracelet.id);
    await onB.publishAsync(`hc/v1/${bracelet.id}/event`, sos(1), { qos: 1 });

    const raised = await stream.next((m) => m.type === 'alert.raised' && m.alert.homeId === homeId, 15_000);
    const acked = await apiC.post(`/api/v1/alerts/${raised.alert.id}/acknowledge`, {});
    expect(acked.status).toBe(200);
    const help = await inbox.next((cmd) => cmd.cmd === 'help_coming', 15_000);
    expect(help).toMatchObject({ cmd: 'help_coming', alertId: raised.alert.id });
    // One alert, raised once: the forwarded alarm was not doubled on its way to the leader.
    const alert = (await apiC.get(`/api/v1/alerts/${raised.alert.id}`)).body;
    expect(alert.occurrences).toBe(1);

    // Each standby follows the journal: its /health shows the leader's last line once it has read it.
    const lastN = async (node: ClusterProcess) => ((await (await fetch(`${node.httpUrl}/api/v1/health`)).json()) as { journal: { lastN: number } }).journal.lastN;
    const leaderLastN = await lastN(a!);
    expect(leaderLastN).toBeGreaterThan(0);
    await expect.poll(() => lastN(b!), { timeout: 15_000 }).toBeGreaterThanOrEqual(leaderLastN);
    await expect.poll(() => lastN(c!), { timeout: 15_000 }).toBeGreaterThanOrEqual(leaderLastN);
  });

  it('after kill -9 of the leader, a standby takes over within 15 s; of 100 alarms sent around the kill none is lost or doubled; escalation still fires on time', async () => {
    const nodes = await startCluster(['node-a', 'node-b', 'node-c'], options());
    const [leader, ...standbys] = nodes;
    const api = await standbys[0]!.api(); // through a standby: writes pass to the leader, alert reads are answered from the standby's copy
    const bracelets = await provisionBracelets(api, 100);
    const clients = await Promise.all(bracelets.map((d, i) => roam(keep, nodes, i, d)));

    // The first alarm, before the kill: its 60 s "overdue" must still come on time from the new leader.
    await clients[0]!.publishAsync(`hc/v1/${bracelets[0]!.id}/event`, sos(1), { qos: 1 });
    // Read through a standby, which answers from its own copy of the journal: the PUBACK says the
    // alarm is durable, not that this standby has read its line yet (the client has no line to wait for).
    let first: { id: string; raisedAt: string } | undefined;
    await expect
      .poll(async () => (first = (await api.get('/api/v1/alerts?status=open')).body.alerts.find((x: { homeId: string }) => x.homeId === bracelets[0]!.homeId)), { timeout: 15_000 })
      .toBeDefined();

    // Half the alarms, then kill -9 of the leader while the other half are in flight.
    const sent = (from: number, to: number) => Promise.all(clients.slice(from, to).map((client, i) => client.publishAsync(`hc/v1/${bracelets[from + i]!.id}/event`, sos(1), { qos: 1 })));
    await sent(1, 50);
    const killedAt = Date.now();
    leader!.proc.child.kill('SIGKILL');
    const inFlight = sent(50, 100);
    const next = await firstToLead(standbys);
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThan(15_000);
    await inFlight; // every PUBACK came: each alarm is durable somewhere
    // It had followed the journal while standing by: once it had the lock it replayed only the lines after its last read.
    const [, followed, afterLock] = next.proc.stdout().match(/leads the cluster: pipeline running \(journal: (\d+) lines followed as a standby, (\d+) replayed after the lock/)!;
    // At least the first alarm's alert, which the API showed before the kill, and the provisioning's audit line.
    expect(Number(followed)).toBeGreaterThanOrEqual(2);
    expect(Number(afterLock), `${followed} lines followed, ${afterLock} after the lock`).toBeLessThan(Number(followed));

    // The console's login from before the kill is still valid: sessions live in PostgreSQL.
    // (A front learns the new leader within a second: until then it answers 502 or 503.)
    await expect.poll(async () => (await api.get('/api/v1/alerts?status=open')).status, { timeout: 15_000 }).toBe(200);
    const nextApi = await next.api();
    await expect
      .poll(async () => ((await nextApi.get('/api/v1/alerts?status=open&limit=500')).body.alerts as unknown[]).length, { timeout: 30_000 })
      .toBe(100);
    const open = (await nextApi.get('/api/v1/alerts?status=open&limit=500')).body.alerts as { homeId: string; occurrences: number }[];
    expect(new Set(open.map((x) => x.homeId)).size).toBe(100);
    expect(open.filter((x) => x.occurrences !== 1)).toEqual([]);

    // The first alert turns overdue 60 s after it was raised (±15 s), though the node that raised it is gone.
    const raisedAt = Date.parse(first!.raisedAt);
    await expect
      .poll(async () => (await nextApi.get(`/api/v1/alerts/${first!.id}`)).body.flags?.overdue === true, { timeout: 90_000, interval: 500 })
      .toBe(true);
    expect(Math.abs(Date.now() - (raisedAt + 60_000))).toBeLessThan(15_000);
    // By now (over 45 s after the kill) the survivors have published the dead node's stored wills
    // (Aedes: after three missed heartbeats). Its devices reconnected elsewhere: no "offline" alert.
    const offline = ((await nextApi.get('/api/v1/alerts?status=open&limit=500')).body.alerts as { kind: string }[]).filter((x) => x.kind === 'device_offline');
    expect(offline).toEqual([]);
  }, 180_000);

  it('a leader frozen with SIGSTOP loses the lead to a standby within the lease; resumed, it writes nothing more and exits with one line', async () => {
    const [a, b] = await startCluster(['node-a', 'node-b'], options());
    const api = await a!.api();
    const { devices } = await provisionHomeThrough(api);
    const frozenAt = Date.now();
    a!.proc.child.kill('SIGSTOP');
    await b!.leading;
    expect(Date.now() - frozenAt).toBeLessThan(LEASE_MS + 15_000);
    a!.proc.child.kill('SIGCONT');
    expect(await a!.proc.exited).toBe(70);
    expect(a!.proc.stderr()).toMatch(/LEADERSHIP LOST|leadership lost/);
    // The new leader took every partition's lease under a newer epoch: the fence of any batch node-a still had.
    const leases = await withClient(bed.databaseUrl, async (client) => (await client.query<{ owner: string; epoch: string }>('SELECT DISTINCT owner, epoch FROM partition_lease')).rows);
    expect(leases).toEqual([{ owner: 'node-b', epoch: '2' }]);
    const health = (await (await fetch(`${b!.httpUrl}/api/v1/health`)).json()) as { partitions: { total: number; owned: number[]; all: boolean } };
    expect(health.partitions).toMatchObject({ total: 256, all: true });
    // Nothing of the old leader's landed after it was frozen: its pipeline heartbeat (a journal line
    // every 10 s, with its node id) would be the first to try. The new leader's heartbeats do land.
    const heartbeatsOf = (node: string) =>
      withClient(bed.databaseUrl, async (client) => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM journal WHERE type = 'pipeline.heartbeat' AND data->>'nodeId' = $1 AND at > to_timestamp($2 / 1000.0)`, [node, frozenAt])).rows[0]!.n));
    expect(await heartbeatsOf('node-a')).toBe(0);
    await expect.poll(() => heartbeatsOf('node-b'), { timeout: 30_000 }).toBeGreaterThan(0);
    // And it takes alarms.
    const before = await journalRows();
    const device = keep(await connectDeviceOnceKnown(b!.mqttUrl, devices[0]!.id, devices[0]!.secret), endClient);
    await device.publishAsync(`hc/v1/${devices[0]!.id}/event`, sos(7), { qos: 1 });
    expect(await journalRows()).toBeGreaterThan(before);
  }, 120_000);

  it('a webhook delivery pending when the leader is killed is sent by the next leader, from the queue in PostgreSQL, and by no one else', async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    gateway.reply = (_req, index) => (index === 0 ? 503 : 200); // the first attempt fails: the delivery waits for its retry
    const withGateway = { ...options(), env: { ...options().env, ...LOOPBACK_GATEWAY_ENV } };
    const [a, b] = await startCluster(['node-a', 'node-b'], withGateway);
    const api = await a!.api();
    expect((await api.post('/api/v1/notifications/webhooks', { name: 'SMS gateway', url: gateway.url, secret: 'an-organisation-secret-1234' })).status).toBe(201);
    const { devices } = await provisionHomeThrough(api);
    const device = keep(await connectDeviceOnceKnown(b!.mqttUrl, devices[0]!.id, devices[0]!.secret), endClient);
    await device.publishAsync(`hc/v1/${devices[0]!.id}/event`, sos(1), { qos: 1 });
    const [first] = await gateway.waitFor(1, (r) => r.body?.event === 'alert.raised', 15_000);

    a!.proc.child.kill('SIGKILL');
    await b!.leading;
    const [, retried] = await gateway.waitFor(2, (r) => r.body?.event === 'alert.raised', 30_000);
    expect(retried!.body.alert.id).toBe(first!.body.alert.id);
    const deliveries = (await (await b!.api()).get('/api/v1/notifications/deliveries')).body.deliveries as { status: string; attempts: unknown[] }[];
    expect(deliveries.filter((d) => d.status === 'sent')).toHaveLength(1);
    expect(gateway.requests.filter((r) => r.body?.event === 'alert.raised')).toHaveLength(2);
  }, 120_000);

  it('a leader stopped with SIGTERM stops cleanly (exit 0) and the standby leads; a standby stopped with SIGTERM stops without ever leading', async () => {
    const [a, b] = await startCluster(['node-a', 'node-b'], options());
    const c = await startClusterProcess('node-c', options());
    c.proc.child.kill('SIGTERM');
    const cExit = await c.proc.exited;
    expect({ code: cExit, signal: c.proc.child.signalCode }).toEqual({ code: 0, signal: null });
    expect(c.proc.stdout()).not.toMatch(/leads the cluster/);
    a!.proc.child.kill('SIGTERM');
    expect(await a!.proc.exited).toBe(0);
    await b!.leading;
    const api = await b!.api();
    expect((await api.get('/api/v1/alerts')).status).toBe(200);
  }, 120_000);

  it('a standby that loses PostgreSQL says so on /health and acknowledges no alarm until the database is back; then the alarm reaches the leader', async () => {
    const [a] = await startCluster(['node-a'], options());
    const link = keep(await startTcpProxy(5432), (p) => p.close());
    const throughProxy = bed.databaseUrl.replace('127.0.0.1:5432', `127.0.0.1:${link.port}`);
    const b = await startClusterProcess('node-b', { ...options(), databaseUrl: throughProxy });
    const api = await a!.api();
    const { homeId, devices } = await provisionHomeThrough(api);
    const bracelet = devices[0]!;
    const device = keep(await connectDeviceOnceKnown(b.mqttUrl, bracelet.id, bracelet.secret, { reconnectPeriod: 1_000 }), endClient);

    await link.cut();
    const healthOfB = async () => {
      const res = await fetch(`${b.httpUrl}/api/v1/health`);
      return { status: res.status, body: (await res.json()) as { reason?: string; database?: { state: string } } };
    };
    await expect.poll(async () => (await healthOfB()).status, { timeout: 15_000 }).toBe(503);
    expect((await healthOfB()).body).toMatchObject({ database: { state: 'failing' }, reason: expect.stringMatching(/unreachable|database does not answer/) });

    let acked = false;
    const puback = device.publishAsync(`hc/v1/${bracelet.id}/event`, sos(1), { qos: 1 }).then(() => (acked = true));
    // A bounded look for something that must not happen: three seconds without a PUBACK while the link is cut.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(acked).toBe(false);
    expect(((await api.get('/api/v1/alerts?status=open')).body.alerts as unknown[]).length).toBe(0);

    await link.restore();
    await puback; // mqtt.js sends it again after its reconnect; stored this time
    await expect.poll(async () => ((await api.get('/api/v1/alerts?status=open')).body.alerts as { homeId: string }[]).map((x) => x.homeId), { timeout: 15_000 }).toEqual([homeId]);
    await expect.poll(async () => (await healthOfB()).status, { timeout: 15_000 }).toBe(200);
  }, 120_000);

  it('a second node started alone on the database stands by without writing, and serves its own /health', async () => {
    const [a] = await startCluster(['node-a'], options());
    const b = await startClusterProcess('node-b', options());
    const health = await fetch(`${b.httpUrl}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ node: { id: 'node-b' }, role: 'standby', leader: { nodeId: 'node-a' }, partitions: { owned: [] } });
    // Its own /metrics too (from loopback, no token set), not the leader's.
    const metrics = await (await fetch(`${b.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^hub_leader\{node="node-b"\} 0$/m);
    expect(metrics).toMatch(/^hub_partitions_owned\{node="node-b"\} 0$/m);
    expect(await (await fetch(`${a!.httpUrl}/metrics`)).text()).toMatch(/^hub_leader\{node="node-a"\} 1$/m);
    expect(a!.proc.stdout()).toMatch(/leads the cluster/);
    expect(b.proc.stdout()).not.toMatch(/leads the cluster/);
    // The leader checkpoints its rule state for whoever takes over (every 5 s).
    const checkpoints = () => withClient(bed.databaseUrl, async (client) => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM rules_snapshot')).rows[0]!.n));
    await expect.poll(checkpoints, { timeout: 20_000 }).toBe(1);
  });
});
