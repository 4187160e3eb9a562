/**
 * The failover time, in phases: a few bracelets (homes of their own, so
 * their alert is unambiguous) are connected to the leader with a list of
 * every node, as a TCP load balancer would send them on; then kill -9 of
 * the leader. Measured from the kill, on this process's clock:
 *   - each device's connection closed, and back up on another node (CONNACK);
 *   - its SOS, published at once, acknowledged (PUBACK: stored in
 *     PostgreSQL by the node it is on — a standby acks without a leader);
 *   - every home partition's lease taken by the new leader (`partition_lease.since`,
 *     the database's clock: the same machine's as this process's);
 *   - a standby printing that it leads;
 *   - the alert of that SOS visible in the new leader's API (the pipeline ran).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { HubApi, type ProvisionedDevice } from '../simulators/hub-api.js';
import type { ClusterNode } from './cluster-nodes.js';
import { percentiles, sleep, type Percentiles } from './stats.js';
import { PASSWORD } from './targets/hub-target.js';
import { withClient } from '../tests/helpers/pg-server.js';

export interface FailoverResult {
  devices: number;
  killedNode: string;
  newLeader: string | null;
  /** kill → the standby's "leads the cluster" line. */
  leadsMs: number | null;
  /** kill → the last partition lease taken by the new leader (null: it holds none of them). */
  reownedMs: number | null;
  /** Home partitions (and the home-less one) whose lease the new leader holds, of all of them. */
  reowned: { held: number; total: number } | null;
  /** kill → each device seeing its connection closed. */
  closedMs: Percentiles | null;
  /** kill → each device's CONNACK on another node. */
  reconnectMs: Percentiles | null;
  /** reconnect → PUBACK of its first SOS there. */
  reconnectToPubackMs: Percentiles | null;
  /** kill → PUBACK of that SOS (the figure a resident's device lives by). */
  pubackMs: Percentiles | null;
  /** kill → its alert in the new leader's API (polled every 25 ms). */
  alertVisibleMs: Percentiles | null;
  /** Devices whose SOS was not acknowledged / not seen as an alert within the time limit. */
  unacked: number;
  unseen: number;
}

interface Roamer {
  device: ProvisionedDevice;
  client: MqttClient;
  closedAt?: number;
  reconnectedAt?: number;
  pubackAt?: number;
}

const LIMIT_MS = 60_000;
/** A time limit that does not keep the bench process alive after its run. */
const limit = () => delay(LIMIT_MS, undefined, { ref: false });
const sos = () => JSON.stringify({ type: 'sos', seq: 1, ts: Date.now() });

async function connectRoamer(nodes: readonly ClusterNode[], device: ProvisionedDevice): Promise<Roamer> {
  const servers = nodes.map((n) => ({ host: '127.0.0.1', port: n.mqttPort }));
  const client = mqtt.connect(`mqtt://127.0.0.1:${nodes[0]!.mqttPort}`, {
    clientId: device.deviceId, username: device.deviceId, password: device.secret,
    protocolVersion: 4, servers, reconnectPeriod: 100, connectTimeout: 5_000,
  });
  // mqtt.js retries (round the servers) without end: the bench gives up after 15 s.
  const connected = new Promise<boolean>((done) => client.once('connect', () => done(true)));
  if (!(await Promise.race([connected, delay(15_000, false, { ref: false })]))) {
    client.end(true);
    throw new Error(`failover: ${device.deviceId} could not connect to ${nodes[0]!.name} within 15 s`);
  }
  return { device, client };
}

/** Resolves when every roamer has its PUBACK, or after LIMIT_MS. */
function armRoamers(roamers: readonly Roamer[]): Promise<void> {
  return Promise.race([
    Promise.all(roamers.map((r) => new Promise<void>((done) => {
      r.client.once('close', () => (r.closedAt = performance.now()));
      r.client.once('connect', () => {
        r.reconnectedAt = performance.now();
        r.client.publish(`hc/v1/${r.device.deviceId}/event`, sos(), { qos: 1 }, (err) => {
          if (!err) r.pubackAt = performance.now();
          done();
        });
      });
    }))).then(() => undefined),
    limit(),
  ]).then(() => undefined);
}

/** When each home's alert first shows in the leader's open alerts (polled), by homeId. */
async function alertsSeen(leader: ClusterNode, homeIds: ReadonlySet<string>): Promise<Map<string, number>> {
  const api = new HubApi(leader.httpUrl);
  await api.login('admin', PASSWORD);
  const seen = new Map<string, number>();
  const until = performance.now() + LIMIT_MS;
  while (seen.size < homeIds.size && performance.now() < until) {
    const { alerts } = await api.request<{ alerts: { homeId: string }[] }>('GET', '/alerts?status=open&limit=500');
    const at = performance.now();
    for (const a of alerts) if (homeIds.has(a.homeId) && !seen.has(a.homeId)) seen.set(a.homeId, at);
    await sleep(25);
  }
  return seen;
}

/** When the new leader took the partitions' leases (the last of them), and how many it holds. */
async function partitionsReowned(databaseUrl: string, owner: string): Promise<{ lastTakenAt: number | null; held: number; total: number }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ last: number | null; held: number; total: number }>(
      'SELECT (extract(epoch FROM max(since) FILTER (WHERE owner = $1)) * 1000)::float8 AS last, count(*) FILTER (WHERE owner = $1)::int AS held, count(*)::int AS total FROM partition_lease',
      [owner],
    );
    const row = rows[0]!;
    return { lastTakenAt: row.last, held: row.held, total: row.total };
  });
}

export async function measureFailover(nodes: readonly ClusterNode[], devices: readonly ProvisionedDevice[], say: (line: string) => void, databaseUrl: string): Promise<FailoverResult> {
  const [leader, ...standbys] = nodes;
  say(`failover: connecting ${devices.length} bracelets to ${leader!.name}`);
  const settled = await Promise.allSettled(devices.map((d) => connectRoamer(nodes, d)));
  const roamers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(roamers.map((r) => r.client.endAsync(true)));
    throw failed.reason;
  }
  try {
    const acked = armRoamers(roamers);
    say(`failover: kill -9 of ${leader!.name}`);
    const killedAt = performance.now();
    const killedAtEpochMs = Date.now();
    leader!.child.process.kill('SIGKILL');
    const next = await Promise.race([...standbys.map((n) => n.leading.then((at) => ({ node: n, at }))), limit()]);
    say(`failover: ${next ? `${next.node.name} leads` : 'no standby leads'}; waiting for the alarms`);
    await acked;
    const seen = next ? await alertsSeen(next.node, new Set(devices.map((d) => d.homeId))) : new Map<string, number>();
    const leases = next ? await partitionsReowned(databaseUrl, next.node.name) : undefined;
    const since = (at: number | undefined) => (at === undefined ? [] : [at - killedAt]);
    return {
      devices: devices.length,
      killedNode: leader!.name,
      newLeader: next?.node.name ?? null,
      leadsMs: next ? Math.round(next.at - killedAt) : null,
      reownedMs: leases?.lastTakenAt != null ? Math.round(leases.lastTakenAt - killedAtEpochMs) : null,
      reowned: leases ? { held: leases.held, total: leases.total } : null,
      closedMs: percentiles(roamers.flatMap((r) => since(r.closedAt))),
      reconnectMs: percentiles(roamers.flatMap((r) => since(r.reconnectedAt))),
      reconnectToPubackMs: percentiles(roamers.flatMap((r) => (r.pubackAt && r.reconnectedAt ? [r.pubackAt - r.reconnectedAt] : []))),
      pubackMs: percentiles(roamers.flatMap((r) => since(r.pubackAt))),
      alertVisibleMs: percentiles(devices.flatMap((d) => since(seen.get(d.homeId)))),
      unacked: roamers.filter((r) => r.pubackAt === undefined).length,
      unseen: devices.filter((d) => !seen.has(d.homeId)).length,
    };
  } finally {
    await Promise.all(roamers.map((r) => r.client.endAsync(true)));
  }
}
