import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../hub/core/logger.js';
import { webhookRefresh } from '../hub/compose/webhook-refresh.js';

afterEach(() => vi.useRealTimers());

describe('the webhook list read again on every node (HUB_PARTITIONS=spread)', () => {
  it('reads it every period, one read at a time, and a reload that throws at once or rejects never escapes', async () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    let mode: 'ok' | 'throw' | 'reject' = 'throw';
    const service = webhookRefresh(
      () => {
        calls.push(mode);
        if (mode === 'throw') throw new TypeError('not built yet');
        return mode === 'reject' ? Promise.reject(new Error('database down')) : Promise.resolve();
      },
      silentLogger(),
      1_000,
    );
    await service.start();
    await vi.advanceTimersByTimeAsync(1_000);
    mode = 'reject';
    await vi.advanceTimersByTimeAsync(1_000);
    mode = 'ok';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual(['throw', 'reject', 'ok']);
    await service.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toHaveLength(3);
  });
});
