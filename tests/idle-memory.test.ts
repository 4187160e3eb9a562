/**
 * Issue 14 item 3: the heap a burst leaves behind goes back once the hub is
 * quiet (hub/ops/idle-memory.ts). When it does, and when it must not (steady
 * traffic, a burst that left little, after stop) on a stepped sampler; the
 * inspector collection itself, on this process's real V8 heap; and a real hub
 * doing it once it is up.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { beginPause, endPause } from '../hub/core/deliberate-pauses.js';
import { createLogger } from '../hub/core/logger.js';
import { eventLoopSampler } from '../hub/ingest/load-shedder.js';
import { BUSY_UTILISATION, IdleMemory, inspectorReturnHeap, MIN_SLACK_BYTES, QUIET_UTILISATION } from '../hub/ops/idle-memory.js';
import { logSink } from './helpers/log-sink.js';
import { startTestHub } from './helpers/test-hub.js';
import { waitFor } from './helpers/wait-for.js';

const BUSY = BUSY_UTILISATION;
const QUIET = QUIET_UTILISATION / 2;
const STEADY = 0.2; // telemetry flowing: neither a burst nor quiet

let running: IdleMemory[] = [];
afterEach(() => {
  for (const r of running) r.stop();
  running = [];
});

function reducer(opts: { slack?: number; fail?: boolean } = {}) {
  const samples: number[] = [];
  const returns: number[] = [];
  const sink = logSink();
  let slack = opts.slack ?? MIN_SLACK_BYTES * 2;
  const idle = new IdleMemory({
    sample: () => samples.shift() ?? 0,
    returnHeap: async () => {
      returns.push(returns.length);
      if (opts.fail) throw new Error('no inspector here');
    },
    log: createLogger('debug', sink.stream),
    slackBytes: () => slack,
  });
  running.push(idle);
  /** Feeds utilisation samples one check each; resolves after the returns they caused have settled. */
  const feed = async (...values: number[]) => {
    for (const v of values) {
      samples.push(v);
      idle.check();
      await Promise.resolve();
    }
  };
  return { idle, returns, feed, lines: sink.lines, setSlack: (bytes: number) => (slack = bytes) };
}

describe('IdleMemory', () => {
  it('gives the heap back once right after the start, and not again while nothing happens', async () => {
    const { idle, returns, feed, lines } = reducer();
    idle.start();
    await waitFor(() => lines.some((l) => l.msg === 'idle heap returned'), 'the start collection');
    expect(returns).toHaveLength(1);
    expect(lines.find((l) => l.msg === 'idle heap returned')).toMatchObject({ why: 'start', level: 20 });
    await feed(QUIET, QUIET, QUIET, QUIET, QUIET, QUIET);
    expect(returns).toHaveLength(1);
  });

  it('after a burst, waits for two quiet seconds, then gives the heap back once', async () => {
    const { returns, feed } = reducer();
    await feed(BUSY, 1, 0.9, QUIET);
    expect(returns).toHaveLength(0);
    await feed(QUIET);
    expect(returns).toHaveLength(1);
    await feed(QUIET, QUIET, QUIET);
    expect(returns).toHaveLength(1);
    // The next burst is cleaned up after too.
    await feed(BUSY, QUIET, QUIET);
    expect(returns).toHaveLength(2);
  });

  it('never pauses steady traffic: no burst, or traffic that goes on after one, gives nothing back', async () => {
    const { returns, feed } = reducer();
    await feed(STEADY, STEADY, QUIET, QUIET, QUIET, STEADY, QUIET, QUIET);
    expect(returns).toHaveLength(0);
    await feed(BUSY, STEADY, QUIET, STEADY, QUIET, STEADY);
    expect(returns).toHaveLength(0);
    await feed(QUIET, QUIET);
    expect(returns).toHaveLength(1);
  });

  it('leaves a burst that left little unused heap alone, and forgets it', async () => {
    const { returns, feed, setSlack } = reducer({ slack: MIN_SLACK_BYTES - 1 });
    await feed(BUSY, QUIET, QUIET, QUIET);
    expect(returns).toHaveLength(0);
    setSlack(MIN_SLACK_BYTES * 4);
    await feed(QUIET, QUIET, QUIET);
    expect(returns).toHaveLength(0);
  });

  it('does nothing once stopped, and a collection that fails is logged, not thrown', async () => {
    const stopped = reducer();
    stopped.idle.stop();
    stopped.idle.start();
    await stopped.feed(BUSY, QUIET, QUIET);
    expect(stopped.returns).toHaveLength(0);

    const failing = reducer({ fail: true });
    await failing.feed(BUSY, QUIET, QUIET);
    await waitFor(() => failing.lines.some((l) => l.msg === 'idle heap not returned'), 'the failure logged');
    expect(failing.returns).toHaveLength(1);
  });
});

describe('the inspector collection', () => {
  const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!;

  it('shrinks a grown young generation back to its initial size and compacts the rest', async () => {
    // Objects that survive several scavenges make V8 grow the young generation, as a start or a storm does.
    let keep: object[] = [];
    for (let i = 0; i < 400_000; i++) keep.push({ i, tag: `item-${i}`, list: [i] });
    const grown = newSpace().space_size;
    keep = [];
    const returnHeap = await inspectorReturnHeap();
    expect(returnHeap).toBeDefined();
    await returnHeap!();
    const after = newSpace();
    expect(after.space_size).toBeLessThan(grown);
    expect(after.physical_space_size).toBeLessThanOrEqual(after.space_size);
    // And the process goes on: the session is gone, timers still run.
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});

describe('the pause', () => {
  const spin = (ms: number) => {
    for (const until = performance.now() + ms; performance.now() < until; );
  };

  it('is left out of the utilisation the load shedder reads: a collection made while quiet is not overload', () => {
    const sample = eventLoopSampler();
    spin(120);
    expect(sample()).toBeGreaterThan(0.9); // the same busy time, not marked: overload
    beginPause();
    spin(120);
    endPause();
    expect(sample()).toBeLessThan(0.2);
  });
});

describe('a hub', () => {
  it('gives back its start\'s heap once it is up (HubOps starts it after the probe and metrics load)', async () => {
    const sink = logSink();
    const hub = await startTestHub({ log: createLogger('debug', sink.stream) });
    try {
      await waitFor(() => sink.lines.some((l) => l.msg === 'idle heap returned'), "the hub's start collection");
      expect(sink.lines.find((l) => l.msg === 'idle heap returned')).toMatchObject({ module: 'ops', why: 'start' });
      expect(sink.lines.filter((l) => l.msg === 'idle heap not returned')).toEqual([]);
    } finally {
      await hub.stop();
    }
  });
});
