/**
 * Issue 12 item 4, "it resumes from `lastEventId` after reconnecting to
 * another node", across a failover: consoles stream through a standby, the
 * leader is killed with SIGKILL, alerts move while the consoles are away,
 * and each console reconnects through a surviving node with its last id.
 * It must get exactly the alert events of the gap that its user may see —
 * the journal's alert lines after its id, in journal order, no snapshot —
 * then `resumed`. Real processes on PostgreSQL and Redis, as
 * tests/cluster-failover.test.ts.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ALERT_RECORD_TYPES } from '../hub/alerts/alert-reducer.js';
import { ApiClient } from './helpers/api-client.js';
import { closeStream, endClient } from './helpers/cleanup.js';
import { CLUSTER_ADMIN_PASSWORD, firstToLead, startCluster, type ClusterProcess } from './helpers/cluster-processes.js';
import { connectDeviceOnceKnown } from './helpers/mqtt-device.js';
import { withClient } from './helpers/pg-server.js';
import { provisionHomeThrough, type ProvisionedDevice } from './helpers/provision.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';
import { StreamClient } from './helpers/stream-client.js';

const LEASE_MS = 3_000;
const bed = useClusterTestbed('hub_resume', LEASE_MS);
const { keep } = bed;
const options = bed.options;

interface AlertLine {
  eventId: number;
  type: 'alert.raised' | 'alert.updated';
  alertId: string;
  homeId: string;
}

/** The journal's alert lines with after < n <= upTo, as the stream would carry them. */
async function alertLines(after: number, upTo: number): Promise<AlertLine[]> {
  const rows = await withClient(bed.databaseUrl, async (client) => {
    const sql = 'SELECT n, type, data FROM journal WHERE type = ANY($1) ORDER BY n';
    return (await client.query<{ n: string; type: string; data: { alert?: { id: string; homeId: string }; alertId?: string } }>(sql, [[...ALERT_RECORD_TYPES]])).rows;
  });
  const homeOf = new Map<string, string>();
  const lines: AlertLine[] = [];
  for (const { n, type, data } of rows) {
    if (data.alert) homeOf.set(data.alert.id, data.alert.homeId);
    const alertId = data.alert?.id ?? data.alertId!;
    if (Number(n) > after && Number(n) <= upTo) lines.push({ eventId: Number(n), type: type === 'alert.raised' ? 'alert.raised' : 'alert.updated', alertId, homeId: homeOf.get(alertId)! });
  }
  return lines;
}

/** What a console keeps: the newest event id it received (a snapshot's, or an alert event's). */
function lastEventId(stream: StreamClient): number {
  return Math.max(...stream.messages.filter((m) => typeof m.eventId === 'number').map((m) => m.eventId as number));
}

/** The console's reconnect: again and again (as its backoff does) while the front has no leader to pass it to (502/503). */
async function reconnect(node: ClusterProcess, query: string, timeoutMs = 30_000): Promise<StreamClient> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return keep(await StreamClient.open(node.httpUrl, query), closeStream);
    } catch (err) {
      if (!/refused: 50[23]/.test(String(err)) || Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** An API client logged in through `node`, once the cluster answers again after a failover. */
async function apiThrough(node: ClusterProcess, username: string, password: string): Promise<ApiClient> {
  const api = new ApiClient(node.httpUrl);
  await expect.poll(async () => (await api.post('/api/v1/auth/login', { username, password })).status, { timeout: 30_000, interval: 250 }).toBe(200);
  await api.login(username, password);
  return api;
}

async function sos(node: ClusterProcess, device: ProvisionedDevice, seq: number): Promise<void> {
  const client = keep(await connectDeviceOnceKnown(node.mqttUrl, device.id, device.secret), endClient);
  await client.publishAsync(`hc/v1/${device.id}/event`, JSON.stringify({ type: 'sos', seq, ts: Date.now() }), { qos: 1 });
  await client.endAsync();
}

/** The open alert of a home, once the leader has taken the alarm (a standby's PUBACK means stored, not yet raised). */
async function openAlertOf(api: ApiClient, homeId: string): Promise<{ id: string }> {
  const find = async () => ((await api.get('/api/v1/alerts?status=open')).body.alerts as { id: string; homeId: string }[]).find((a) => a.homeId === homeId);
  await expect.poll(find, { timeout: 15_000, interval: 100 }).toBeDefined();
  return (await find())!;
}

async function createUser(admin: ApiClient, username: string, role: string): Promise<string> {
  const res = await admin.post('/api/v1/users', { username, password: `${username}-password`, role, displayName: username });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** The messages a resuming socket got before its `resumed`, and that message. */
async function resumption(stream: StreamClient): Promise<{ replayed: any[]; resumed: any }> {
  const resumed = await stream.next((m) => m.type === 'resumed', 15_000);
  return { replayed: stream.messages.slice(0, stream.messages.indexOf(resumed)), resumed };
}

const asLines = (messages: any[]): AlertLine[] => messages.map((m) => ({ eventId: m.eventId, type: m.type, alertId: m.alert?.id, homeId: m.alert?.homeId }));

describe('the operator stream across a failover', () => {
  // HUB_PARTITIONS=spread too (docs/CLUSTER.md "Owners"): the alerts are then raised and changed by each home's owner, the stream still served by the leader.
  it.each([['leader'], ['spread']])('(%s) an operator streaming through a standby resumes on another node after kill -9 of the leader: every alert event of the gap, in journal order, no snapshot', async (partitions) => {
    const [a, b, c] = await startCluster(['node-a', 'node-b', 'node-c'], options(partitions === 'spread' ? { HUB_PARTITIONS: 'spread' } : {}));
    // Spread: the homes' partitions settle over the three nodes first (a write during a hand-over may be told to retry).
    const owned = async (node: ClusterProcess) => ((await (await fetch(`${node.httpUrl}/api/v1/health`)).json()) as { partitions: { owned: number[] } }).partitions.owned.length;
    if (partitions === 'spread') await expect.poll(async () => (await Promise.all([a!, b!, c!].map(owned))).sort((x, y) => x - y), { timeout: 30_000 }).toEqual([85, 85, 86]);
    const admin = await b!.api();
    const first = await provisionHomeThrough(admin);
    const second = await provisionHomeThrough(admin);
    await createUser(admin, 'li.na', 'operator');
    const operator = await apiThrough(b!, 'li.na', 'li.na-password');

    // Through standby b, which pipes the socket to leader a.
    const stream = keep(await StreamClient.open(b!.httpUrl, `token=${operator.token}`), closeStream);
    const snapshot = await stream.next((m) => m.type === 'snapshot');
    await sos(c!, first.devices[0]!, 1);
    const raised = await stream.next((m) => m.type === 'alert.raised' && m.alert.homeId === first.homeId, 15_000);
    expect(raised.eventId).toBeGreaterThan(snapshot.eventId);

    a!.proc.child.kill('SIGKILL');
    await once(stream.socket, 'close'); // the pipe ends with its leader
    const seen = lastEventId(stream);
    const next = await firstToLead([b!, c!]);

    // While the console is away: the first alert acknowledged; a second raised, acknowledged and resolved.
    const api = await apiThrough(next, 'li.na', 'li.na-password');
    expect((await api.post(`/api/v1/alerts/${raised.alert.id}/acknowledge`, {})).status).toBe(200);
    await sos(next, second.devices[0]!, 1);
    const gone = await openAlertOf(api, second.homeId);
    expect((await api.post(`/api/v1/alerts/${gone.id}/acknowledge`, {})).status).toBe(200);
    expect((await api.post(`/api/v1/alerts/${gone.id}/resolve`, { outcome: 'false_alarm', note: 'pressed by mistake' })).status).toBe(200);

    // Back, through the node it was not on before, with what it had.
    const back = await reconnect(c!, `token=${operator.token}&streamId=${snapshot.streamId}&lastEventId=${seen}`);
    const { replayed, resumed } = await resumption(back);
    expect(back.messages.some((m) => m.type === 'snapshot')).toBe(false);
    expect(resumed.streamId).toBe(snapshot.streamId);
    expect(resumed.missed).toBe(replayed.length);
    // Exactly the journal's alert lines after its id: in order, none twice, none left out.
    expect(asLines(replayed)).toEqual(await alertLines(seen, resumed.eventId));
    const ofFirst = replayed.filter((m) => m.alert.id === raised.alert.id);
    expect(ofFirst.at(-1).alert.status).toBe('acknowledged');
    const ofSecond = replayed.filter((m) => m.alert.id === gone.id);
    expect(ofSecond[0]).toMatchObject({ type: 'alert.raised', alert: { status: 'open' } });
    expect(ofSecond.map((m) => m.alert.status)).toContain('acknowledged');
    expect(ofSecond.at(-1).alert).toMatchObject({ status: 'resolved', outcome: 'false_alarm' });
    // Volatile state comes as it is now: the devices of both homes. Spread, a device of another owner's home reaches the
    // leader's store through the state relay (docs/CLUSTER.md "Owners" 7), a window later: what has arrived, never a stranger.
    const deviceHomes = resumed.devices.map((d: { homeId: string }) => d.homeId).sort();
    if (partitions === 'leader') expect(deviceHomes).toEqual([first.homeId, second.homeId].sort());
    else expect(deviceHomes.every((h: string) => h === first.homeId || h === second.homeId)).toBe(true);

    // And it is live again from there: the next change arrives once, after the replay.
    expect((await api.post(`/api/v1/alerts/${raised.alert.id}/resolve`, { outcome: 'resident_ok' })).status).toBe(200);
    const live = await back.next((m) => m.type === 'alert.updated' && m.alert.id === raised.alert.id && m.alert.status === 'resolved', 15_000);
    expect(live.eventId).toBeGreaterThan(resumed.eventId);
  }, 180_000);

  it("a family member's console resumes with only their home's missed events", async () => {
    const [a, b] = await startCluster(['node-a', 'node-b'], options());
    const admin = await b!.api();
    const mine = await provisionHomeThrough(admin);
    const other = await provisionHomeThrough(admin);
    const userId = await createUser(admin, 'wang.jun', 'family');
    expect((await admin.request('PUT', `/api/v1/homes/${mine.homeId}/family/${userId}`, {})).status).toBe(200);
    const family = await apiThrough(b!, 'wang.jun', 'wang.jun-password');

    const stream = keep(await StreamClient.open(b!.httpUrl, `token=${family.token}`), closeStream);
    const snapshot = await stream.next((m) => m.type === 'snapshot');
    await sos(b!, mine.devices[0]!, 1);
    const raised = await stream.next((m) => m.type === 'alert.raised', 15_000);
    expect(raised.alert.homeId).toBe(mine.homeId);

    a!.proc.child.kill('SIGKILL');
    await once(stream.socket, 'close');
    const seen = lastEventId(stream);
    await b!.leading;

    // Both homes move while the family is away: a second press on their relative's bracelet, an alert next door.
    const api = await apiThrough(b!, 'admin', CLUSTER_ADMIN_PASSWORD);
    await sos(b!, other.devices[0]!, 1);
    const next = await openAlertOf(api, other.homeId);
    expect((await api.post(`/api/v1/alerts/${next.id}/acknowledge`, {})).status).toBe(200);
    await sos(b!, mine.devices[0]!, 2);
    await expect.poll(async () => (await api.get(`/api/v1/alerts/${raised.alert.id}`)).body.occurrences, { timeout: 15_000 }).toBe(2);
    expect((await api.post(`/api/v1/alerts/${raised.alert.id}/acknowledge`, {})).status).toBe(200);

    const back = await reconnect(b!, `token=${family.token}&streamId=${snapshot.streamId}&lastEventId=${seen}`);
    const { replayed, resumed } = await resumption(back);
    expect(back.messages.some((m) => m.type === 'snapshot')).toBe(false);
    const gap = await alertLines(seen, resumed.eventId);
    expect(gap.some((line) => line.homeId === other.homeId)).toBe(true); // there was something to hold back
    expect(asLines(replayed)).toEqual(gap.filter((line) => line.homeId === mine.homeId));
    expect(replayed.at(-1).alert).toMatchObject({ id: raised.alert.id, status: 'acknowledged', occurrences: 2 });
    expect(resumed.devices.map((d: { homeId: string }) => d.homeId)).toEqual([mine.homeId]);
    expect(resumed.presence).toBeUndefined();
  }, 180_000);
});
