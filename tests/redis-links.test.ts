/**
 * A node's Redis state from ioredis' own connection events
 * (hub/cluster/redis-links.ts), and the alarm PUBACK that depends on it
 * (hub/cluster/redis-ack-gate.ts): real ioredis connections to this
 * machine's Redis through a TCP proxy the test cuts. The whole node, leader
 * and standby, in tests/cluster-loss.test.ts.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ackAlarmsOnlyWithRedis, AckWithheldError } from '../hub/cluster/redis-ack-gate.js';
import { RedisLinks } from '../hub/cluster/redis-links.js';
import { createLogger } from '../hub/core/logger.js';
import { useCleanup } from './helpers/cleanup.js';
import { logSink } from './helpers/log-sink.js';
import { TEST_REDIS_URL } from './helpers/redis-namespace.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { waitFor } from './helpers/wait-for.js';

const keep = useCleanup();

/** Two ready connections through one proxy, watched; the log lines the state wrote. */
async function watchedThroughProxy() {
  const target = new URL(TEST_REDIS_URL);
  const proxy = keep(await startTcpProxy(Number(target.port || 6379)), (p) => p.close());
  const sink = logSink();
  const links = new RedisLinks(createLogger('info', sink.stream), 'redis://test');
  const open = async () => {
    const conn = keep(new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 50, lazyConnect: true }), (c) => c.disconnect());
    conn.on('error', () => undefined);
    await conn.connect();
    links.watch(conn);
    return conn;
  };
  const conns = [await open(), await open()];
  const said = (pattern: RegExp) => sink.lines.filter((l) => pattern.test(l.msg));
  return { proxy, links, conns, said };
}

describe("a node's Redis state", () => {
  it('is up while every connection is ready, down from the moment one goes, up again once all are back; one line each way', async () => {
    const { proxy, links, conns, said } = await watchedThroughProxy();
    expect(links.up).toBe(true);
    await proxy.cut();
    await waitFor(() => !links.up, 'the state to see the cut');
    await proxy.restore();
    await waitFor(() => links.up, 'both connections back');
    expect(await conns[1]!.ping()).toBe('PONG');
    expect(said(/REDIS LOST/)).toHaveLength(1);
    expect(said(/REDIS LOST/)[0]!.level).toBe(50); // an error, not fatal: the node goes on
    expect(said(/Redis answers again/)).toHaveLength(1);
  });

  it('counts a connection closed on purpose as no loss, and nothing is logged when the node stops', async () => {
    const { links, conns, said } = await watchedThroughProxy();
    links.forget(conns[0]!);
    conns[0]!.disconnect();
    expect(links.up).toBe(true);
    conns[1]!.disconnect(); // not forgotten first: its `end` is recognised as closed on purpose
    await waitFor(() => conns[1]!.status === 'end', 'the second connection to end');
    await new Promise((resolve) => setImmediate(resolve)); // its events come a tick after the status
    expect(links.up).toBe(false); // nothing watched any more
    expect(said(/REDIS LOST|answers again/)).toEqual([]);
  });
});

describe('alarms acknowledged only with Redis', () => {
  const stored: string[] = [];
  const store = (_deviceId: string, channel: string, payload: Buffer) => {
    stored.push(`${channel}:${payload.toString()}`);
    return channel === 'event' ? Promise.resolve() : undefined;
  };
  const quiet = createLogger('silent');

  it('stores an alarm and then withholds its PUBACK while Redis is down; telemetry is acked as before; alarms are acked again once it is back', async () => {
    const redis = { up: false };
    const handle = ackAlarmsOnlyWithRedis(redis, store, quiet);
    await expect(handle('brc-1', 'event', Buffer.from('sos 1'))).rejects.toBeInstanceOf(AckWithheldError);
    expect(stored).toContain('event:sos 1'); // stored first: operators see it
    expect(handle('brc-1', 'telemetry', Buffer.from('hr 70'))).toBeUndefined();
    redis.up = true;
    await expect(handle('brc-1', 'event', Buffer.from('sos 1'))).resolves.toBeUndefined();
  });

  it('judges by the state when the store is done, not when the alarm came', async () => {
    const redis = { up: true };
    let release: () => void = () => undefined;
    const slow = () => new Promise<void>((resolve) => (release = resolve));
    const pending = ackAlarmsOnlyWithRedis(redis, slow, quiet)('brc-2', 'event', Buffer.from('sos 2'))!;
    redis.up = false; // lost while the alarm was being stored
    release();
    await expect(pending).rejects.toBeInstanceOf(AckWithheldError);
  });
});
