/**
 * Issue 12 item 7, on a real hub: the synthetic heartbeat goes through the
 * real MQTT listener, the broker's pre-ack hook, the journal's durability
 * barrier and the stream's bus. Here the journal stops becoming durable (its
 * durable write held at a gate), once behind a real SOS and once on an idle hub:
 * /health turns 503 naming the stage, and the organisation webhook receives
 * a signed `hub.pipeline_stalled`; once the journal flows again,
 * `hub.pipeline_recovered` and 200. The default 10 s / 30 s settings run on
 * a manual clock, so the test waits on events (the held fsync, the webhook's
 * arrival), never on time. The heartbeat never shows as an alert, a device,
 * a message count or a stream message.
 */
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../hub/notify/payload.js';
import { JOURNAL_PROOF_MS } from '../hub/ops/pipeline-probe.js';
import { closeHub, closeStream, endClient, useCleanup } from './helpers/cleanup.js';
import { gatedOpener } from './helpers/gated-journal.js';
import { journalLines } from './helpers/journal-lines.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { StreamClient } from './helpers/stream-client.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';
import { closeGateway, LOOPBACK_GATEWAY_ENV, WebhookGateway, type GatewayRequest } from './helpers/webhook-gateway.js';

const keep = useCleanup();
const SECRET = 'ops-gateway-secret-6b1f0c9d2e';
/** The defaults, set because startTestHub slows the heartbeat on a manual clock. */
const DEFAULT_TIMING = { HUB_HEARTBEAT_INTERVAL_MS: '10000', HUB_PIPELINE_STALL_MS: '30000' };
const eventIs = (event: string) => (r: GatewayRequest) => r.body?.event === event;

async function health(hub: TestHub) {
  const res = await fetch(`${hub.httpUrl}/api/v1/health`);
  return { status: res.status, body: (await res.json()) as any };
}

async function metric(hub: TestHub, name: string): Promise<number> {
  const text = await (await fetch(`${hub.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A hub on a manual clock with a gated journal, an ops webhook to the gateway, an admin stream, and its first heartbeat through. */
async function setUp() {
  const clock = new ManualClock(Date.now());
  const gate = gatedOpener();
  const gateway = keep(await WebhookGateway.start(), closeGateway);
  const hub = keep(await startTestHub({ clock, journalFileOpener: gate.opener, env: { ...LOOPBACK_GATEWAY_ENV, ...DEFAULT_TIMING, HUB_NODE_ID: 'node-a' } }), closeHub);
  keep(gate, (g) => g.open()); // a failed expectation must not leave the hub's stop waiting at the gate
  expect((await hub.api.post('/api/v1/notifications/webhooks', { name: 'Ops pager', url: `${gateway.url}/ops`, secret: SECRET })).status).toBe(201);
  const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
  await stream.next((m) => m.type === 'snapshot');
  // The first heartbeat, sent at start, comes through on its own.
  await waitFor(async () => (await health(hub)).body.pipeline.lastHeartbeatAt !== null, 'the first heartbeat through the pipeline');
  const green = await health(hub);
  expect(green.status).toBe(200);
  expect(green.body).toMatchObject({ ok: true, node: { id: 'node-a' }, pipeline: { ok: true, intervalMs: 10_000, stallMs: 30_000 } });
  return { clock, gate, gateway, hub, stream };
}

type Setup = Awaited<ReturnType<typeof setUp>>;

/** The gate is closed and a heartbeat is stuck behind it: 30 s on, red, and one signed webhook. */
async function expectStall({ clock, gateway, hub }: Setup): Promise<void> {
  expect((await health(hub)).status).toBe(200); // late, but not yet 30 s late
  clock.advance(30_000);
  const [stalled] = await gateway.waitFor(1, eventIs('hub.pipeline_stalled'));
  expect(stalled!.path).toBe('/ops');
  expect(verifyWebhook(SECRET, stalled!.raw, stalled!.headers['x-hub-signature-256'] as string, clock.now())).toBe(true);
  expect(stalled!.body).toMatchObject({ event: 'hub.pipeline_stalled', nodeId: 'node-a', stage: 'broker', attempt: 1 });
  expect(stalled!.body.reason).toContain('the journal has not made it durable');
  const red = await health(hub);
  expect(red.status).toBe(503);
  expect(red.body.ok).toBe(false);
  expect(red.body.reason).toMatch(/^pipeline stalled: heartbeat \d+ received, but the journal has not made it durable/);
  expect(red.body.pipeline.stalled).toMatchObject({ stage: 'broker' });
  expect(await metric(hub, 'hub_pipeline_stalled')).toBe(1);
}

/** The gate is open again: the stuck heartbeats come through, and the recovery is told once. */
async function expectRecovery({ gate, gateway, hub }: Setup): Promise<void> {
  gate.open();
  const [recovered] = await gateway.waitFor(1, eventIs('hub.pipeline_recovered'));
  expect(recovered!.body).toMatchObject({ nodeId: 'node-a', stalledForMs: expect.any(Number) });
  expect(recovered!.body.stalledForMs).toBeGreaterThanOrEqual(30_000);
  expect((await health(hub)).status).toBe(200);
  expect(await metric(hub, 'hub_pipeline_stalled')).toBe(0);
  expect(gateway.requests.filter(eventIs('hub.pipeline_stalled'))).toHaveLength(1);
}

describe('the pipeline supervises itself', () => {
  it('goes red and notifies when alarms wait in a journal that stopped, and says when they flow again', async () => {
    const setup = await setUp();
    const { clock, gate, hub } = setup;
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const d = devices[0]!;
    const device = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);

    gate.close();
    const sos = device.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
    await gate.whenHeld(); // the SOS waits for its fsync; the next heartbeat waits behind it
    clock.advance(10_000);
    await expectStall(setup);
    await expectRecovery(setup);
    await sos; // the device's PUBACK came once its alarm was durable
    expect((await hub.api.get('/api/v1/alerts')).body.alerts.map((a: { kind: string }) => a.kind)).toEqual(['sos']);
  });

  it('finds a journal that stopped on an idle hub, writing its own line when nothing else was made durable for 5 minutes', async () => {
    const setup = await setUp();
    const { clock, gate, hub, stream } = setup;
    const lines = async () => (await journalLines(hub.dataDir)).filter((l) => l.type === 'pipeline.heartbeat');
    expect(await lines()).toHaveLength(1); // the first heartbeat proves the journal writes

    gate.close();
    // Beat by beat (one jump would make every heartbeat look 30 s late): each passes the idle
    // journal's barrier at once, until one finds nothing made durable for 5 minutes and writes.
    const monitor = hub.hub.ops.probe.monitor;
    let idle = 0;
    while (gate.held === 0) {
      expect(idle).toBeLessThan(JOURNAL_PROOF_MS + 30_000);
      const completed = monitor.status().beatsCompleted;
      clock.advance(10_000);
      idle += 10_000;
      await waitFor(() => gate.held > 0 || monitor.status().beatsCompleted > completed, `the heartbeat after ${idle / 1000} s`);
    }
    expect(idle).toBeGreaterThanOrEqual(JOURNAL_PROOF_MS - 10_000);
    await expectStall(setup);
    await expectRecovery(setup);

    // Journaled as heartbeats, and nowhere else: no alert, no device, no device message, no stream message.
    expect(await lines()).toHaveLength(2);
    expect((await hub.api.get('/api/v1/alerts')).body.alerts).toEqual([]);
    expect((await hub.api.get('/api/v1/notifications/deliveries')).body.deliveries).toEqual([]);
    expect(hub.hub.states.all()).toEqual([]);
    expect(hub.hub.ingest.accepted + Object.values(hub.hub.ingest.dropped).reduce((a, b) => a + b, 0)).toBe(0);
    expect(await metric(hub, 'hub_mqtt_connections')).toBe(0); // the probe's own connection is not a device's
    // The console's own snapshot and nothing else: no heartbeat ever reaches a stream.
    expect(stream.messages.map((m) => m.type)).toEqual(['snapshot']);
  });
});
