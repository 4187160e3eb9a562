/**
 * Issue 12 item 6 on a real hub: /api/v1/health names the node, its
 * partitions, peers, database and Redis; /metrics serves the Prometheus text
 * format with the counts a real device's messages produced, and only to whom
 * it should: loopback clients without HUB_METRICS_TOKEN, the token bearer
 * with it. The non-loopback case binds the hub to this machine's own
 * non-loopback address (never a wildcard) and is skipped where there is none.
 */
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { stageTimings } from '../bench/hub-metrics.js';
import { loadConfig } from '../hub/config/config.js';
import { Hub } from '../hub/hub.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connackCode, connectDevice } from './helpers/mqtt-device.js';
import { sample } from './helpers/prometheus-text.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const TOKEN = 'metrics-token-for-tests-8c1d4e';

const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

function scrape(url: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/metrics`, { headers });
}

/** A hub on this machine's outside address (startTestHub's API client speaks to 127.0.0.1): its base URL. */
async function outsideHub(env: Record<string, string> = {}): Promise<string> {
  const temp = await makeTempDir();
  const config = loadConfig({ env: { HUB_HOST: outsideAddress!, HUB_MQTT_PORT: '0', HUB_HTTP_PORT: '0', HUB_DATA_DIR: temp.path, HUB_ADMIN_PASSWORD: 'admin-pass-for-tests', ...env } });
  const hub = new Hub({ config, loadSampler: () => 0 });
  const started = await hub.start();
  keep(hub, async (h) => {
    await h.stop();
    await temp.remove();
  });
  return `http://${outsideAddress}:${started.http.port}`;
}

async function untilPipelineGreen(hub: TestHub): Promise<void> {
  await waitFor(async () => (await (await fetch(`${hub.httpUrl}/api/v1/health`)).json()).pipeline.lastHeartbeatAt !== null, 'the first heartbeat');
}

describe('/health and /metrics', () => {
  it('shows the node, its partitions and peers, the database and Redis, and counts what devices sent', async () => {
    const hub = keep(await startTestHub({ env: { HUB_NODE_ID: 'node-a' } }), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    await untilPipelineGreen(hub);
    const health = await fetch(`${hub.httpUrl}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      ok: true,
      node: { id: 'node-a' },
      partitions: { total: 256, owned: Array.from({ length: 256 }, (_, i) => i), all: true },
      peers: [],
      database: { kind: 'files', state: 'ok' },
      redis: { state: 'not configured' },
      mqtt: { connectedClients: 0 },
      pipeline: { ok: true },
    });

    // prom-client loads just after start (the first scrape waits for it); the histogram observes from then on.
    expect((await scrape(hub.httpUrl)).status).toBe(200);
    const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
    await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await client.publishAsync(`hc/v1/${d.id}/telemetry`, JSON.stringify({ heartRate: 72 }), { qos: 1 });
    await client.publishAsync(`hc/v1/${d.id}/telemetry`, 'not json', { qos: 1 });
    // A stranger guessing the bracelet's secret is refused, and counted.
    expect(await connackCode(hub.mqttUrl, { clientId: 'guess-1', username: d.id, password: 'not-the-secret' })).toBe(4);

    const res = await scrape(hub.httpUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const node = { node: 'node-a' };
    expect(sample(text, 'hub_device_messages_total', { ...node, channel: 'event' })).toBe(1);
    expect(sample(text, 'hub_device_messages_total', { ...node, channel: 'telemetry' })).toBe(2);
    expect(sample(text, 'hub_device_messages_dropped_total', { ...node, reason: 'not_json' })).toBe(1);
    expect(sample(text, 'hub_alarm_puback_seconds_count', node)).toBe(1);
    expect(sample(text, 'hub_alarm_puback_seconds_bucket', { ...node, le: '+Inf' })).toBe(1);
    // Where the SOS's time went, by stage, and the turns that read the three messages (issue 14).
    expect(sample(text, 'hub_alarm_stage_seconds_count', { ...node, stage: 'ingest' })).toBe(1);
    expect(sample(text, 'hub_alarm_stage_seconds_count', { ...node, stage: 'durable' })).toBe(1);
    expect(sample(text, 'hub_uplink_read_phase_seconds_count', node)).toBeGreaterThanOrEqual(1);
    const timings = stageTimings('', text); // as the bench reads them back, from nothing before
    expect(timings.events).toBe(1);
    expect(timings.durableMs!.p99).toBeGreaterThanOrEqual(timings.durableMs!.p50);
    expect(timings.readPhaseMs).not.toBeNull();
    expect(sample(text, 'hub_mqtt_connections', node)).toBe(1); // the device; the probe is not counted
    expect(sample(text, 'hub_mqtt_refused_total', { ...node, action: 'connect' })).toBe(1);
    expect(sample(text, 'hub_mqtt_refused_total', { ...node, action: 'publish' })).toBe(0);
    // The refused connection's close may still wait for its turn at the first scrape.
    await expect.poll(async () => sample(await (await scrape(hub.httpUrl)).text(), 'hub_mqtt_closes_waiting', node)).toBe(0);
    expect(sample(text, 'hub_mqtt_guard_violations_total', node)).toBe(0);
    expect(sample(text, 'hub_mqtt_replaced_wills_dropped_total', node)).toBe(0);
    expect(sample(text, 'hub_partitions_owned', node)).toBe(256);
    expect(sample(text, 'hub_partitions_total', node)).toBe(256);
    expect(sample(text, 'hub_peers_seen', node)).toBe(0);
    expect(sample(text, 'hub_partition_lease_seconds_left', node)).toBe(-1); // files: one writer by construction, no leases
    expect(sample(text, 'hub_webhook_queue_depth', node)).toBe(0);
    expect(sample(text, 'hub_journal_healthy', node)).toBe(1);
    expect(sample(text, 'hub_journal_last_line', node)).toBeGreaterThan(0); // the first admin's line at least
    expect(sample(text, 'hub_journal_last_line', node)).toBeLessThanOrEqual(hub.hub.journal.lastN);
    expect(sample(text, 'hub_pipeline_stalled', node)).toBe(0);
    expect(sample(text, 'hub_rule_lag_seconds', node)).toBeGreaterThanOrEqual(0);
    // The first heartbeat goes out at start; on a loaded machine it may still be on its way at the first
    // scrape, or have come back before prom-client was loaded (not observed): the next one comes within
    // an interval (10 s), so wait that long, not expect.poll's default second (failed once in a full CI run).
    await expect.poll(async () => sample(await (await scrape(hub.httpUrl)).text(), 'hub_pipeline_heartbeat_seconds_count', node), { timeout: 15_000, interval: 200 }).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0); // per process: no node label
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE hub_device_messages_total counter');
    expect(text).toContain('# TYPE hub_alarm_puback_seconds histogram');
    // Nothing that names a device, a home or a person.
    expect(text).not.toContain(d.id);
    expect(text).not.toContain(d.homeId);
  });

  it('with HUB_METRICS_TOKEN, answers only the bearer of the token, loopback included', async () => {
    const hub = keep(await startTestHub({ env: { HUB_METRICS_TOKEN: TOKEN } }), closeHub);
    const anonymous = await scrape(hub.httpUrl);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await anonymous.json()).toEqual({ error: { code: 'unauthorized', message: 'send Authorization: Bearer <HUB_METRICS_TOKEN>' } });
    expect((await scrape(hub.httpUrl, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    // A console session is not a metrics token.
    expect((await scrape(hub.httpUrl, { authorization: `Bearer ${hub.api.token}` })).status).toBe(401);
    const allowed = await scrape(hub.httpUrl, { authorization: `Bearer ${TOKEN}` });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('hub_device_messages_total');
  });

  it.skipIf(outsideAddress === undefined)('without a token, refuses clients that are not on loopback', async () => {
    const url = await outsideHub();
    const refused = await scrape(url);
    expect(refused.status).toBe(403);
    expect((await refused.json()).error.code).toBe('metrics_forbidden');
    // /health stays public, and the probe reaches the broker on this address too.
    await waitFor(async () => (await (await fetch(`${url}/api/v1/health`)).json()).pipeline.lastHeartbeatAt !== null, 'the first heartbeat');
  });

  it.skipIf(outsideAddress === undefined)('with a token, serves it to a client that is not on loopback', async () => {
    const url = await outsideHub({ HUB_METRICS_TOKEN: TOKEN });
    expect((await scrape(url)).status).toBe(401);
    expect((await scrape(url, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });
});
