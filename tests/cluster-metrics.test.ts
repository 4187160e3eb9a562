/**
 * /metrics on the nodes of a cluster (issue 12 item 6; docs/DEPLOY.md
 * "Monitoring"): every node serves the issue's list — connections, messages
 * by channel, the alarm PUBACK histogram, rule lag, partitions owned, webhook
 * queue depth — and the cluster's own series move with real traffic: alarms
 * a standby stored for the leader and the leader drained, telemetry, status
 * and connections over Redis both ways, the hand-off time, the leader's
 * inbound_alarm backlog, and leader changes after kill -9. Real processes.
 */
import { describe, expect, it } from 'vitest';
import { endClient } from './helpers/cleanup.js';
import { startCluster } from './helpers/cluster-processes.js';
import { connectDeviceOnceKnown } from './helpers/mqtt-device.js';
import { sample } from './helpers/prometheus-text.js';
import { provisionHomeThrough } from './helpers/provision.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';

const bed = useClusterTestbed('hub_cluster_metrics', 3_000);
const { keep } = bed;
const options = bed.options;


/** /metrics from loopback (no token set): the node's own answer, never the leader's. */
const scrape = async (httpUrl: string): Promise<string> => {
  const res = await fetch(`${httpUrl}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};

/** The issue's list, present on every node whatever its role. */
const ISSUE_SERIES = ['hub_mqtt_connections', 'hub_device_messages_total', 'hub_alarm_puback_seconds_count', 'hub_rule_lag_seconds', 'hub_partitions_owned', 'hub_webhook_queue_depth'];

describe('/metrics on a leader and a standby', () => {
  it('counts what the standby forwarded and the leader took in, the hand-off time and the backlog; a new leader is counted', async () => {
    const [a, b] = await startCluster(['node-a', 'node-b'], options());
    const api = await a!.api();
    const { homeId, devices } = await provisionHomeThrough(api);
    const d = devices[0]!;

    // A device on the standby: a status, two readings, one alarm (PUBACK once it is stored in inbound_alarm).
    const device = keep(await connectDeviceOnceKnown(b!.mqttUrl, d.id, d.secret), endClient);
    await device.publishAsync(`hc/v1/${d.id}/status`, 'online', { qos: 1 });
    await device.publishAsync(`hc/v1/${d.id}/telemetry`, JSON.stringify({ heartRate: 71 }), { qos: 1 });
    await device.publishAsync(`hc/v1/${d.id}/telemetry`, JSON.stringify({ heartRate: 72 }), { qos: 1 });
    await device.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1, ts: Date.now() }), { qos: 1 });
    await expect.poll(async () => ((await api.get('/api/v1/alerts?status=open')).body.alerts as { homeId: string }[]).map((x) => x.homeId), { timeout: 15_000 }).toEqual([homeId]);

    const standby = { node: 'node-b' };
    const onB = await scrape(b!.httpUrl);
    for (const name of ISSUE_SERIES) expect(sample(onB, name, standby), `${name} on the standby`).toBeDefined();
    expect(sample(onB, 'hub_leader', standby)).toBe(0);
    expect(sample(onB, 'hub_mqtt_connections', standby)).toBe(1);
    expect(sample(onB, 'hub_device_messages_total', { ...standby, channel: 'event' })).toBe(1);
    expect(sample(onB, 'hub_device_messages_total', { ...standby, channel: 'telemetry' })).toBe(2);
    // The standby's PUBACK waited for the alarm's row in PostgreSQL: timed there.
    expect(sample(onB, 'hub_alarm_puback_seconds_count', standby)).toBe(1);
    expect(sample(onB, 'hub_cluster_alarms_forwarded_total', { ...standby, outcome: 'stored' })).toBe(1);
    expect(sample(onB, 'hub_cluster_alarms_forwarded_total', { ...standby, outcome: 'failed' })).toBe(0);
    expect(sample(onB, 'hub_cluster_uplink_sent_total', { ...standby, kind: 'telemetry' })).toBe(2);
    expect(sample(onB, 'hub_cluster_uplink_sent_total', { ...standby, kind: 'status' })).toBe(1);
    expect(sample(onB, 'hub_cluster_uplink_sent_total', { ...standby, kind: 'connection' })).toBe(1);
    expect(sample(onB, 'hub_cluster_uplink_send_failed_total', standby)).toBe(0);
    // Each of the 4 went in its own turn (the device waited for each PUBACK): at most one entry each.
    expect(sample(onB, 'hub_cluster_uplink_entries_written_total', standby)).toBeGreaterThanOrEqual(1);
    expect(sample(onB, 'hub_cluster_uplink_entries_written_total', standby)).toBeLessThanOrEqual(4);
    expect(sample(onB, 'hub_cluster_alarms_drained_total', { ...standby, outcome: 'delivered' })).toBe(0);
    expect(sample(onB, 'hub_cluster_leader_changes_total', standby)).toBe(0);
    // The backlog is the leader's series: one for the cluster, not one per node.
    expect(sample(onB, 'hub_cluster_inbound_alarms_pending')).toBeUndefined();

    const leader = { node: 'node-a' };
    // Telemetry and status cross Redis unordered against the alarm: wait until the leader has all three.
    await expect
      .poll(async () => sample(await scrape(a!.httpUrl), 'hub_cluster_handoff_seconds_count', { ...leader, channel: 'telemetry' }), { timeout: 15_000 })
      .toBe(2);
    const onA = await scrape(a!.httpUrl);
    for (const name of ISSUE_SERIES) expect(sample(onA, name, leader), `${name} on the leader`).toBeDefined();
    expect(sample(onA, 'hub_leader', leader)).toBe(1);
    // The leader's partition leases (3 s here, renewed every 0.6 s): never more than a lease left, and not run out.
    const leaseLeft = sample(onA, 'hub_partition_lease_seconds_left', leader)!;
    expect(leaseLeft).toBeGreaterThan(0);
    expect(leaseLeft).toBeLessThanOrEqual(3);
    expect(sample(onB, 'hub_partition_lease_seconds_left', standby)).toBe(-1);
    expect(sample(onA, 'hub_cluster_alarms_drained_total', { ...leader, outcome: 'delivered' })).toBe(1);
    expect(sample(onA, 'hub_cluster_uplink_received_total', { ...leader, kind: 'telemetry' })).toBe(2);
    expect(sample(onA, 'hub_cluster_uplink_received_total', { ...leader, kind: 'status' })).toBe(1);
    expect(sample(onA, 'hub_cluster_uplink_received_total', { ...leader, kind: 'connection' })).toBe(1);
    expect(sample(onA, 'hub_cluster_uplink_refused_total', leader)).toBe(0);
    expect(sample(onA, 'hub_cluster_handoff_seconds_count', { ...leader, channel: 'event' })).toBe(1);
    expect(sample(onA, 'hub_cluster_handoff_seconds_count', { ...leader, channel: 'telemetry' })).toBe(2);
    expect(sample(onA, 'hub_cluster_handoff_seconds_sum', { ...leader, channel: 'event' })).toBeGreaterThan(0);
    expect(sample(onA, 'hub_cluster_inbound_alarms_pending', leader)).toBe(0);
    expect(sample(onA, 'hub_cluster_alarms_forwarded_total', { ...leader, outcome: 'stored' })).toBe(0);
    // Nothing that names a device, a home or a person.
    for (const text of [onA, onB]) expect(text).not.toMatch(new RegExp(`${d.id}|${homeId}`));

    // The leader dies: the standby leads, has seen one new leader, and shows the backlog now.
    a!.proc.child.kill('SIGKILL');
    await b!.leading;
    await expect.poll(async () => sample(await scrape(b!.httpUrl), 'hub_cluster_leader_changes_total', standby), { timeout: 15_000 }).toBe(1);
    const afterTakeover = await scrape(b!.httpUrl);
    expect(sample(afterTakeover, 'hub_leader', standby)).toBe(1);
    expect(sample(afterTakeover, 'hub_cluster_inbound_alarms_pending', standby)).toBe(0);
    // What it forwarded as a standby stays counted.
    expect(sample(afterTakeover, 'hub_cluster_alarms_forwarded_total', { ...standby, outcome: 'stored' })).toBe(1);
  }, 120_000);
});
