/**
 * A cluster node that loses Redis or PostgreSQL (issue 12 item 6: "stops
 * acknowledging alarms (no PUBACK) and says so in /health"; docs/CLUSTER.md
 * "When a node loses Redis or PostgreSQL"). Real hub processes on a fresh
 * database and their own Redis prefix; one node's link to Redis or
 * PostgreSQL runs through a TCP proxy the test cuts, while the other nodes
 * keep theirs.
 *
 * Where a PUBACK must NOT come, the test waits for the event that settles it
 * instead of a time: the node closing the device's connection, or the node
 * exiting. In the Redis tests a device "reconnecting through the load
 * balancer" is a new connection to another node that sends the same alarm
 * again (same seq and ts), as a bracelet does after a reconnect, so the test
 * can first show the alarm stored before any repeat; in the PostgreSQL test
 * mqtt.js moves to the next server and resends by itself.
 */
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { endClient } from './helpers/cleanup.js';
import { startClusterProcess, type ClusterProcess } from './helpers/cluster-processes.js';
import { connectDeviceOnceKnown } from './helpers/mqtt-device.js';
import { withClient } from './helpers/pg-server.js';
import { provisionHomeThrough, type ProvisionedDevice } from './helpers/provision.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import type { ApiClient } from './helpers/api-client.js';

/** Short, so a leader cut off from the database is replaced quickly; long enough to read its /health first. */
const LEASE_MS = 4_000;
const bed = useClusterTestbed('hub_loss', LEASE_MS);
const { keep, redis } = bed;
const options = bed.options;

/** A link to a real server (Redis or PostgreSQL) through a proxy the test can cut, and the URL that uses it. */
async function linkTo(url: string): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(url);
  const proxy = keep(await startTcpProxy(Number(target.port)), (p) => p.close());
  target.port = String(proxy.port);
  return { proxy, url: target.toString() };
}

interface Health {
  status: number;
  body: { ok: boolean; reason?: string; role: string; redis: { state: string }; database: { state: string } };
}
async function healthOf(node: ClusterProcess): Promise<Health> {
  const res = await fetch(`${node.httpUrl}/api/v1/health`);
  return { status: res.status, body: (await res.json()) as Health['body'] };
}
const statusOf = async (node: ClusterProcess) => (await healthOf(node)).status;

const alarm = (seq: number, ts: number) => JSON.stringify({ type: 'sos', seq, ts });

/**
 * Publishes an alarm (QoS 1) on a connection that will not reconnect by
 * itself, and says how the node answered first: with the PUBACK, or by
 * closing the connection without one.
 */
function firstAnswer(client: MqttClient, device: ProvisionedDevice, payload: string): Promise<'puback' | 'closed without puback'> {
  return new Promise((resolve) => {
    client.once('close', () => resolve('closed without puback'));
    client.publishAsync(`hc/v1/${device.id}/event`, payload, { qos: 1 }).then(
      () => resolve('puback'),
      () => resolve('closed without puback'),
    );
  });
}

/** The same alarm again from a new connection to `node`: resolves on its PUBACK. */
async function resend(node: ClusterProcess, device: ProvisionedDevice, payload: string): Promise<void> {
  const client = keep(await connectDeviceOnceKnown(node.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, payload, { qos: 1 });
}

async function alertsOf(api: ApiClient, homeId: string): Promise<{ occurrences: number }[]> {
  const res = await api.get('/api/v1/alerts?limit=500');
  return (res.body.alerts as { homeId: string; occurrences: number }[]).filter((x) => x.homeId === homeId);
}
const sql = (text: string, values: unknown[] = []) => withClient(bed.databaseUrl, async (client) => Number((await client.query<{ n: string }>(text, values)).rows[0]!.n));
/** How often the journal recorded this device's messages (its unique message keys): 1 means once. */
const journaledMessagesOf = (deviceId: string) => sql('SELECT count(*) AS n FROM device_messages WHERE device_id = $1', [deviceId]);
/** Alarms stored by standbys that the leader has not taken in yet. */
const inboundWaiting = () => sql('SELECT count(*) AS n FROM inbound_alarm');

/**
 * Two nodes, node-a leading; the Redis link of the one in `role` runs through a proxy. Two homes
 * with a bracelet each; the first bracelet connects to that node, whose link is then cut: its
 * /health must turn 503 with the reason while the other node's stays 200.
 */
async function nodeLosingRedis(role: 'leader' | 'standby') {
  const link = await linkTo(redis.url);
  const throughLink = (mine: 'leader' | 'standby') => (mine === role ? options({ HUB_REDIS_URL: link.url }) : options());
  const leader = await startClusterProcess('node-a', throughLink('leader'));
  await leader.leading;
  const standby = await startClusterProcess('node-b', throughLink('standby'));
  const [cutOff, other] = role === 'leader' ? [leader, standby] : [standby, leader];
  const api = await leader.api();
  const first = await provisionHomeThrough(api);
  const second = await provisionHomeThrough(api);
  const bracelet = first.devices[0]!;
  const device = keep(await connectDeviceOnceKnown(cutOff.mqttUrl, bracelet.id, bracelet.secret), endClient);

  await link.proxy.cut();
  await expect.poll(() => statusOf(cutOff), { timeout: 15_000 }).toBe(503);
  const { body } = await healthOf(cutOff);
  expect(body).toMatchObject({ ok: false, role, redis: { state: 'unreachable' }, database: { state: 'ok' }, reason: expect.stringMatching(/^Redis does not answer/) });
  expect(body.reason).not.toMatch(/\n/);
  expect(await statusOf(other)).toBe(200); // its own Redis link is fine
  return { link, cutOff, other, api, first, second, bracelet, device };
}

/** The link back: the node answers 200 again and acknowledges a new alarm (of the second home). */
async function acknowledgesAgain({ link, cutOff, api, second }: Awaited<ReturnType<typeof nodeLosingRedis>>): Promise<void> {
  await link.proxy.restore();
  await expect.poll(() => statusOf(cutOff), { timeout: 15_000 }).toBe(200);
  expect((await healthOf(cutOff)).body.redis).toEqual({ state: 'connected' });
  await resend(cutOff, second.devices[0]!, alarm(1, Date.now()));
  await expect.poll(async () => (await alertsOf(api, second.homeId)).length, { timeout: 15_000 }).toBe(1);
  expect(cutOff.proc.stderr()).toMatch(/REDIS LOST/);
  expect(cutOff.proc.stderr()).toMatch(/Redis answers again/);
}

describe('a cluster node that loses Redis', () => {
  it('a standby stores the alarm (the operator sees it) but withholds its PUBACK and says so on /health; the resend through the leader is acked, not doubled; with Redis back it acknowledges again', async () => {
    const loss = await nodeLosingRedis('standby');
    const { api, first, bracelet } = loss;
    const sos = alarm(1, Date.now());
    expect(await firstAnswer(loss.device, bracelet, sos)).toBe('closed without puback');
    // Stored before the PUBACK was withheld: the leader took it from inbound_alarm, nobody else had it.
    await expect.poll(async () => (await alertsOf(api, first.homeId)).length, { timeout: 15_000 }).toBe(1);

    // The bracelet reconnects through the load balancer to a node that answers (the leader), and sends it again.
    await resend(loss.other, bracelet, sos);
    expect(await alertsOf(api, first.homeId)).toMatchObject([{ occurrences: 1 }]);
    expect(await journaledMessagesOf(bracelet.id)).toBe(1);
    await acknowledgesAgain(loss);
  }, 120_000);

  it('the leader journals the alarm (the operator sees it) but withholds its PUBACK and says so on /health; the resend through a standby is acked, not doubled; with Redis back it acknowledges again', async () => {
    const loss = await nodeLosingRedis('leader');
    const { api, first, bracelet } = loss;
    const sos = alarm(1, Date.now());
    expect(await firstAnswer(loss.device, bracelet, sos)).toBe('closed without puback');
    // Journaled before the PUBACK was withheld: the operator is not kept waiting.
    expect(await journaledMessagesOf(bracelet.id)).toBe(1);
    expect(await alertsOf(api, first.homeId)).toHaveLength(1);

    // The bracelet reconnects through the load balancer to the standby and sends it again: stored, acked,
    // and the leader drops it as a repeat by its message key.
    await resend(loss.other, bracelet, sos);
    await expect.poll(inboundWaiting, { timeout: 15_000 }).toBe(0);
    expect(await alertsOf(api, first.homeId)).toMatchObject([{ occurrences: 1 }]);
    expect(await journaledMessagesOf(bracelet.id)).toBe(1);
    await acknowledgesAgain(loss);
  }, 120_000);
});

describe('a leader that loses PostgreSQL', () => {
  it('acknowledges no alarm and says so on /health, then loses its leadership and exits 70 with one line; a standby leads, and the alarm the device sends again through it is raised once', async () => {
    const link = await linkTo(bed.databaseUrl);
    const a = await startClusterProcess('node-a', { ...options(), databaseUrl: link.url });
    await a.leading;
    const b = await startClusterProcess('node-b', options());
    const api = await b.api(); // through the standby: its session lives in PostgreSQL and outlives the leader
    const { homeId, devices } = await provisionHomeThrough(api);
    const bracelet = devices[0]!;
    // Behind a load balancer: when its node goes, the bracelet reconnects to the next one and sends what was not acked again.
    const servers = [a, b].map((n) => ({ host: '127.0.0.1', port: n.proc.mqttPort }));
    const device = keep(await connectDeviceOnceKnown(a.mqttUrl, bracelet.id, bracelet.secret, { servers, reconnectPeriod: 100 }), endClient);

    // Packets dropped both ways, nothing reset: only the leader's own timers can tell.
    link.proxy.blackhole();
    let acked = false;
    const puback = device.publishAsync(`hc/v1/${bracelet.id}/event`, alarm(1, Date.now()), { qos: 1 }).then(() => (acked = true));
    let seen: Health | undefined;
    await expect.poll(async () => (seen = await healthOf(a)).status, { timeout: LEASE_MS, interval: 100 }).toBe(503);
    expect(seen!.body).toMatchObject({ ok: false, role: 'leader', database: { state: 'failing' }, reason: expect.stringMatching(/^journal cannot make lines durable: .* has not answered/) });

    expect(await a.proc.exited).toBe(70);
    expect(acked).toBe(false); // nothing was acknowledged by the node that could not store it
    const fatal = a.proc.stderr().split('\n').filter((line) => line.includes('"level":60'));
    expect(fatal, a.proc.stderr()).toHaveLength(1);
    expect(fatal[0]).toMatch(/LEADERSHIP LOST: .*did not answer within the lease/);

    await b.leading;
    await puback; // sent again to node b once node a was gone, and acked there
    await expect.poll(async () => (await alertsOf(api, homeId)).length, { timeout: 15_000 }).toBe(1);
    expect(await alertsOf(api, homeId)).toMatchObject([{ occurrences: 1 }]);
    expect(await journaledMessagesOf(bracelet.id)).toBe(1);
  }, 120_000);
});
