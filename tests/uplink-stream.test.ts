/**
 * The Redis stream that carries telemetry, status and connections from the
 * standbys to the leader (hub/cluster/uplink-bus.ts, docs/CLUSTER.md
 * "Forwarding to the leader"), against this machine's Redis: a turn's
 * messages go in one entry (split at the entry's caps), a bad message in an
 * entry costs only itself, entries of the older one-message format are still
 * taken, a publisher without Redis counts the messages it drops; what the
 * standbys send while no leader reads reaches the next leader, a backlog too
 * old is dropped and counted instead of being taken in as new, the stream
 * stays within its length bound, and a stream that Redis lost (a restart
 * without data) is made again by the reader.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { entryFields, STALE_AFTER_MS, UPLINK_ENTRY_LIMITS, UplinkPublisher, UplinkSubscriber, type ForwardedMessage } from '../hub/cluster/uplink-bus.js';
import { silentLogger } from '../hub/core/logger.js';
import { useCleanup } from './helpers/cleanup.js';
import { useRedisNamespace } from './helpers/redis-namespace.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const redis = useRedisNamespace();
const log = silentLogger();
let streams = 0;

/** Each test its own stream under the file's prefix. */
function settings(nodeId: string, extra: { streamMaxMessages?: number; redisUrl?: string; entryWaitMs?: number } = {}) {
  streams++;
  return { redisUrl: redis.url, redisPrefix: `${redis.prefix}t${streams}:`, nodeId, log, ...extra };
}

const telemetry = (deviceId: string, hr: number, receivedAt = Date.now(), pad = ''): ForwardedMessage => ({
  kind: 'uplink',
  node: 'node-b',
  deviceId,
  channel: 'telemetry',
  payload: Buffer.from(JSON.stringify({ hr, pad })),
  receivedAt,
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function reader(nodeId: string, s: ReturnType<typeof settings>, now?: () => number, onEach?: () => void) {
  const got: ForwardedMessage[] = [];
  const open = async () =>
    keep(
      await UplinkSubscriber.open(
        { ...s, nodeId },
        (m) => {
          got.push(m);
          onEach?.();
        },
        now,
      ),
      (r) => r.close(),
    );
  const hrs = () => got.map((m) => (m.kind === 'uplink' ? (JSON.parse(m.payload.toString()) as { hr: number }).hr : -1));
  return { got, open, hrs };
}

/** The raw stream: its entries' fields, and how many messages each batch entry holds. */
function rawStream(s: ReturnType<typeof settings>) {
  const raw = keep(new Redis(redis.url), (r) => r.quit());
  const key = `${s.redisPrefix}uplink`;
  const entries = async () => (await raw.xrange(key, '-', '+')).map(([, fields]) => fields);
  const sizes = async () => (await entries()).map((fields) => (JSON.parse(fields[1]!) as unknown[]).length - 1);
  return { raw, key, entries, sizes };
}

/** A leader reading a fresh stream, and that stream's raw connection to write entries by hand. */
async function leaderOnRawStream() {
  const s = settings('node-b');
  const leader = reader('node-a', s);
  const subscriber = await leader.open();
  return { leader, subscriber, ...rawStream(s), now: Date.now() };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the uplink stream packs what comes within its wait into one entry', () => {
  it('sends the messages of one turn as one entry, all of them read in order', async () => {
    const s = settings('node-b');
    const leader = reader('node-a', s);
    await leader.open();
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    for (const hr of range(300)) publisher.publish(telemetry('br-1', hr));
    publisher.publish({ kind: 'connection', node: 'node-b', deviceId: 'br-9', connected: false, at: Date.now() });

    await waitFor(() => leader.got.length === 301, 'the turn’s messages to reach the leader');
    expect(leader.hrs().slice(0, 300)).toEqual(range(300));
    expect(leader.got[300]).toMatchObject({ kind: 'connection', node: 'node-b', deviceId: 'br-9', connected: false });
    const stream = rawStream(s);
    expect(await stream.sizes()).toEqual([301]);
    expect((await stream.entries())[0]![0]).toBe('b');
    expect(publisher.written).toEqual({ entries: 1, messages: 301 });
  });

  it('packs the turns within its wait into one entry (10 ms by default)', async () => {
    const s = settings('node-b');
    const leader = reader('node-a', s);
    await leader.open();
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    for (const turn of range(20)) {
      publisher.publish(telemetry('br-2', turn));
      await nextTurn();
    }
    await waitFor(() => leader.got.length === 20, 'the twenty turns’ messages');
    expect(leader.hrs()).toEqual(range(20));
    // Twenty turns back to back take far less than 10 ms each, even on a busy machine: a few entries, not twenty.
    expect(publisher.written.entries).toBeLessThanOrEqual(10);
  });

  it('sends one entry per turn across turns with no wait', async () => {
    const s = settings('node-b', { entryWaitMs: 0 });
    const leader = reader('node-a', s);
    await leader.open();
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    for (const turn of range(4)) {
      for (const k of range(turn + 1)) publisher.publish(telemetry('br-2', turn * 10 + k));
      await nextTurn();
    }
    await waitFor(() => leader.got.length === 10, 'the four turns’ messages');
    expect(leader.hrs()).toEqual([0, 10, 11, 20, 21, 22, 30, 31, 32, 33]);
    expect(await rawStream(s).sizes()).toEqual([1, 2, 3, 4]);
  });

  it('splits a turn at the entry’s message cap and at its size cap', async () => {
    const s = settings('node-b', { entryWaitMs: 0 });
    const leader = reader('node-a', s);
    await leader.open();
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    const { maxMessages, maxChars } = UPLINK_ENTRY_LIMITS;
    for (const hr of range(2 * maxMessages + 100)) publisher.publish(telemetry('br-3', hr));
    await nextTurn();
    // 12 KiB payloads, 16 KiB in base64: a size-capped entry holds maxChars / 16 KiB of them.
    const big = 'x'.repeat(12 * 1024 - 20);
    for (const hr of range(40)) publisher.publish(telemetry('br-4', hr, Date.now(), big));

    await waitFor(() => leader.got.length === 2 * maxMessages + 140, 'every message of both turns');
    expect(leader.hrs()).toEqual([...range(2 * maxMessages + 100), ...range(40)]);
    const stream = rawStream(s);
    const sizes = await stream.sizes();
    expect(sizes.slice(0, 3)).toEqual([maxMessages, maxMessages, 100]);
    const bigEntries = (await stream.entries()).slice(3).map((fields) => fields[1]!.length);
    expect(bigEntries.length).toBeGreaterThanOrEqual(3);
    expect(sizes.slice(3).reduce((a, b) => a + b)).toBe(40);
    for (const chars of bigEntries) expect(chars).toBeLessThanOrEqual(maxChars + 64);
  });

  it('delivers the good messages of an entry that holds bad ones, and counts each bad one', async () => {
    const { leader, subscriber, raw, key, now } = await leaderOnRawStream();
    const good = (hr: number) => ['telemetry', 'br-5', now, Buffer.from(JSON.stringify({ hr })).toString('base64')];
    const entry = [
      'node-b',
      good(1),
      ['telemetry', '../etc', now, ''], // a device id no device has
      good(2),
      ['status', 'br-5', now, 'not base64!'],
      ['exploded', 'br-5', now],
      'not an array',
      ['telemetry', 'br-5', 'yesterday', ''],
      [...good(3), 'a field of a later version'], // ignored
      ['connected', 'br-5', now],
    ];
    await raw.xadd(key, '*', 'b', JSON.stringify(entry));
    await raw.xadd(key, '*', 'b', JSON.stringify([42, good(4)])); // no node: the whole entry
    await raw.xadd(key, '*', 'b', '["node-b", [');

    await waitFor(() => subscriber.refused === 7, 'the five bad messages and the two bad entries to be counted');
    expect(leader.hrs()).toEqual([1, 2, 3, -1]);
    expect(leader.got[3]).toMatchObject({ kind: 'connection', deviceId: 'br-5', connected: true, node: 'node-b' });
    expect(leader.got[0]).toMatchObject({ node: 'node-b', receivedAt: now, channel: 'telemetry' });
  });

  it('still takes the single-message entries a standby of the older version writes', async () => {
    const { leader, subscriber, raw, key, now } = await leaderOnRawStream();
    // Written out as that version wrote them (field m, one JSON object each).
    await raw.xadd(key, '*', 'm', `{"kind":"uplink","node":"node-old","deviceId":"br-6","channel":"telemetry","payload":"${Buffer.from('{"hr":66}').toString('base64')}","receivedAt":${now}}`);
    await raw.xadd(key, '*', 'm', `{"kind":"connection","node":"node-old","deviceId":"br-6","connected":true,"at":${now}}`);
    await raw.xadd(key, '*', 'm', `{"kind":"uplink","node":"node-old","deviceId":"br-6","channel":"telemetry","payload":"%%%","receivedAt":${now}}`);
    await raw.xadd(key, '*', 'x', 'neither b nor m');

    await waitFor(() => leader.got.length === 2 && subscriber.refused === 2, 'the two old entries and the two refused');
    expect(leader.hrs()).toEqual([66, -1]);
    expect(leader.got[1]).toMatchObject({ kind: 'connection', node: 'node-old', deviceId: 'br-6', connected: true, at: now });
  });

  it('takes a read of full entries with turns of the event loop between them', async () => {
    const s = settings('node-b');
    const first = reader('node-a', s);
    await (await first.open()).close(); // the group exists; what comes next waits for the next leader
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    const { maxMessages } = UPLINK_ENTRY_LIMITS;
    for (const hr of range(16 * maxMessages)) publisher.publish(telemetry('br-7', hr));
    const { raw, key } = rawStream(s);
    await waitFor(async () => (await raw.xlen(key)) === 16, 'sixteen full entries');

    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    spin();
    const seenAtTurn: number[] = [];
    const next = reader('node-c', s, undefined, () => seenAtTurn.push(turns));
    await next.open();
    await waitFor(() => next.got.length === 16 * maxMessages, 'all of them');
    spinning = false;
    // The longest run of messages taken without a turn in between: at most the yield bound plus one entry.
    let longest = 0;
    for (let i = 0, run = 0; i < seenAtTurn.length; i++) longest = Math.max(longest, (run = i > 0 && seenAtTurn[i] === seenAtTurn[i - 1] ? run + 1 : 1));
    expect(longest).toBeLessThanOrEqual(2 * maxMessages);
  });
});

describe('the uplink stream without Redis', () => {
  it('drops and counts messages, not entries: those of entries in flight when the connection broke, and those published while it is down', async () => {
    const proxy = keep(await startTcpProxy(Number(new URL(redis.url).port || 6379)), (p) => p.close());
    const s = settings('node-b', { redisUrl: `redis://127.0.0.1:${proxy.port}/0` });
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    proxy.silence(); // the entries leave but no answer comes back
    for (const hr of range(700)) publisher.publish(telemetry('br-8', hr)); // two entries
    await nextTurn();
    await proxy.cut();
    await waitFor(() => publisher.dropped === 700, 'the two entries’ 700 messages to be counted', 3_000);
    for (const hr of range(5)) publisher.publish(telemetry('br-8', hr));
    expect(publisher.dropped).toBe(705); // at once: nothing is packed for a connection that is down
    expect(publisher.written).toEqual({ entries: 0, messages: 0 });
  });
});

describe('the uplink stream across leaders', () => {
  it('hands the next leader what the standbys sent after the last one stopped reading, in order', async () => {
    const s = settings('node-b');
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    const first = reader('node-a', s);
    const a = await first.open();
    publisher.publish(telemetry('br-1', 70));
    await waitFor(() => first.got.length === 1, 'the first leader reads the first reading');
    await a.close(); // the leader dies (or is stopped)

    for (const hr of [71, 72, 73]) publisher.publish(telemetry('br-1', hr));
    const { raw, key } = rawStream(s);
    await waitFor(async () => (await raw.xlen(key)) === 2, 'the three readings are in the stream, in one entry');

    const next = reader('node-c', s);
    await next.open();
    await waitFor(() => next.got.length === 3, 'the next leader reads the three readings sent between the leaders');
    expect(next.hrs()).toEqual([71, 72, 73]);
    expect(first.hrs()).toEqual([70]); // nothing twice
  });

  it('drops, and counts, each message older than the staleness bound on arrival, not its whole entry', async () => {
    const s = settings('node-b');
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    // The leader's clock is past the bound for the first reading, not for the second.
    const now = Date.now();
    const leader = reader('node-a', s, () => now + STALE_AFTER_MS + 1_000);
    const subscriber = await leader.open();
    publisher.publish(telemetry('br-2', 60, now));
    publisher.publish(telemetry('br-2', 61, now + 5_000));
    await waitFor(() => subscriber.stale === 1 && leader.got.length === 1, 'one stale, one taken');
    expect(leader.hrs()).toEqual([61]);
    expect(subscriber.refused).toBe(0);
    expect(await rawStream(s).sizes()).toEqual([2]);
  });

  it('keeps the stream within its length bound in messages, however many an entry holds, when nobody reads it', async () => {
    const s = settings('node-b', { streamMaxMessages: 2_000, entryWaitMs: 0 });
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    const stream = rawStream(s);
    const turns = async (p: UplinkPublisher, count: number, perTurn: number) => {
      const before = p.written.entries;
      for (const turn of range(count)) {
        for (const k of range(perTurn)) p.publish(telemetry('br-3', turn * perTurn + k));
        await nextTurn();
      }
      await waitFor(() => p.written.entries === before + count, 'every entry to be written');
    };
    const messagesKept = async () => (await stream.sizes()).reduce((a, b) => a + b, 0);
    // MAXLEN ~ trims whole radix-tree nodes (at most 100 entries, 4 KiB): at most a node over the bound.
    await turns(publisher, 3_000, 1);
    expect(await stream.raw.xlen(stream.key)).toBeGreaterThanOrEqual(2_000);
    expect(await stream.raw.xlen(stream.key)).toBeLessThanOrEqual(2_100);

    await turns(publisher, 1_000, 10); // ten times fuller entries: a tenth as many kept
    expect(await stream.raw.xlen(stream.key)).toBeLessThanOrEqual(300);
    expect(await messagesKept()).toBeGreaterThanOrEqual(2_000);
    expect(await messagesKept()).toBeLessThanOrEqual(3_000);

    // A burst of full entries after many small ones trims only what it replaces.
    await turns(publisher, 500, 1);
    await turns(publisher, 2, UPLINK_ENTRY_LIMITS.maxMessages);
    expect(await messagesKept()).toBeGreaterThanOrEqual(2_000);

    // A standby that starts knows nothing of the entries before its own: it keeps them as if one message each.
    const restarted = keep(await UplinkPublisher.open(s), (p) => p.close());
    await turns(restarted, 1, 10);
    expect(await messagesKept()).toBeGreaterThanOrEqual(2_000);
    expect(publisher.dropped + restarted.dropped).toBe(0);
  });

  it('makes the stream and its group again when Redis lost them, and goes on reading', async () => {
    const s = settings('node-b');
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    const leader = reader('node-a', s);
    await leader.open();
    const { raw, key } = rawStream(s);
    await raw.del(key); // as after a restart of a Redis that keeps nothing
    // Readings sent until the reader has made the group again are lost (at most once); then they flow.
    let hr = 100;
    await waitFor(() => {
      publisher.publish(telemetry('br-4', hr++));
      return leader.got.length > 0;
    }, 'readings reach the leader again');
  });

  it('reads the b or m field of an entry, and reports an entry without one', () => {
    const reply = [['k', [['1-0', ['m', 'a']], ['2-0', ['x', 'b']], ['3-0', ['x', 'c', 'b', 'd']], ['4-0', ['b', 7]]]]];
    expect(entryFields(reply)).toEqual([{ field: 'm', text: 'a' }, undefined, { field: 'b', text: 'd' }, undefined]);
    expect(entryFields(null)).toEqual([]);
  });
});
