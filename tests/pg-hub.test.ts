/**
 * The whole hub on PostgreSQL (HUB_DATABASE_URL, issue 11), end to end over
 * real MQTT and HTTP: an alarm is committed before its PUBACK and survives a
 * restart; a retransmission is recognised from the database's unique message
 * key long after the in-memory window forgot it; a lost database holds the
 * PUBACK, turns /health 503 naming the database, and the hub carries on
 * without a restart or a loss when it is back; an unreachable database stops
 * `npm start` with one line.
 */
import { describe, expect, it } from 'vitest';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { runHubCommand } from './helpers/hub-process.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { ApiClient } from './helpers/api-client.js';
import { createPgDatabase } from './helpers/pg-database.js';
import { withClient } from './helpers/pg-server.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();

async function database() {
  return keep(await createPgDatabase(), (d) => d.drop());
}

async function hubOn(url: string, dataDir?: string): Promise<TestHub> {
  return keep(await startTestHub({ env: { HUB_DATABASE_URL: url }, ...(dataDir ? { dataDir } : {}) }), closeHub);
}

const event = (type: string, seq: number, ts = 1_764_000_000_000) => JSON.stringify({ type, seq, ts });

async function openAlerts(hub: TestHub) {
  return (await hub.api.get('/api/v1/alerts?status=open')).body.alerts as { id: string; kind: string; occurrences: number; deviceId: string }[];
}

describe('the hub on PostgreSQL', () => {
  it('commits an alarm before its PUBACK, keeps registry and alerts across a restart, sessions too, and stores nothing under the data dir', async () => {
    const db = await database();
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const first = await hubOn(db.url, temp.path);
    const { devices } = await first.provisionHome();
    const device = devices[0]!;
    const client = keep(await connectDevice(first.mqttUrl, device.id, device.secret), endClient);
    await client.publishAsync(`hc/v1/${device.id}/event`, event('sos', 1), { qos: 1 });
    // PUBACK received: the line is in the database now, through another connection.
    const pg = await import('pg');
    const check = new pg.default.Client({ connectionString: db.url });
    await check.connect();
    const rows = (await check.query("SELECT type FROM journal WHERE type = 'alert.raised'")).rows;
    const keys = (await check.query('SELECT device_id, seq::int FROM device_messages')).rows;
    await check.end();
    expect(rows).toHaveLength(1);
    expect(keys).toEqual([{ device_id: device.id, seq: 1 }]);
    await client.endAsync(true);
    const operatorToken = first.api.token;
    await first.stop();

    const second = await hubOn(db.url, temp.path);
    expect(await openAlerts(second)).toMatchObject([{ deviceId: device.id, kind: 'sos', occurrences: 1 }]);
    expect(second.hub.registry.getDevice(device.id)).toMatchObject({ homeId: device.homeId });
    expect(second.hub.registry.listUsers().map((u) => u.username)).toEqual(['admin']);
    // The session survived the restart (a table, not memory); logging out ends it for good.
    const carried = new ApiClient(second.httpUrl);
    carried.token = operatorToken;
    expect((await carried.get('/api/v1/auth/me')).status).toBe(200);
    expect((await carried.post('/api/v1/auth/logout')).status).toBe(200);
    expect((await carried.get('/api/v1/auth/me')).status).toBe(401);
    // Left: the second hub's own login. The logged-out one is gone from the table, not just from memory.
    expect(await withClient(db.url, async (c) => (await c.query('SELECT count(*)::int AS c FROM sessions')).rows)).toEqual([{ c: 1 }]);
    await second.stop();
    // Every store is in the database: the data dir holds no file at all (registry, journal, visits, webhooks, deliveries, rule state).
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(temp.path, { recursive: true })).toEqual([]);
  }, 60_000);

  it('acks a retransmission from the database key without a second occurrence, after the 64-event window forgot it', async () => {
    const db = await database();
    const hub = await hubOn(db.url);
    const { devices } = await hub.provisionHome();
    const device = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
    const topic = `hc/v1/${device.id}/event`;
    await client.publishAsync(topic, event('sos', 1), { qos: 1 });
    // 70 later events push seq 1 out of the in-memory window (64 per device).
    for (let seq = 2; seq <= 71; seq++) await client.publishAsync(topic, event('worn', seq), { qos: 1 });
    const duplicatesBefore = hub.hub.ingest.dropped.duplicate;
    await client.publishAsync(topic, event('sos', 1), { qos: 1 });
    expect(hub.hub.ingest.dropped.duplicate).toBe(duplicatesBefore + 1);
    expect(await openAlerts(hub)).toMatchObject([{ kind: 'sos', occurrences: 1 }]);
    // Same seq, new ts: a restarted counter, so a new alarm.
    await client.publishAsync(topic, event('sos', 1, 1_764_000_999_000), { qos: 1 });
    expect(await openAlerts(hub)).toMatchObject([{ kind: 'sos', occurrences: 2 }]);
  }, 60_000);

  it('holds the PUBACK and reports 503 naming the database while it is lost, then carries on without a restart or a loss', async () => {
    const db = await database();
    const hub = await hubOn(db.url);
    const { devices } = await hub.provisionHome();
    const device = devices[0]!;
    const client = keep(await connectDevice(hub.mqttUrl, device.id, device.secret), endClient);
    expect((await hub.api.get('/api/v1/health')).status).toBe(200);

    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    const lose = async (lost: boolean) => {
      await admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS ${lost ? 'false' : 'true'}`);
      if (lost) await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
    };
    try {
      await lose(true);
      await waitFor(async () => (await hub.api.get('/api/v1/health')).status === 503, 'health 503');
      const health = await hub.api.get('/api/v1/health');
      expect(health.body).toMatchObject({
        ok: false,
        reason: expect.stringContaining('journal cannot make lines durable'),
        database: { kind: 'postgresql', state: 'failing' },
        journal: { healthy: false, lastError: expect.stringContaining(`PostgreSQL database ${db.name} on 127.0.0.1:5432 unreachable`) },
      });

      let acked = false;
      const appendsBefore = hub.hub.journal.stats.appends;
      const publish = client.publishAsync(`hc/v1/${device.id}/event`, event('sos', 9), { qos: 1 }).then(() => (acked = true));
      // A fresh alarm skips the message-key look-up (newer than any held): it is ingested and waits for its COMMIT.
      await waitFor(() => hub.hub.journal.stats.appends > appendsBefore, 'the alarm to reach the journal');
      expect(acked).toBe(false);
      expect(await openAlerts(hub)).toEqual([]);

      await lose(false);
      await publish;
      expect(await openAlerts(hub)).toMatchObject([{ kind: 'sos', occurrences: 1 }]);
      await waitFor(async () => (await hub.api.get('/api/v1/health')).status === 200, 'health 200 again');
      expect(client.connected).toBe(true); // the device never had to reconnect
    } finally {
      await lose(false);
      await admin.end();
    }
  }, 60_000);
});

describe('npm start with HUB_DATABASE_URL', () => {
  it('stops with one line naming HUB_DATABASE_URL and the error, exit code 1, when the database cannot be reached', async () => {
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const run = runHubCommand([], { HUB_DATA_DIR: temp.path, HUB_DATABASE_URL: 'postgres://hub:pw-not-shown@127.0.0.1:1/hub', HUB_MQTT_PORT: '0', HUB_HTTP_PORT: '0' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/^hub: cannot connect to HUB_DATABASE_URL \(PostgreSQL database hub on 127\.0\.0\.1:1\): .*ECONNREFUSED.*; start the database server, or correct the host, port, user, password or database name in the URL\n$/);
    expect(run.stderr().trim().split('\n')).toHaveLength(1);
    expect(run.stderr()).not.toContain('pw-not-shown');
    expect(run.stdout()).toBe('');
  }, 60_000);
});
