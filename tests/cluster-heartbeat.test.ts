/**
 * Issue 12 item 7 on a cluster: each node sends its synthetic heartbeat
 * through the whole pipeline, a standby's through the leader (broker →
 * forwarded like an alarm → the leader's drain and journal → its stream →
 * echoed back over Redis). So a leader whose pipeline stops is seen on the
 * standby's /health too, and the standby tells the organisation webhook
 * itself — the leader cannot. Real processes: the leader is frozen with
 * SIGSTOP for less than its lease, so nobody takes over meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { startCluster } from './helpers/cluster-processes.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';
import { closeGateway, LOOPBACK_GATEWAY_ENV, WebhookGateway, type GatewayRequest } from './helpers/webhook-gateway.js';

/** Long enough that the freeze below never ends the leader's lease. */
const bed = useClusterTestbed('hub_cluster_heartbeat', 120_000);
const { keep } = bed;
const TIMING = { HUB_HEARTBEAT_INTERVAL_MS: '500', HUB_PIPELINE_STALL_MS: '3000' };

async function health(httpUrl: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${httpUrl}/api/v1/health`);
  return { status: res.status, body: await res.json() };
}

const from = (nodeId: string, event: string) => (r: GatewayRequest) => r.body?.event === event && r.body?.nodeId === nodeId;

describe('the pipeline heartbeat on a cluster', () => {
  it("a standby's heartbeat goes through the leader; a frozen leader turns the standby's /health red and the standby notifies the webhook, then recovery", async () => {
    const gateway = keep(await WebhookGateway.start(), closeGateway);
    const [a, b] = await startCluster(['node-a', 'node-b'], bed.options({ ...LOOPBACK_GATEWAY_ENV, ...TIMING }));
    const api = await a!.api();
    expect((await api.post('/api/v1/notifications/webhooks', { name: 'Duty phone', url: gateway.url, secret: 'an-organisation-secret-1234' })).status).toBe(201);

    // The standby's own heartbeats complete: the leader echoed them after its journal and stream.
    await expect.poll(async () => (await health(b!.httpUrl)).body.pipeline.lastHeartbeatAt, { timeout: 30_000 }).not.toBeNull();
    const green = await health(b!.httpUrl);
    expect(green.status).toBe(200);
    expect(green.body).toMatchObject({ role: 'standby', pipeline: { ok: true } });

    a!.proc.child.kill('SIGSTOP');
    try {
      // Stored for the leader (its PUBACK came from PostgreSQL), never echoed: stuck after the broker stage.
      const [stalled] = await gateway.waitFor(1, from('node-b', 'hub.pipeline_stalled'), 30_000);
      expect(stalled!.body).toMatchObject({ event: 'hub.pipeline_stalled', nodeId: 'node-b', stage: 'broker' });
      const red = await health(b!.httpUrl);
      expect(red.status).toBe(503);
      expect(red.body.pipeline.ok).toBe(false);
    } finally {
      a!.proc.child.kill('SIGCONT');
    }

    // The leader drains what waited, echoes it, and the standby says the pipeline flows again.
    await gateway.waitFor(1, from('node-b', 'hub.pipeline_recovered'), 30_000);
    await expect.poll(async () => (await health(b!.httpUrl)).status, { timeout: 15_000 }).toBe(200);
    expect(a!.proc.child.exitCode).toBeNull(); // the freeze was shorter than the lease: still the leader
    expect((await health(a!.httpUrl)).body.role).toBe('leader');
  }, 120_000);
});
