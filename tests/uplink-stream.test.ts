/**
 * The Redis stream that carries telemetry, status and connections from the
 * standbys to the leader (hub/cluster/uplink-bus.ts, docs/CLUSTER.md
 * "Forwarding to the leader"), against this machine's Redis: what the
 * standbys send while no leader reads reaches the next leader (pub/sub lost
 * it), a backlog too old is dropped and counted instead of being taken in
 * as new, the stream stays within its length bound, and a stream that Redis
 * lost (a restart without data) is made again by the reader.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { entryTexts, STALE_AFTER_MS, UplinkPublisher, UplinkSubscriber, type ForwardedMessage } from '../hub/cluster/uplink-bus.js';
import { silentLogger } from '../hub/core/logger.js';
import { useCleanup } from './helpers/cleanup.js';
import { useRedisNamespace } from './helpers/redis-namespace.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();
const redis = useRedisNamespace();
const log = silentLogger();
let streams = 0;

/** Each test its own stream under the file's prefix. */
function settings(nodeId: string, extra: { streamMaxEntries?: number } = {}) {
  return { redisUrl: redis.url, redisPrefix: `${redis.prefix}t${streams}:`, nodeId, log, ...extra };
}

const telemetry = (deviceId: string, hr: number, receivedAt = Date.now()): ForwardedMessage => ({
  kind: 'uplink',
  node: 'node-b',
  deviceId,
  channel: 'telemetry',
  payload: Buffer.from(JSON.stringify({ hr })),
  receivedAt,
});

function reader(nodeId: string, s: ReturnType<typeof settings>, now?: () => number) {
  const got: ForwardedMessage[] = [];
  const open = async () => keep(await UplinkSubscriber.open({ ...s, nodeId }, (m) => got.push(m), now), (r) => r.close());
  const hrs = () => got.map((m) => (m.kind === 'uplink' ? (JSON.parse(m.payload.toString()) as { hr: number }).hr : -1));
  return { got, open, hrs };
}

describe('the uplink stream', () => {
  it('hands the next leader what the standbys sent after the last one stopped reading, in order', async () => {
    streams++;
    const s = settings('node-b');
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    const first = reader('node-a', s);
    const a = await first.open();
    publisher.publish(telemetry('br-1', 70));
    await waitFor(() => first.got.length === 1, 'the first leader reads the first reading');
    await a.close(); // the leader dies (or is stopped)

    for (const hr of [71, 72, 73]) publisher.publish(telemetry('br-1', hr));
    const raw = keep(new Redis(redis.url), (r) => r.quit());
    await waitFor(async () => (await raw.xlen(`${s.redisPrefix}uplink`)) >= 4, 'the three readings are in the stream');

    const next = reader('node-c', s);
    await next.open();
    await waitFor(() => next.got.length === 3, 'the next leader reads the three readings sent between the leaders');
    expect(next.hrs()).toEqual([71, 72, 73]);
    expect(first.hrs()).toEqual([70]); // nothing twice
  });

  it('drops, and counts, what is older than the staleness bound on arrival', async () => {
    streams++;
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
  });

  it('keeps the stream within its length bound when nobody reads it', async () => {
    streams++;
    const s = settings('node-b', { streamMaxEntries: 200 });
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    const raw = keep(new Redis(redis.url), (r) => r.quit());
    for (let i = 0; i < 5_000; i++) publisher.publish(telemetry('br-3', i % 200));
    // The publisher never waits; its writes are pipelined. One more round trip on the same connection orders after them.
    await waitFor(async () => (await raw.xrevrange(`${s.redisPrefix}uplink`, '+', '-', 'COUNT', 1)).length === 1, 'the stream exists');
    await waitFor(async () => {
      const last = await raw.xrevrange(`${s.redisPrefix}uplink`, '+', '-', 'COUNT', 1);
      return JSON.parse(last[0]![1][1]!).payload === Buffer.from(JSON.stringify({ hr: 4_999 % 200 })).toString('base64');
    }, 'the last reading is in');
    const length = await raw.xlen(`${s.redisPrefix}uplink`);
    // MAXLEN ~ trims whole radix-tree nodes (100 entries by default): at most one node over the bound.
    expect(length).toBeGreaterThanOrEqual(200);
    expect(length).toBeLessThanOrEqual(300);
    expect(publisher.dropped).toBe(0);
  });

  it('makes the stream and its group again when Redis lost them, and goes on reading', async () => {
    streams++;
    const s = settings('node-b');
    const publisher = keep(await UplinkPublisher.open(s), (p) => p.close());
    const leader = reader('node-a', s);
    await leader.open();
    const raw = keep(new Redis(redis.url), (r) => r.quit());
    await raw.del(`${s.redisPrefix}uplink`); // as after a restart of a Redis that keeps nothing
    // Readings sent until the reader has made the group again are lost (at most once); then they flow.
    let hr = 100;
    await waitFor(() => {
      publisher.publish(telemetry('br-4', hr++));
      return leader.got.length > 0;
    }, 'readings reach the leader again');
  });

  it('reads only the m field of an entry, and reports an entry without one', () => {
    const reply = [['k', [['1-0', ['m', 'a']], ['2-0', ['x', 'b']], ['3-0', ['x', 'c', 'm', 'd']]]]];
    expect(entryTexts(reply)).toEqual(['a', undefined, 'd']);
    expect(entryTexts(null)).toEqual([]);
  });
});
