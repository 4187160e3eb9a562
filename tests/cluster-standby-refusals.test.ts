/**
 * DESIGN.md §11 on a cluster standby: what its broker refuses (a wrong
 * secret, a bad packet, a connection rate) is audited in the journal, which
 * only the leader holds. A standby's append threw, so one CONNECT with a
 * wrong secret, from anybody, ended the standby with exit 70; after that fix
 * the refusal was only logged there, so a brute force against device secrets
 * through a standby left no trace in the audit journal. Now the standby hands
 * each record to the leader through PostgreSQL (docs/CLUSTER.md "A standby's
 * broker refusals"). Real processes, real MQTT over TCP: the record reaches
 * the leader's journal and audit API as the same line a refusal on the leader
 * makes, plus the node that saw it; a flood of bad CONNECTs makes a bounded
 * number of lines and does not hold up a good device's alarm.
 */
import { connect as tcpConnect } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { endClient } from './helpers/cleanup.js';
import { startCluster } from './helpers/cluster-processes.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';
import { connectDeviceOnceKnown } from './helpers/mqtt-device.js';
import { withClient } from './helpers/pg-server.js';
import { sample } from './helpers/prometheus-text.js';
import { provisionHomeThrough } from './helpers/provision.js';
import { runTool } from './helpers/run-tool.js';

const bed = useClusterTestbed('hub_standby_refusals', 3_000);
const { keep } = bed;

/** One CONNECT with the given credentials; resolves with the CONNACK's return code (0 = accepted). */
function connackCode(mqttUrl: string, username: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = connect(mqttUrl, { clientId: username, username, password, reconnectPeriod: 0, connectTimeout: 10_000 });
    client.on('connect', () => {
      client.end(true);
      resolve(0);
    });
    client.on('error', (err: Error & { code?: number }) => {
      client.end(true);
      if (typeof err.code === 'number') resolve(err.code);
      else reject(err);
    });
  });
}

interface AuditLine {
  at: string;
  action: string;
  actor: string;
  target?: string;
  detail?: Record<string, unknown>;
}

/** The journal's audit lines, straight from PostgreSQL (what audit:verify checks). */
const journaledAudit = (): Promise<AuditLine[]> =>
  withClient(bed.databaseUrl, async (client) => (await client.query<{ at: Date; data: Omit<AuditLine, 'at'> }>("SELECT at, data FROM journal WHERE type = 'audit' ORDER BY n")).rows.map((r) => ({ at: r.at.toISOString(), ...r.data })));

const refusedConnects = async (): Promise<AuditLine[]> => (await journaledAudit()).filter((l) => l.action === 'mqtt.connect_refused');

/** A stranger's CONNECT over a raw socket from a chosen loopback address; resolves with the CONNACK's return code, or -1 without one. */
function badConnect(port: number, localAddress: string, i: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, localAddress }, () => {
      socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: `brc-au${i}`, username: `brc-au${i}`, password: Buffer.from('guess') }));
    });
    let answer = Buffer.alloc(0);
    const done = () => {
      socket.destroy();
      // CONNACK: 0x20, remaining length 2, flags, return code.
      resolve(answer.length >= 4 && answer[0] === 0x20 ? answer[3]! : -1);
    };
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      if (answer.length >= 4) done();
    });
    socket.once('close', done);
    socket.once('error', done);
    socket.setTimeout(10_000, done);
  });
}

/** Sends one SOS and waits for its PUBACK; resolves with the milliseconds it took. */
async function timedAlarm(device: MqttClient, deviceId: string, seq: number): Promise<number> {
  const t0 = performance.now();
  await device.publishAsync(`hc/v1/${deviceId}/event`, JSON.stringify({ type: 'sos', seq, ts: Date.now() }), { qos: 1 });
  return performance.now() - t0;
}

const percentiles = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return `p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
};

describe('a cluster standby refusing a device', () => {
  it('refuses a wrong secret and keeps serving; the refusal is in the leader’s journal and audit API as the leader’s own would be, plus seenBy/seenAt', async () => {
    const [a, b] = await startCluster(['au_node_a', 'au_node_b'], bed.options());
    const before = Date.now();
    const code = await connackCode(b!.mqttUrl, 'brc-au000001', 'not-the-secret');
    expect([4, 5]).toContain(code);
    // The same refusal on the leader, for the shape to compare with.
    expect(await connackCode(a!.mqttUrl, 'brc-au000002', 'not-the-secret')).toBe(code);

    // In the journal, type `audit`, with the standby's node id and the time the standby refused.
    await expect.poll(async () => (await refusedConnects()).length, { timeout: 15_000 }).toBe(2);
    const lines = await refusedConnects();
    const onStandby = lines.find((l) => l.detail?.username === 'brc-au000001')!;
    const onLeader = lines.find((l) => l.detail?.username === 'brc-au000002')!;
    expect(onStandby).toMatchObject({ action: 'mqtt.connect_refused', actor: 'ip:127.0.0.1', detail: { seenBy: 'au_node_b', returnCode: code, ip: '127.0.0.1' } });
    const seenAt = Date.parse(String(onStandby.detail!.seenAt));
    expect(seenAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(seenAt).toBeLessThanOrEqual(Date.parse(onStandby.at) + 1_000);
    // Same action, actor and detail keys as the leader's own line: only seenBy and seenAt are added.
    expect(onLeader.detail).not.toHaveProperty('seenBy');
    expect(Object.keys(onStandby.detail!).sort()).toEqual([...Object.keys(onLeader.detail!), 'seenBy', 'seenAt'].sort());

    // Supervisors see it in the audit API (and so the console), through either node.
    // Standby b answers the audit view from its copy of the journal, which may be a line behind the table read above.
    const api = await b!.api();
    const viewedOn = async () => ((await api.get('/api/v1/audit?action=mqtt.connect_refused')).body.entries as AuditLine[]).find((e) => e.detail?.username === 'brc-au000001');
    await expect.poll(viewedOn, { timeout: 15_000 }).toBeDefined();
    expect(await viewedOn()).toMatchObject({ actor: 'ip:127.0.0.1', detail: { seenBy: 'au_node_b', seenAt: onStandby.detail!.seenAt } });

    // Still alive and serving: /health answers, the node still stands by.
    expect(b!.proc.child.exitCode).toBeNull();
    const health = await fetch(`${b!.httpUrl}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ role: 'standby' });
    // The chain holds: audit:verify reads the forwarded line as any other.
    const verified = await runTool('hub/tools/audit-verify.ts', ['--database-url', bed.databaseUrl]);
    expect(verified.stdout).toMatch(/^journal OK: \d+ rows/);
    expect(verified.code).toBe(0);
  }, 120_000);

  it('a flood of bad CONNECTs from 20 addresses makes a bounded number of audit lines, a good device’s alarms are still acknowledged promptly, and the standby survives', async () => {
    // Every CONNECT reaches the secret check (the per-IP connection rate would otherwise refuse most at accept).
    const [a, b] = await startCluster(['au_node_a', 'au_node_b'], bed.options({ HUB_CONNECTIONS_PER_IP_PER_SEC: '100000' }));
    const api = await a!.api();
    const { homeId, devices } = await provisionHomeThrough(api);
    const bracelet = devices[0]!;
    const device = keep(await connectDeviceOnceKnown(b!.mqttUrl, bracelet.id, bracelet.secret), endClient);
    const ADDRESSES = 20;
    const floodActors = new Set(Array.from({ length: ADDRESSES }, (_, i) => `ip:127.0.0.${10 + i}`));
    let seq = 0;
    const quiet: number[] = [];
    for (let i = 0; i < 5; i++) quiet.push(await timedAlarm(device, bracelet.id, ++seq));

    const FLOOD = 3_000;
    const port = b!.proc.mqttPort;
    let sent = 0;
    const codes = new Map<number, number>();
    const started = Date.now();
    const attacker = async () => {
      while (sent < FLOOD) {
        const i = sent++;
        const code = await badConnect(port, `127.0.0.${10 + (i % ADDRESSES)}`, i);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    };
    const flood = Promise.all(Array.from({ length: 64 }, attacker));

    // Meanwhile the good device on the same standby sends an alarm every 100 ms, each waiting for its PUBACK.
    const during: number[] = [];
    let flooding = true;
    void flood.then(() => (flooding = false));
    while (flooding || during.length < 3) {
      during.push(await timedAlarm(device, bracelet.id, ++seq));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await flood;
    const floodMs = Date.now() - started;
    console.log(`flood: ${FLOOD} bad CONNECTs in ${floodMs} ms (CONNACK codes ${JSON.stringify(Object.fromEntries(codes))}); alarm PUBACK before ${percentiles(quiet)}, during ${percentiles(during)} (${during.length} alarms)`);
    // Every one of them reached the secret check and was refused.
    expect(codes.get(-1) ?? 0).toBe(0);
    expect((codes.get(4) ?? 0) + (codes.get(5) ?? 0)).toBe(FLOOD);
    // Promptly: well under a second each, while the standby refused thousands of CONNECTs per second.
    expect(Math.max(...during)).toBeLessThan(2_000);

    // Bounded: the broker's throttle lets one record per address through per 10 s, as on a hub alone.
    const windows = Math.floor(floodMs / 10_000) + 1;
    const fromStandby = async () => (await refusedConnects()).filter((l) => floodActors.has(l.actor) && l.detail?.seenBy === 'au_node_b').length;
    await expect.poll(fromStandby, { timeout: 20_000 }).toBeGreaterThanOrEqual(ADDRESSES);
    const stored = await fromStandby();
    console.log(`audit lines from the standby: ${stored} for ${FLOOD} refusals (bound ${ADDRESSES * windows})`);
    expect(stored).toBeLessThanOrEqual(ADDRESSES * windows);
    const metrics = await (await fetch(`${b!.httpUrl}/metrics`)).text();
    expect(sample(metrics, 'hub_cluster_audit_forwarded_total', { node: 'au_node_b', outcome: 'dropped' })).toBe(0);
    expect(sample(metrics, 'hub_cluster_audit_forwarded_total', { node: 'au_node_b', outcome: 'stored' })).toBeGreaterThanOrEqual(ADDRESSES);
    // Nothing left waiting in inbound_alarm, and every alarm reached the leader as one alert.
    await expect.poll(() => withClient(bed.databaseUrl, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM inbound_alarm')).rows[0]!.n)), { timeout: 15_000 }).toBe(0);
    const open = (await api.get('/api/v1/alerts?status=open')).body.alerts as { homeId: string; occurrences: number }[];
    expect(open.filter((x) => x.homeId === homeId).map((x) => x.occurrences)).toEqual([seq]);

    expect(b!.proc.child.exitCode).toBeNull();
    expect((await fetch(`${b!.httpUrl}/api/v1/health`)).status).toBe(200);
  }, 180_000);

  it('a forwarded audit row the leader cannot read is logged and let go; the alarms behind it still arrive', async () => {
    const [a, b] = await startCluster(['au_node_a', 'au_node_b'], bed.options());
    const api = await a!.api();
    const { homeId, devices } = await provisionHomeThrough(api);
    const bracelet = devices[0]!;
    const device = keep(await connectDeviceOnceKnown(b!.mqttUrl, bracelet.id, bracelet.secret), endClient);
    // As a node of another version might write it.
    await withClient(bed.databaseUrl, (c) => c.query("INSERT INTO inbound_alarm (device_id, payload, received_at, received_by) VALUES ('hub.audit.au_old', 'not a record', now(), 'au_old')"));
    await device.publishAsync(`hc/v1/${bracelet.id}/event`, JSON.stringify({ type: 'sos', seq: 1, ts: Date.now() }), { qos: 1 });
    await expect.poll(async () => ((await api.get('/api/v1/alerts?status=open')).body.alerts as { homeId: string }[]).map((x) => x.homeId), { timeout: 15_000 }).toEqual([homeId]);
    await expect.poll(() => a!.proc.stdout() + a!.proc.stderr(), { timeout: 10_000 }).toMatch(/forwarded audit record not readable; dropped/);
    await expect.poll(() => withClient(bed.databaseUrl, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM inbound_alarm')).rows[0]!.n)), { timeout: 15_000 }).toBe(0);
    expect(a!.proc.child.exitCode).toBeNull();
  }, 120_000);
});
