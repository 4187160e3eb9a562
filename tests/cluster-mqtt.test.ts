/**
 * MQTT across the nodes of a cluster (issue 12 item 1), with real Redis and
 * two real hubs over TCP: a device's commands (help_coming, configure)
 * reach it on whichever node it is connected to, and its PUBACK and cmd_ack
 * reach the node that queued the command; a device that reconnects to another node takes its session over
 * and its old connection is closed; a revoked device is cut off everywhere.
 */
import mqtt, { type IConnackPacket, type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../hub/config/config.js';
import { createLogger } from '../hub/core/logger.js';
import { endClient, useCleanup } from './helpers/cleanup.js';
import { startClusterNodes } from './helpers/cluster-nodes.js';
import { CommandInbox, connectDevice, waitForClose } from './helpers/mqtt-device.js';
import { logSink } from './helpers/log-sink.js';
import { useRedisNamespace } from './helpers/redis-namespace.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { startTestHub, type ProvisionedDevice, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
/** Every hop here crosses Redis; on a loaded 2-core machine that can take seconds, not milliseconds. */
const SLOW = { timeout: 15_000 };
const redis = useRedisNamespace();

/** Nodes a and b, and a live home with one bracelet provisioned on a. */
async function twoNodes() {
  const { nodes, fixture } = await startClusterNodes(keep, redis, ['node-a', 'node-b'], async (first) => (await first.provisionHome({ kinds: ['bracelet'] })).devices[0]!);
  return { a: nodes[0]!, b: nodes[1]!, bracelet: fixture };
}

async function connect(node: TestHub, device: ProvisionedDevice, clean = true): Promise<MqttClient> {
  return keep(await connectDevice(node.mqttUrl, device.id, device.secret, { clean }), endClient);
}

const commandStates = async (node: TestHub, alertId: string) =>
  (((await node.api.get(`/api/v1/alerts/${alertId}`)).body.commands ?? []) as { command: string; state: string }[]).map((c) => `${c.command}:${c.state}`);

describe('a cluster of hub nodes sharing Redis', () => {
  it('delivers help_coming acknowledged on node b to the bracelet now connected to node a, and b sees its PUBACK and cmd_ack', async () => {
    const { a, b, bracelet } = await twoNodes();

    // The SOS is raised through node b: the alert lives there.
    const onB = await connect(b, bracelet);
    await onB.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    const alert = (await b.api.get('/api/v1/alerts?status=open')).body.alerts.find((x: { homeId: string }) => x.homeId === bracelet.homeId);
    expect(alert).toBeDefined();

    // The bracelet reconnects through node a: node b closes its old connection.
    const closedOnB = waitForClose(onB, SLOW.timeout);
    const onA = await connect(a, bracelet);
    await closedOnB;
    const inbox = await CommandInbox.open(onA, bracelet.id);
    await waitFor(() => b.hub.outbox.reachable(bracelet.id), 'node b learns the bracelet is subscribed on node a');

    const acked = await b.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {});
    expect(acked.status).toBe(200);
    const cmdId = acked.body.commands[0].cmdId as string;
    expect(await inbox.next((c) => c.cmd === 'help_coming', SLOW.timeout)).toEqual({ cmd: 'help_coming', cmdId, alertId: alert.id });
    await expect.poll(() => commandStates(b, alert.id), SLOW).toEqual(['help_coming:delivered']);

    await inbox.confirm(cmdId, 2); // ingested on node a, confirmed on node b
    await expect.poll(() => commandStates(b, alert.id), SLOW).toEqual(['help_coming:confirmed']);
    // Node a knew nothing of that command, and raised nothing for the bracelet.
    expect(a.hub.outbox.get(cmdId)).toBeUndefined();
    expect((await a.api.get('/api/v1/alerts?status=open')).body.alerts).toEqual([]);
  });

  it('moves a persistent session from node a to node b: the old connection is closed, the session and its subscription are found', async () => {
    const { a, b, bracelet } = await twoNodes();
    const onA = await connect(a, bracelet, false);
    await onA.subscribeAsync(`hc/v1/${bracelet.id}/cmd`, { qos: 1 });
    expect(a.hub.ops.deviceConnections()).toBe(1);

    const closedOnA = waitForClose(onA, SLOW.timeout);
    const onB = keep(mqtt.connect(b.mqttUrl, { clientId: bracelet.id, username: bracelet.id, password: bracelet.secret, clean: false, reconnectPeriod: 0 }), endClient);
    const connack = await new Promise<IConnackPacket>((resolve, reject) => onB.once('connect', resolve).once('error', reject));
    await closedOnA;
    await waitFor(() => a.hub.ops.deviceConnections() === 0, 'node a drops the taken-over connection');
    expect(b.hub.ops.deviceConnections()).toBe(1);
    // The CONNACK's session-present flag: node b found the session node a stored in Redis.
    expect(connack.sessionPresent).toBe(true);

    // Without subscribing again on b, a command published on node a reaches it there (the session's subscription).
    const received = new Promise<string>((resolve) => onB.on('message', (_t, payload) => resolve(payload.toString())));
    const command = { cmd: 'silence', cmdId: 'cmd-test-1' } as const;
    await a.hub.broker.sendCommand(bracelet.id, command);
    expect(JSON.parse(await received)).toEqual(command);
    expect((await redis.keys()).length).toBeGreaterThan(0); // the session lives in Redis, under this test's prefix
  });

  it('sends a configure queued on node b to the device on node a, and stores the interval on b once the device confirms it there', async () => {
    const { a, b, bracelet } = await twoNodes();
    const inbox = await CommandInbox.open(await connect(a, bracelet), bracelet.id);
    await waitFor(() => b.hub.outbox.reachable(bracelet.id), 'node b learns the bracelet is subscribed on node a', SLOW.timeout);

    const queued = await b.api.post(`/api/v1/devices/${bracelet.id}/configure`, { heartbeatSec: 120 });
    expect(queued.status).toBe(202);
    const cmdId = queued.body.cmdId as string;
    expect(await inbox.next((c) => c.cmdId === cmdId, SLOW.timeout)).toEqual({ cmd: 'configure', cmdId, heartbeatSec: 120 });
    await inbox.confirm(cmdId, 1);
    await expect.poll(async () => (await b.api.get(`/api/v1/devices/${bracelet.id}`)).body.heartbeatSec, SLOW).toBe(120);
  });

  it("shows each node's peers and Redis on /health and /metrics", async () => {
    const { a, b } = await twoNodes();
    const health = async (node: TestHub) => (await node.api.get('/api/v1/health')).body as { node: { id: string }; redis: { state: string }; peers: { nodeId: string }[] };
    // Aedes' heartbeats (every 5 s in a cluster) tell each node of the other.
    await expect.poll(async () => (await health(a)).peers.map((p) => p.nodeId), SLOW).toEqual(['node-b']);
    await expect.poll(async () => (await health(b)).peers.map((p) => p.nodeId), SLOW).toEqual(['node-a']);
    expect(await health(a)).toMatchObject({ node: { id: 'node-a' }, redis: { state: 'connected' } });
    const metrics = await fetch(`${a.httpUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^hub_peers_seen\{node="node-a"\} 1$/m);
  });

  it('cuts a revoked device off on the node it is connected to, not only on the node that revoked it', async () => {
    const { a, b, bracelet } = await twoNodes();
    const onA = await connect(a, bracelet);
    const closed = waitForClose(onA, SLOW.timeout);
    const revoked = await b.api.post(`/api/v1/devices/${bracelet.id}/revoke`, { reason: 'bracelet lost' });
    expect(revoked.status).toBe(200);
    await closed;
    await waitFor(() => a.hub.ops.deviceConnections() === 0, 'node a closes the revoked device');
  });

  it('survives losing Redis: errors are logged, devices already connected keep their connection, and the hub stops promptly', async () => {
    const proxy = await startTcpProxy(Number(new URL(redis.url).port || 6379));
    const sink = logSink();
    const node = keep(
      await startTestHub({
        env: { HUB_REDIS_URL: `redis://127.0.0.1:${proxy.port}/0`, HUB_REDIS_PREFIX: redis.prefix, HUB_NODE_ID: 'node-cut', HUB_LOG_LEVEL: 'info' },
        log: createLogger('info', sink.stream),
      }),
      (h) => h.stop(),
    );
    const { devices } = await node.provisionHome({ kinds: ['bracelet'] });
    const device = await connect(node, devices[0]!);
    await proxy.cut();
    await waitFor(() => sink.lines.some((l) => l.msg === 'redis connection error'), 'the lost Redis logged', SLOW.timeout);
    await expect.poll(async () => (await node.api.get('/api/v1/health')).body.redis, SLOW).toEqual({ state: 'unreachable' });
    expect(sink.lines.map((l) => JSON.stringify(l)).join('\n')).not.toMatch(/"level":60/);
    expect(device.connected).toBe(true);
    const started = Date.now();
    await node.hub.stop();
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a malformed HUB_REDIS_URL with one line that never shows its password', () => {
    expect(() => loadConfig({ env: { HUB_REDIS_URL: 'http://:s3cret-pass@127.0.0.1:6379' } })).toThrow(/HUB_REDIS_URL must be a redis:\/\/ .*\(got "\*\*\*"\)/);
    expect(() => loadConfig({ env: { HUB_REDIS_URL: 'http://:s3cret-pass@127.0.0.1:6379' } })).not.toThrow(/s3cret/);
  });
});
