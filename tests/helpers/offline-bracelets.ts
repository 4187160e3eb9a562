/**
 * Two bracelets and the checks of device-offline detection across a node's
 * death (tests/cluster-offline.test.ts, and the spread variant in
 * tests/cluster-spread.test.ts): real simulated bracelets with the shortest
 * configurable heartbeat, and the expectation that exactly B goes offline,
 * once, after its silence, while A stays online.
 */
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { bracelet } from '../../devices/kinds/bracelet.js';
import { SimulatedDevice } from '../../simulators/simulated-device.js';
import type { ApiClient } from './api-client.js';
import type { Keep } from './cleanup.js';
import type { ClusterProcess } from './cluster-processes.js';
import { provisionHomeThrough, type ProvisionedDevice } from './provision.js';
import type { RedisNamespace } from './redis-namespace.js';

/**
 * The shortest heartbeat a device may be configured to (devices/commands.ts):
 * the watchdog then calls it offline after 30 s of silence. Set through the
 * real `configure` command, confirmed by the device, as an installer would.
 */
export const HEARTBEAT_SEC = 10;
export const SILENCE_MS = 3 * HEARTBEAT_SEC * 1000;
/** Leeway on a loaded 2-core machine, as the failover test allows for escalation (±15 s). */
export const LATE_MS = 15_000;
/** How long B has been silent on the leader when it is killed: most of its window, and three checkpoints (every 5 s). */
export const SILENT_BEFORE_KILL_MS = 18_000;

/** The helpers, bound to the test file's cleanup and Redis namespace. */
export function offlineBracelets(keep: Keep, redis: RedisNamespace) {
  interface Alert {
    id: string;
    kind: string;
    deviceId?: string;
    raisedAt: string;
    occurrences: number;
    details?: { reason?: string };
  }

  /** A real bracelet (retained status, last will, heartbeats, cmd_ack) that goes to the next node in `nodes` when its own dies. */
  async function connectBracelet(device: ProvisionedDevice, nodes: ClusterProcess[], { reconnects, heartbeats = true }: { reconnects: boolean; heartbeats?: boolean }): Promise<SimulatedDevice> {
    const sim = keep(
      new SimulatedDevice({
        servers: nodes.map((n) => ({ host: '127.0.0.1', port: n.proc.mqttPort })),
        deviceId: device.id,
        secret: device.secret,
        kind: bracelet,
        heartbeatSec: HEARTBEAT_SEC,
        // false: the bracelet says nothing after its `online` and its `cmd_ack`, though still connected.
        heartbeats,
        // 0: mqtt.js never reconnects — the bracelet whose battery died with its node.
        reconnectPeriodMs: reconnects ? 200 : 0,
        connectTimeoutMs: 5_000,
      }),
      (d) => d.stop(),
    );
    sim.start();
    await sim.waitForConnect();
    return sim;
  }

  /** Configures the device's heartbeat through the API and waits until the device confirmed it: the watchdog then uses it. */
  async function configureHeartbeat(api: ApiClient, deviceId: string): Promise<void> {
    const queued = await api.post(`/api/v1/devices/${deviceId}/configure`, { heartbeatSec: HEARTBEAT_SEC });
    expect(queued.status).toBe(202);
    await expect.poll(async () => (await api.get(`/api/v1/devices/${deviceId}/commands`)).body.watchdogHeartbeatSec, { timeout: 20_000 }).toBe(HEARTBEAT_SEC);
  }

  const offlineAlerts = async (api: ApiClient): Promise<Alert[]> =>
    ((await api.get('/api/v1/alerts?kind=device_offline&limit=1000')).body.alerts as Alert[]) ?? [];

  const deviceOf = async (api: ApiClient, id: string) => (await api.get(`/api/v1/devices/${id}`)).body as { online: boolean | null; lastSeen: string | null };

  /** Waits until the survivors have published every will the dead node stored in Redis (Aedes deletes each one it publishes). */
  async function willsPublished(deadNode: string): Promise<void> {
    const conn = new Redis(redis.url, { keyPrefix: redis.prefix });
    try {
      await expect
        .poll(async () => (await conn.lrange('will', 0, -1)).filter((key) => key.startsWith(`will:${deadNode}:`)), { timeout: 60_000, interval: 500 })
        .toEqual([]);
    } finally {
      conn.disconnect();
    }
  }

  /**
   * After the kill: B's one offline alert, raised by the watchdog after its silence
   * (not before `lastSeenB` + the silence, and before `raisedBefore`), and nothing
   * for A, which stays online.
   */
  async function expectOnlyBOffline(api: ApiClient, a: ProvisionedDevice, b: ProvisionedDevice, since: { lastSeenB: number; raisedBefore: number }, deadNode: string): Promise<void> {
    await expect.poll(async () => (await offlineAlerts(api)).map((x) => x.deviceId), { timeout: SILENCE_MS + 60_000, interval: 500 }).toContain(b.id);
    const [alertOfB] = (await offlineAlerts(api)).filter((x) => x.deviceId === b.id);
    const raisedAt = Date.parse(alertOfB!.raisedAt);
    expect(raisedAt).toBeGreaterThanOrEqual(since.lastSeenB + SILENCE_MS - 1_000);
    expect(raisedAt).toBeLessThan(since.raisedBefore);
    expect(alertOfB!.details?.reason).toBe('watchdog');
    // The owner's verdict; with spread partitions it reaches another node's API through the state relay, a window later.
    await expect.poll(async () => (await deviceOf(api, b.id)).online, { timeout: 10_000, interval: 100 }).toBe(false);

    // The dead node's wills (A's and B's retained `offline`) are out; then one more heartbeat of A
    // reaches the leader, so whatever the wills caused has been through its pipeline.
    await willsPublished(deadNode);
    const willsOutAt = Date.now();
    await expect.poll(async () => Date.parse((await deviceOf(api, a.id)).lastSeen ?? '0'), { timeout: 30_000, interval: 500 }).toBeGreaterThan(willsOutAt);

    const offline = await offlineAlerts(api);
    expect(offline.map((x) => [x.deviceId, x.occurrences])).toEqual([[b.id, 1]]);
    expect((await deviceOf(api, a.id)).online).toBe(true);
    // The owner's verdict; with spread partitions it reaches another node's API through the state relay, a window later.
    await expect.poll(async () => (await deviceOf(api, b.id)).online, { timeout: 10_000, interval: 100 }).toBe(false);
  }

  /**
   * Bracelets A and B in homes of their own, live, A roaming over `roamA` (its
   * node first), B on `nodeB` only (sending heartbeats, or nothing after its
   * `cmd_ack` when `quietB`); both configured to the short heartbeat and online
   * on the leader. Returns them and when the leader last heard from B.
   */
  async function twoBracelets(api: ApiClient, roamA: ClusterProcess[], nodeB: ClusterProcess, { quietB = false } = {}) {
    const a = (await provisionHomeThrough(api)).devices[0]!;
    const b = (await provisionHomeThrough(api)).devices[0]!;
    await connectBracelet(a, roamA, { reconnects: true });
    await connectBracelet(b, [nodeB], { reconnects: false, heartbeats: !quietB });
    await configureHeartbeat(api, a.id);
    await configureHeartbeat(api, b.id);
    // Telemetry from a standby reaches the leader through Redis: both online there.
    await expect.poll(async () => [(await deviceOf(api, a.id)).online, (await deviceOf(api, b.id)).online], { timeout: 20_000 }).toEqual([true, true]);
    return { a, b, lastSeenB: Date.parse((await deviceOf(api, b.id)).lastSeen!) };
  }

  return { connectBracelet, configureHeartbeat, offlineAlerts, deviceOf, willsPublished, expectOnlyBOffline, twoBracelets };
}
