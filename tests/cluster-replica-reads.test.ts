/**
 * Issue 12, docs/CLUSTER.md "Reads on any node": a standby answers the alert
 * list, one alert, the audit view and the console's files from its own copy
 * of the journal; a client never reads older than what it has seen (its
 * `X-Hub-After`, and its own writes through the same node); what the copy
 * cannot answer goes to the leader; a logout on the leader holds on the
 * standby at once; and the copy still answers while the leader is frozen.
 * Real processes on PostgreSQL and Redis, as tests/cluster-failover.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse } from './helpers/api-client.js';
import { endClient } from './helpers/cleanup.js';
import { startCluster, type ClusterProcess } from './helpers/cluster-processes.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';
import { connectDeviceOnceKnown } from './helpers/mqtt-device.js';
import { sample } from './helpers/prometheus-text.js';
import { provisionHomeThrough, type ProvisionedDevice } from './helpers/provision.js';

const LEASE_MS = 3_000;
const bed = useClusterTestbed('hub_replica_reads', LEASE_MS);
const { keep } = bed;

async function sos(node: ClusterProcess, device: ProvisionedDevice, seq: number): Promise<void> {
  const client = keep(await connectDeviceOnceKnown(node.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq, ts: Date.now() }), { qos: 1 });
  await client.endAsync();
}

const servedBy = (res: ApiResponse) => res.headers.get('x-hub-replica');
const lineOf = (res: ApiResponse) => Number(res.headers.get('x-hub-journal-n'));

/** The standby builds its app on the first read it could answer: until then the leader answers. */
async function untilServedHere(api: ApiClient, path: string): Promise<ApiResponse> {
  let last: ApiResponse | undefined;
  await expect.poll(async () => servedBy((last = await api.get(path))), { timeout: 20_000, interval: 100 }).not.toBeNull();
  return last!;
}

async function metricsOf(node: ClusterProcess): Promise<string> {
  return (await fetch(`${node.httpUrl}/metrics`)).text();
}

describe('console reads on a standby', () => {
  it('answers from its copy, never older than what the client has seen, and passes on what it cannot answer', async () => {
    const [a, b] = await startCluster(['a', 'b'], bed.options());
    const onLeader = await a!.api();
    const home = await provisionHomeThrough(onLeader);
    await sos(a!, home.devices[0]!, 1);
    let raised: ApiResponse | undefined;
    await expect.poll(async () => ((raised = await onLeader.get('/api/v1/alerts')).body.total as number), { timeout: 10_000 }).toBe(1);
    const alertId = raised!.body.alerts[0].id as string;
    const seen = lineOf(raised!);
    expect(seen).toBeGreaterThan(0);
    expect(servedBy(raised!)).toBeNull(); // the leader's own answer

    const onStandby = new ApiClient(b!.httpUrl);
    onStandby.token = onLeader.token;
    await untilServedHere(onStandby, '/api/v1/alerts');
    const health = async (node: ClusterProcess) => (await (await fetch(`${node.httpUrl}/api/v1/health`)).json()).journal as { answersReads: boolean };
    expect((await health(b!)).answersReads).toBe(true);
    expect((await health(a!)).answersReads).toBe(false); // the leader answers everything itself

    // What the client has seen on the leader is in the standby's answer, with no poll.
    const list = await onStandby.request('GET', '/api/v1/alerts', undefined, { headers: { 'x-hub-after': String(seen) } });
    expect(list.status).toBe(200);
    expect(servedBy(list)).toBe('b');
    expect(list.body.alerts.map((x: { id: string }) => x.id)).toEqual([alertId]);
    expect(lineOf(list)).toBeGreaterThanOrEqual(seen);

    // A write through the standby goes to the leader; read back at once through the standby, with no header, it is there.
    const ack = await onStandby.post(`/api/v1/alerts/${alertId}/acknowledge`);
    expect(ack.status).toBe(200);
    expect(servedBy(ack)).toBeNull();
    const again = await onStandby.get(`/api/v1/alerts/${alertId}`);
    expect(servedBy(again)).toBe('b');
    expect(again.body.status).toBe('acknowledged');
    expect(lineOf(again)).toBeGreaterThanOrEqual(lineOf(ack));

    // The audit view too; a route that needs the leader's state (the homes, with the devices' live state) goes there.
    const audit = await onStandby.get('/api/v1/audit?action=alert.');
    expect(servedBy(audit)).toBe('b');
    expect(audit.body.entries.length).toBeGreaterThan(0);
    const homes = await onStandby.get('/api/v1/homes');
    expect(homes.status).toBe(200);
    expect(servedBy(homes)).toBeNull();
    const page = await fetch(`${b!.httpUrl}/`);
    expect(page.headers.get('x-hub-replica')).toBe('b');

    // A line this copy does not reach within the wait: the leader answers. A malformed one: 400, naming the header.
    const ahead = await onStandby.request('GET', '/api/v1/alerts', undefined, { headers: { 'x-hub-after': String(seen + 1_000_000) } });
    expect(ahead.status).toBe(200);
    expect(servedBy(ahead)).toBeNull();
    const bad = await onStandby.request('GET', '/api/v1/alerts', undefined, { headers: { 'x-hub-after': '12abc' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/X-Hub-After/);

    const metrics = await metricsOf(b!);
    expect(sample(metrics, 'hub_replica_reads_total', { outcome: 'served' })).toBeGreaterThanOrEqual(4);
    expect(sample(metrics, 'hub_replica_reads_total', { outcome: 'behind' })).toBe(1);
    expect(sample(metrics, 'hub_replica_write_waits_total', { outcome: 'reached' })).toBe(1);

    // Logged out on the leader: the standby refuses the token at once.
    expect((await onLeader.post('/api/v1/auth/logout')).status).toBe(200);
    const afterLogout = await onStandby.get('/api/v1/alerts');
    expect(afterLogout.status).toBe(401);
  });

  it('answers the alert list and the console\'s start while the leader is frozen, before anyone has taken over', async () => {
    const [a, b] = await startCluster(['a', 'b'], bed.options());
    const onLeader = await a!.api();
    const home = await provisionHomeThrough(onLeader);
    await sos(a!, home.devices[0]!, 1);
    const onStandby = new ApiClient(b!.httpUrl);
    onStandby.token = onLeader.token;
    await expect.poll(async () => (await untilServedHere(onStandby, '/api/v1/alerts')).body.total, { timeout: 10_000 }).toBe(1);

    a!.proc.child.kill('SIGSTOP'); // killed (SIGKILL) after the test like every node
    const during = await onStandby.get('/api/v1/alerts');
    expect(during.status).toBe(200);
    expect(servedBy(during)).toBe('b');
    expect(during.body.total).toBe(1); // x-hub-replica: answered by b's copy as a standby, not by b leading
    // The console still loads there: its page, and who the session is.
    const me = await onStandby.get('/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(servedBy(me)).toBe('b');
    expect(me.body.user.username).toBe('admin');
    expect((await fetch(`${b!.httpUrl}/`)).headers.get('x-hub-replica')).toBe('b');
  });
});
