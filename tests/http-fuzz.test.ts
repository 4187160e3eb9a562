/**
 * Issue 10 item 1, short version of tests/long/http-fuzz.ts: a few thousand
 * mutated HTTP and WebSocket sessions (fixed seed, so a failure replays)
 * against the hub process; it stays up, answers no request with a 5xx, its
 * stream still opens, and a device's SOS over real MQTT still becomes an
 * alert the API lists.
 */
import { describe, expect, it } from 'vitest';
import { runHttpFuzz } from './long/http-fuzz.js';

const SEED = Number(process.env.HTTP_FUZZ_SEED ?? 1);

describe('HTTP and WebSocket fuzzer (short)', () => {
  it('survives 1,500 mutated sessions and still raises an SOS alert', async () => {
    const f = await runHttpFuzz({ sessions: 1_500, concurrency: 32, seed: SEED, slowHolders: 20 });
    expect({ hubAlive: f.hubAlive, health: f.healthStatus, streamOpens: f.streamOpens, sosAfter: f.sosAfter }).toEqual({
      hubAlive: true,
      health: 200,
      streamOpens: true,
      sosAfter: { acked: true, listed: true },
    });
    expect(Object.keys(f.byStatus).filter((s) => s.startsWith('5'))).toEqual([]);
    expect(f.hubErrors).toEqual([]);
    expect(f.probe.sent).toBeGreaterThan(0);
    expect(f.probe.acked).toBe(f.probe.sent);
    expect(Object.keys(f.byKind).length).toBe(11);
  }, 90_000);
});
