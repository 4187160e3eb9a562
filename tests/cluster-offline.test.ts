/**
 * Device-offline detection across a node's death (issue 12 item 3, last
 * point; docs/CLUSTER.md "What failover does"): after kill -9 of the node
 * that held two bracelets, A reconnects to a survivor and B never comes
 * back. B must go offline once, after its configured silence (3 × its
 * heartbeat, the watchdog), and A must stay online with no offline alert —
 * also after the survivors have published the dead node's stored wills.
 * Both ways a node can die: a standby (the leader's watchdog was fed by
 * forwarded telemetry) and the leader (the next leader resumes B's watchdog
 * from the last checkpoint: B, silent for 18 of its 30 s when the leader died,
 * goes offline about 30 s after its last message, not 30 s after the
 * promotion). Real processes, real MQTT, PostgreSQL and Redis.
 */
import { describe, expect, it } from 'vitest';
import { firstToLead, startCluster } from './helpers/cluster-processes.js';
import { LATE_MS, offlineBracelets, SILENCE_MS, SILENT_BEFORE_KILL_MS } from './helpers/offline-bracelets.js';
import { useClusterTestbed } from './helpers/cluster-testbed.js';

const bed = useClusterTestbed('hub_offline', 3_000);
const { keep, redis } = bed;
const options = bed.options;

const { deviceOf, expectOnlyBOffline, twoBracelets } = offlineBracelets(keep, redis);

describe('device-offline detection after a node of the cluster dies', () => {
  it('kill -9 of a standby holding A and B: A reconnects to the other standby and stays online; B goes offline once, after its silence', async () => {
    const [leader, doomed, survivor] = await startCluster(['node-a', 'node-b', 'node-c'], options());
    const api = await leader!.api();
    const { a, b, lastSeenB } = await twoBracelets(api, [doomed!, survivor!], doomed!);
    doomed!.proc.child.kill('SIGKILL');
    const killedAt = Date.now();
    // The leader's watchdog was fed by B's forwarded telemetry: it runs out from B's last message.
    await expectOnlyBOffline(api, a, b, { lastSeenB, raisedBefore: killedAt + SILENCE_MS + LATE_MS }, 'node-b');
  }, 180_000);

  it('kill -9 of the leader holding A and B, B silent for most of its window: the next leader resumes B\'s watchdog (offline once, about 30 s after its last message); A stays online', async () => {
    const [doomed, ...standbys] = await startCluster(['node-a', 'node-b', 'node-c'], options());
    const api = await doomed!.api();
    const { a, b, lastSeenB } = await twoBracelets(api, [doomed!, ...standbys], doomed!, { quietB: true });
    // B says nothing more; the leader checkpoints its silence every 5 s. Waiting for the silence to grow is the point.
    await expect.poll(() => Date.now() - lastSeenB, { timeout: SILENT_BEFORE_KILL_MS + 10_000, interval: 200 }).toBeGreaterThanOrEqual(SILENT_BEFORE_KILL_MS);
    expect((await deviceOf(api, b.id)).online).toBe(true);
    doomed!.proc.child.kill('SIGKILL');
    const next = await firstToLead(standbys);
    const promotedAt = Date.now();
    // Resumed from the checkpoint: B's 12 s left (at least the 15 s grace) from the promotion — not a whole 30 s
    // silence from it, as when watchdogs were armed afresh at the promotion (that fails here).
    await expectOnlyBOffline(await next.api(), a, b, { lastSeenB, raisedBefore: promotedAt + SILENCE_MS - 5_000 }, 'node-a');
  }, 180_000);
});
