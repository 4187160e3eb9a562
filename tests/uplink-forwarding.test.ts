/**
 * Issue 12 item 2, forwarding to the leader (docs/CLUSTER.md "Forwarding to
 * the leader"): a follower's UplinkForwarder stores alarms in PostgreSQL
 * before their PUBACK and publishes telemetry on Redis; the leader's
 * InboundDrain feeds both into its own handler. Real PostgreSQL (a fresh
 * database), real Redis (a fresh prefix), a TCP proxy to cut the database,
 * the real PostgreSQL journal and a real hub's ingest where it matters.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { deviceMessageKeyOf } from '../hub/alerts/message-key.js';
import { InboundDrain, type ForwardedUplinkHandler, type ForwardOrigin, type InboundDrainDeps } from '../hub/cluster/inbound-drain.js';
import { UplinkPublisher, UplinkSubscriber, type ForwardedMessage } from '../hub/cluster/uplink-bus.js';
import { UplinkForwarder } from '../hub/cluster/uplink-forwarder.js';
import { silentLogger } from '../hub/core/logger.js';
import { dedupeAgainstJournal } from '../hub/ingest/journal-dedupe.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgInboundAlarms } from '../hub/storage/postgres/inbound-alarms-pg.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { closeHub, useCleanup } from './helpers/cleanup.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { useRedisNamespace } from './helpers/redis-namespace.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { startTestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const pg = usePgDatabase();
const redis = useRedisNamespace();
const keep = useCleanup();
const log = silentLogger();

/** A store on its own pool, migrated, with no rows left by an earlier test. */
async function freshStore(url = pg.url): Promise<PgInboundAlarms> {
  const store = keep(new PgInboundAlarms(new PgDatabase({ url, log }), { min: 20, max: 200 }), (s) => s.close());
  await store.oldest(1); // opens and migrates
  await pg.query('DELETE FROM inbound_alarm');
  return store;
}

const noRedis = { publish: () => undefined };

function forwarderOn(store: PgInboundAlarms, publisher: { publish(m: ForwardedMessage): void } = noRedis, maxPayloadBytes = 16 * 1024): UplinkForwarder {
  return new UplinkForwarder({ store, publisher, nodeId: 'node-b', maxPayloadBytes, log });
}

/** A drain that only a NOTIFY (or start) wakes: the safety poll is far beyond any test. */
function drainOf(store: PgInboundAlarms, handle: ForwardedUplinkHandler, extra: Partial<InboundDrainDeps> = {}): InboundDrain {
  return keep(new InboundDrain({ store, handle, log, pollEveryMs: 60_000, retryDelayMs: 50, stopTimeoutMs: 2_000, ...extra }), (d) => d.stop());
}

interface Delivery {
  deviceId: string;
  channel: string;
  payload: Buffer;
  origin: ForwardOrigin;
}

function recorder(respond: (d: Delivery) => Promise<unknown> | undefined = () => undefined) {
  const got: Delivery[] = [];
  const handle: ForwardedUplinkHandler = (deviceId, channel, payload, origin) => {
    const delivery = { deviceId, channel, payload, origin };
    got.push(delivery);
    return respond(delivery);
  };
  const seqsOf = (deviceId: string) => got.filter((d) => d.deviceId === deviceId).map((d) => (JSON.parse(d.payload.toString()) as { seq: number }).seq);
  return { got, handle, seqsOf };
}

const alarm = (seq: number, ts?: number) => Buffer.from(JSON.stringify({ type: 'sos', seq, ...(ts === undefined ? {} : { ts }) }));

async function rowCount(): Promise<number> {
  return (await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM inbound_alarm')).rows[0]!.n;
}

describe('alarms forwarded through PostgreSQL', () => {
  it('are stored before their PUBACK and reach the leader in each device’s order: leftovers at start, new ones on NOTIFY', async () => {
    const store = await freshStore();
    const forwarder = forwarderOn(store);
    // Two devices, several alarms in flight each, sent without waiting for the PUBACKs.
    const acks: (Promise<unknown> | undefined)[] = [];
    for (let seq = 1; seq <= 5; seq++) acks.push(forwarder.handle('br-a', 'event', alarm(seq, 1_000 + seq)), forwarder.handle('br-b', 'event', alarm(seq)));
    await Promise.all(acks);
    expect(await rowCount()).toBe(10); // every PUBACK promise resolved after its row was committed

    const leader = recorder();
    const drain = drainOf(store, leader.handle);
    await drain.start(); // drains what was waiting before it resolves
    expect(leader.seqsOf('br-a')).toEqual([1, 2, 3, 4, 5]);
    expect(leader.seqsOf('br-b')).toEqual([1, 2, 3, 4, 5]);
    expect(leader.got[0]).toMatchObject({ channel: 'event', origin: { receivedBy: 'node-b', receivedAt: expect.any(Number) } });
    expect(await rowCount()).toBe(0);

    await forwarder.handle('br-a', 'event', alarm(6, 1_006));
    await waitFor(() => leader.got.length === 11, 'the NOTIFY to wake the drain');
    await waitFor(async () => (await rowCount()) === 0, 'the delivered row to be deleted');
    expect(leader.seqsOf('br-a')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(drain.stats.alarmsDelivered).toBe(11);
  });

  it('still wakes on NOTIFY after its listening connection was ended by the server', async () => {
    const store = await freshStore();
    const forwarder = forwarderOn(store);
    const leader = recorder();
    await drainOf(store, leader.handle).start();
    expect(await pg.terminateBackends()).toBeGreaterThan(0); // the LISTEN session among them
    // As a device does: send again until it gets its PUBACK (the pool may hand out a connection the server just ended).
    await waitFor(() => Promise.resolve(forwarder.handle('br-l', 'event', alarm(1, 1))).then(() => true, () => false), 'the alarm to be stored');
    await waitFor(() => leader.got.length === 1, 'the drain to be woken (its poll is a minute away)');
    await waitFor(async () => (await rowCount()) === 0, 'the delivered row to be deleted');
  });

  it('stops cleanly: waits for the round in flight, deletes what it delivered, and takes nothing afterwards', async () => {
    const store = await freshStore();
    const forwarder = forwarderOn(store);
    await forwarder.handle('br-s', 'event', alarm(1, 1));
    let finish = () => undefined as void;
    const slow = recorder(() => new Promise<void>((resolve) => (finish = resolve)));
    const drain = drainOf(store, slow.handle);
    const started = drain.start();
    await waitFor(() => slow.got.length === 1, 'the drain to feed the row');
    const stopped = drain.stop();
    finish(); // the pipeline makes it durable while the drain is stopping
    await Promise.all([started, stopped]);
    expect(await rowCount()).toBe(0);

    await forwarder.handle('br-s', 'event', alarm(2, 2)); // its NOTIFY finds no drain
    const next = recorder();
    await drainOf(store, next.handle).start();
    expect(next.seqsOf('br-s')).toEqual([2]);
    expect(slow.got).toHaveLength(1);
  });

  it('acks a retransmission still waiting without a second row, and delivers it once (a missing ts is one value)', async () => {
    const store = await freshStore();
    const forwarder = forwarderOn(store);
    await forwarder.handle('br-a', 'event', alarm(7, 2_000));
    await forwarder.handle('br-a', 'event', alarm(7, 2_000)); // retransmission: resolves, no row
    await forwarder.handle('br-a', 'event', alarm(8));
    await forwarder.handle('br-a', 'event', alarm(8)); // retransmission without ts
    await forwarder.handle('br-a', 'event', alarm(8, 3_000)); // same seq, new ts: a restarted counter, a new alarm
    expect(await rowCount()).toBe(3);
    expect(forwarder.stats).toMatchObject({ alarmsStored: 3, alarmDuplicates: 2, alarmFailures: 0 });

    const leader = recorder();
    await drainOf(store, leader.handle).start();
    expect(leader.got.map((d) => d.payload.toString())).toEqual([alarm(7, 2_000), alarm(8), alarm(8, 3_000)].map(String));
  });

  it('group-commits alarms that arrive together, answering each one (the same key twice in one batch: one row)', async () => {
    const store = await freshStore();
    const put = (deviceId: string, seq: number | undefined) =>
      store.put({ deviceId, key: seq === undefined ? undefined : { seq, ts: 9 }, payload: alarm(seq ?? 0), receivedAt: 1_700_000_000_123, receivedBy: 'node-b' });
    // Called in one turn: the first INSERT takes the first, the rest wait and go together in the next.
    const answers = await Promise.all([put('br-g', 1), put('br-h', 1), put('br-h', 1), put('br-i', undefined), put('br-i', undefined), put('br-j', 2)]);
    expect(answers.map((a) => a.stored)).toEqual([true, true, false, true, true, true]);
    expect(await rowCount()).toBe(5);
    expect(await store.pending()).toBe(5); // the leader's /metrics backlog
    const rows = await store.oldest(10);
    expect(rows.map((r) => r.deviceId)).toEqual(['br-g', 'br-h', 'br-i', 'br-i', 'br-j']); // in the order given
    expect(rows[0]).toMatchObject({ receivedAt: 1_700_000_000_123, receivedBy: 'node-b' });
    await store.remove(rows.slice(0, 2).map((r) => r.id));
    expect(await store.pending()).toBe(3);

    // An alarm put from the callback of the one just answered starts a flush of its own.
    let chained: { stored: boolean } | undefined;
    void put('br-k', 1).then(() => put('br-k', 2).then((answer) => (chained = answer)));
    await waitFor(() => chained !== undefined, 'the alarm put from the previous one’s callback to be stored', 5_000);
    expect(chained).toEqual({ stored: true });
  });

  it('keeps a rejected alarm and the later alarms of its device, not the other devices’ ones', async () => {
    const store = await freshStore();
    const forwarder = forwarderOn(store);
    for (const [id, seq] of [['br-x', 1], ['br-y', 1], ['br-x', 2], ['br-x', 3], ['br-y', 2]] as const) await forwarder.handle(id, 'event', alarm(seq));

    const failing = recorder((d) => (d.deviceId === 'br-x' && d.payload.equals(alarm(2)) ? Promise.reject(new Error('not durable')) : undefined));
    const first = drainOf(store, failing.handle);
    await first.start();
    await first.stop();
    expect(first.stats).toMatchObject({ alarmsDelivered: 3, alarmsFailed: 1 }); // x1, y1, y2 delivered
    expect((await pg.query('SELECT device_id, seq::int FROM inbound_alarm ORDER BY id')).rows).toEqual([
      { device_id: 'br-x', seq: 2 },
      { device_id: 'br-x', seq: 3 }, // delivered, but kept: it must not overtake seq 2
    ]);

    const next = recorder();
    await drainOf(store, next.handle).start();
    expect(next.seqsOf('br-x')).toEqual([2, 3]);
    expect(await rowCount()).toBe(0);
  });

  it('leaves the rows of a drainer that died after its journal commit; the next one re-feeds them and the journal drops both', async () => {
    const store = await freshStore();
    const journal = keep(new PgJournal({ db: new PgDatabase({ url: pg.url, log }), messageKeyOf: deviceMessageKeyOf }), (j) => j.close());
    await journal.open();
    let duplicates = 0;
    // The leader's entry as the hub builds it: the journal's unique message keys in front of the pipeline.
    const journaling = dedupeAgainstJournal(
      { isJournaled: (k) => journal.isJournaled(k), isSurelyNew: (k) => journal.isSurelyNew(k), onDuplicate: () => duplicates++ },
      (deviceId, _channel, payload) => {
        const body = JSON.parse(payload.toString()) as { type: string; seq: number; ts: number };
        const line = { homeId: 'home-1', deviceId, eventType: body.type, alertKind: 'sos', at: new Date().toISOString(), seq: body.seq, ts: body.ts };
        return journal.append('device.test_event', line).durable;
      },
    );
    const journalLines = async () => (await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM journal WHERE type = 'device.test_event'`)).rows[0]!.n;
    const forwarder = forwarderOn(store);
    await forwarder.handle('br-c', 'event', alarm(1, 5_001));
    await forwarder.handle('br-c', 'event', alarm(2, 5_002));

    // First drainer: journals both, then "dies" before its DELETE — its promises settle only after stop() gave up on them.
    let release = () => undefined as void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const dying = drainOf(store, (...args) => Promise.resolve(journaling(args[0], args[1], args[2])).then(() => stuck), { stopTimeoutMs: 100 });
    const started = dying.start();
    await waitFor(async () => (await journalLines()) === 2, 'the first drainer to journal both alarms');
    await dying.stop();
    release();
    await started;
    expect(await rowCount()).toBe(2); // an abandoned round never deletes

    // Second drainer: its pipeline cannot make anything durable: the rows stay.
    const refusing = drainOf(store, () => Promise.reject(new Error('journal unavailable')));
    await refusing.start();
    await refusing.stop();
    expect(refusing.stats.alarmsFailed).toBe(1); // the device's first; its second waits behind it
    expect(await rowCount()).toBe(2);

    // Third drainer, the real entry: both are recognised as journaled, acked, deleted — no second line.
    await drainOf(store, (deviceId, channel, payload) => journaling(deviceId, channel, payload)).start();
    expect(await rowCount()).toBe(0);
    expect(await journalLines()).toBe(2);
    expect(duplicates).toBe(2);
  });

  it('rejects the PUBACK promise while PostgreSQL cannot be reached, and the alarms queued behind it', async () => {
    const proxy = await startTcpProxy(5432);
    const viaProxy = new URL(pg.url);
    viaProxy.port = String(proxy.port);
    const store = await freshStore(viaProxy.toString());
    const forwarder = forwarderOn(store);
    await forwarder.handle('br-d', 'event', alarm(1, 1)); // the proxy works
    await proxy.cut();

    const cut = forwarder.handle('br-d', 'event', alarm(2, 2));
    const behind = forwarder.handle('br-d', 'event', alarm(3, 3));
    await expect(cut).rejects.toThrow(/unreachable/);
    await expect(behind).rejects.toThrow(/earlier alarm of this device was not stored/);
    expect(forwarder.stats).toMatchObject({ alarmsStored: 1, alarmFailures: 2 });
    expect(await rowCount()).toBe(1); // nothing stored, nothing acked: the device sends 2 and 3 again
  });
});

describe('bad alarm payloads on the way to the leader', () => {
  it('stores any bytes safely and the leader’s ingest decides as a single hub does: not UTF-8 and oversize dropped as not_json, no seq processed', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const id = devices[0]!.id;
    const store = await freshStore();
    const forwarder = forwarderOn(store, noRedis, 1_024);
    const notUtf8 = Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0x00]);
    const oversize = Buffer.from(JSON.stringify({ type: 'sos', seq: 50, note: 'x'.repeat(2_000) }));
    const noSeq = Buffer.from(JSON.stringify({ type: 'sos' }));
    for (const payload of [notUtf8, oversize, noSeq, noSeq]) await forwarder.handle(id, 'event', payload);

    const rows = (await pg.query<{ seq: string | null; payload: Buffer }>('SELECT seq, payload FROM inbound_alarm ORDER BY id')).rows;
    expect(rows.map((r) => r.seq)).toEqual([null, null, null, null]); // no key: none is a duplicate of another
    expect(rows[0]!.payload.equals(notUtf8)).toBe(true); // byte for byte
    expect(rows[1]!.payload.toString()).toBe(`payload of ${oversize.length} bytes over the forwarding limit of 1024`);
    expect(forwarder.stats).toMatchObject({ alarmsStored: 4, oversizeAlarms: 1 });

    const ingest = hub.hub.ingest;
    const before = { notJson: ingest.dropped.not_json, accepted: ingest.accepted };
    await drainOf(store, (deviceId, channel, payload, origin) => ingest.accept(deviceId, channel, payload, origin.receivedAt)).start();
    expect(ingest.dropped.not_json - before.notJson).toBe(2);
    expect(ingest.accepted - before.accepted).toBe(2); // seq is optional in the protocol: processed, without dedupe
    expect(hub.hub.states.get(id)?.lastBadPayload).toMatchObject({ reason: 'not_json', detail: `payload of ${oversize.length} bytes over the forwarding limit`.slice(0, 40) });
    expect(await rowCount()).toBe(0);
  });
});

describe('telemetry, status and connections forwarded through a Redis stream', () => {
  it('reach the leader’s handler byte for byte, acked at once; junk on the stream is refused and counted', async () => {
    const settings = { redisUrl: redis.url, redisPrefix: redis.prefix, log };
    const publisher = keep(await UplinkPublisher.open({ ...settings, nodeId: 'node-b' }), (p) => p.close());
    let subscriber: UplinkSubscriber | undefined;
    const connections: [string, boolean][] = [];
    const store = await freshStore();
    const leader = recorder();
    await drainOf(store, leader.handle, {
      subscribe: async (onMessage) => (subscriber = await UplinkSubscriber.open({ ...settings, nodeId: 'node-a' }, onMessage)),
      onConnection: (deviceId, connected) => connections.push([deviceId, connected]),
    }).start();
    const forwarder = forwarderOn(store, publisher);

    forwarder.connection('br-e', true);
    expect(forwarder.handle('br-e', 'telemetry', Buffer.from('{"hr":71}'))).toBeUndefined(); // PUBACK at once
    const odd = Buffer.from([0x6f, 0xff, 0x00, 0xfe]);
    expect(forwarder.handle('br-e', 'status', odd)).toBeUndefined();
    const raw = keep(new Redis(redis.url), (r) => r.quit());
    // Junk in the older single-message format (field m); bad messages inside batch entries: tests/uplink-stream.test.ts.
    await raw.xadd(`${redis.prefix}uplink`, '*', 'm', 'not json');
    await raw.xadd(`${redis.prefix}uplink`, '*', 'm', JSON.stringify({ kind: 'uplink', node: 'x', deviceId: '../../etc', channel: 'telemetry', payload: '', receivedAt: Date.now() }));
    forwarder.handle('br-e', 'telemetry', Buffer.from('{"hr":72}'));

    await waitFor(() => leader.got.length === 3 && subscriber?.refused === 2, 'the forwarded messages and the refused ones');
    expect(leader.got.map((d) => [d.deviceId, d.channel, d.payload.toString('hex')])).toEqual([
      ['br-e', 'telemetry', Buffer.from('{"hr":71}').toString('hex')],
      ['br-e', 'status', odd.toString('hex')],
      ['br-e', 'telemetry', Buffer.from('{"hr":72}').toString('hex')],
    ]);
    expect(leader.got[0]!.origin.receivedBy).toBe('node-b');
    expect(connections).toEqual([['br-e', true]]);
    expect(await rowCount()).toBe(0); // nothing of this went through PostgreSQL
  });

  it('still acks telemetry at once when the follower loses Redis, and counts what it could not send instead of queueing it', async () => {
    const proxy = await startTcpProxy(Number(new URL(redis.url).port || 6379));
    const publisher = keep(await UplinkPublisher.open({ redisUrl: `redis://127.0.0.1:${proxy.port}/0`, redisPrefix: redis.prefix, nodeId: 'node-b', log }), (p) => p.close());
    const forwarder = forwarderOn(await freshStore(), publisher);
    await proxy.cut();
    for (let i = 0; i < 5; i++) expect(forwarder.handle('br-f', 'telemetry', Buffer.from(`{"hr":${60 + i}}`))).toBeUndefined();
    // Within seconds, not after ioredis' ~10 s of retries of a command in flight: nothing is held.
    await waitFor(() => publisher.dropped === 5, 'the five publishes to be refused', 3_000);
  });

  it('a drain whose Redis does not answer fails to start, naming it without its password, and leaves nothing listening', async () => {
    const store = await freshStore();
    const settings = { redisUrl: 'redis://:hunter2-secret@127.0.0.1:1/0', redisPrefix: redis.prefix, nodeId: 'node-a', log };
    const drain = drainOf(store, recorder().handle, { subscribe: (onMessage) => UplinkSubscriber.open(settings, onMessage) });
    const failure = await drain.start().then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/^cannot connect to HUB_REDIS_URL \(redis:\/\/127\.0\.0\.1:1\/0\)/);
    expect(failure).not.toContain('hunter2');
    const listening = await pg.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE '%listen inbound_alarm'`, [pg.name]);
    expect(listening.rows).toEqual([]);
  });
});
