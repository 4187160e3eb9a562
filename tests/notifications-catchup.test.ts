/**
 * A kill -9 between "alert on disk" and "delivery queued" must not lose the
 * family's notification: at start the hub offers the last hour's alert events
 * to the queue again, and the queue's keys stop it from sending twice.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub } from './helpers/test-hub.js';
import { WebhookGateway, LOOPBACK_GATEWAY_ENV } from './helpers/webhook-gateway.js';

const keep = useCleanup();

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sosWithGateway() {
  const gateway = keep(await WebhookGateway.start(), (g) => g.close());
  const hub = keep(await startTestHub({ env: LOOPBACK_GATEWAY_ENV }), closeHub);
  expect((await hub.api.post('/api/v1/notifications/webhooks', { name: 'SMS', url: gateway.url, secret: 'a-long-organisation-secret' })).status).toBe(201);
  const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
  const d = devices[0]!;
  const client = keep(await connectDevice(hub.mqttUrl, d.id, d.secret), endClient);
  await client.publishAsync(`hc/v1/${d.id}/event`, JSON.stringify({ type: 'sos', seq: 1 }), { qos: 1 });
  await until(() => gateway.requests.length === 1, 'the first notification');
  await hub.hub.notify.flushLog();
  await hub.hub.stop();
  return { gateway, hub };
}

const raisedFor = (gateway: WebhookGateway) => gateway.requests.filter((r) => (r.body as { event?: string })?.event === 'alert.raised');

describe('notifications after a crash', () => {
  it('sends the notification a crash left unqueued', async () => {
    const { gateway, hub } = await sosWithGateway();
    // The delivery log lost (as if killed before its "queued" line was written); the webhook config stays.
    const dir = join(hub.dataDir, 'notifications');
    for (const file of await readdir(dir)) if (file.startsWith('deliveries-')) await rm(join(dir, file));
    keep(await startTestHub({ dataDir: hub.dataDir, env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await until(() => raisedFor(gateway).length === 2, 'the caught-up notification');
  });

  it('does not send again what was already sent', async () => {
    const { gateway, hub } = await sosWithGateway();
    keep(await startTestHub({ dataDir: hub.dataDir, env: LOOPBACK_GATEWAY_ENV }), closeHub);
    await new Promise((r) => setTimeout(r, 500));
    expect(raisedFor(gateway)).toHaveLength(1);
  });
});
