/**
 * The will of a connection that its device has replaced (hub/broker/
 * superseded-connections.ts): a bracelet connects again while its earlier
 * connection is still open (on the same hub, or on another cluster node).
 * The broker closes the earlier connection, and Aedes publishes its will
 * (`offline`). Taken in, it raised a `device_offline` alert for a device
 * that had just reconnected, and on a cluster it could mark the connected
 * device offline after its first message on the new node. A socket that
 * dies without anyone replacing it still has its will taken in.
 */
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { endClient, useCleanup } from './helpers/cleanup.js';
import { startClusterNodes } from './helpers/cluster-nodes.js';
import { connectDevice, waitForClose } from './helpers/mqtt-device.js';
import { sample } from './helpers/prometheus-text.js';
import { useRedisNamespace } from './helpers/redis-namespace.js';
import { startTestHub, type ProvisionedDevice, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const redis = useRedisNamespace();
/** Every hop between the nodes crosses Redis; on a loaded 2-core machine that can take seconds. */
const SLOW = 15_000;

const willOf = (device: ProvisionedDevice) => ({ topic: `hc/v1/${device.id}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true });

/** Connected with its will, and online: its first message has been taken in. */
async function connectOnline(node: TestHub, device: ProvisionedDevice, seq: number): Promise<MqttClient> {
  const client = keep(await connectDevice(node.mqttUrl, device.id, device.secret, { will: willOf(device) }), endClient);
  await client.publishAsync(`hc/v1/${device.id}/telemetry`, JSON.stringify({ hr: 72, battery: 80, seq }), { qos: 1 });
  return client;
}

const deviceView = async (node: TestHub, device: ProvisionedDevice) =>
  ((await node.api.get(`/api/v1/homes/${device.homeId}/devices`)).body.devices as { id: string; online: boolean | null }[]).find((d) => d.id === device.id);

const offlineAlerts = async (node: TestHub) =>
  ((await node.api.get('/api/v1/alerts?status=open')).body.alerts as { kind: string }[]).filter((a) => a.kind === 'device_offline');

describe('the will of a replaced connection', () => {
  it('on one hub: a bracelet that connects again while its old connection is open stays online, with no device_offline alert', async () => {
    const hub = keep(await startTestHub(), (h) => h.stop());
    const bracelet = (await hub.provisionHome({ kinds: ['bracelet'] })).devices[0]!;
    const first = await connectOnline(hub, bracelet, 1);
    expect((await deviceView(hub, bracelet))?.online).toBe(true);

    const firstClosed = waitForClose(first);
    await connectOnline(hub, bracelet, 2);
    await firstClosed;
    // Aedes unregisters the old connection right after handing its will to the hook that takes wills in.
    await waitFor(() => hub.hub.ops.deviceConnections() === 1, 'the old connection is unregistered');
    expect((await deviceView(hub, bracelet))?.online).toBe(true);
    expect(await offlineAlerts(hub)).toEqual([]);
    expect(hub.hub.broker.replaced.dropped).toBe(1);
    const metrics = await fetch(`${hub.httpUrl}/metrics`).then((r) => r.text());
    expect(sample(metrics, 'hub_mqtt_replaced_wills_dropped_total')).toBe(1);
  });

  it('on one hub: a connection whose socket dies, replaced by nobody, still has its will taken in (offline, with its alert)', async () => {
    const hub = keep(await startTestHub(), (h) => h.stop());
    const bracelet = (await hub.provisionHome({ kinds: ['bracelet'] })).devices[0]!;
    const client = await connectOnline(hub, bracelet, 1);
    client.stream.destroy(); // no DISCONNECT: the will is due
    await waitFor(async () => (await deviceView(hub, bracelet))?.online === false, 'the will marks the bracelet offline');
    expect(await offlineAlerts(hub)).toHaveLength(1);
    expect(hub.hub.broker.replaced.dropped).toBe(0);
  });

  it('on a cluster: the node that loses the connection to another node drops its will; the bracelet is not marked offline there', async () => {
    // Redis without PostgreSQL: each node runs its own pipeline, so node a would take the will in itself.
    const { nodes, fixture: bracelet } = await startClusterNodes(keep, redis, ['node-a', 'node-b'], async (first) => (await first.provisionHome({ kinds: ['bracelet'] })).devices[0]!);
    const [a, b] = [nodes[0]!, nodes[1]!];
    const onA = await connectOnline(a, bracelet, 1);
    expect((await deviceView(a, bracelet))?.online).toBe(true);

    const closedOnA = waitForClose(onA, SLOW);
    await connectOnline(b, bracelet, 2);
    await closedOnA;
    // Aedes unregisters the old connection right after handing its will to the hook that takes wills in.
    await waitFor(() => a.hub.ops.deviceConnections() === 0, 'node a unregisters the connection node b took over', SLOW);
    expect((await deviceView(a, bracelet))?.online).toBe(true);
    expect(a.hub.broker.replaced.dropped).toBe(1);
    expect(await offlineAlerts(a)).toEqual([]);
    expect(await offlineAlerts(b)).toEqual([]);
    expect(b.hub.broker.replaced.dropped).toBe(0);
  });
});
