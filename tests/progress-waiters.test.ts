/** Waiting for a replica's journal line (hub/core/progress-waiters.ts) and reading X-Hub-After (hub/core/journal-position.ts). */
import { describe, expect, it } from 'vitest';
import { parseJournalLine } from '../hub/core/journal-position.js';
import { ProgressWaiters } from '../hub/core/progress-waiters.js';

describe('ProgressWaiters', () => {
  it('resolves at once when the counter is already there, and each wait once its own target is reached', async () => {
    let value = 5;
    const waiters = new ProgressWaiters(() => value);
    expect(await waiters.reach(5, 0)).toBe(true);
    const seven = waiters.reach(7, 60_000);
    const nine = waiters.reach(9, 60_000);
    const settled: string[] = [];
    void seven.then(() => settled.push('seven'));
    void nine.then(() => settled.push('nine'));
    value = 8;
    waiters.advance(8);
    expect(await seven).toBe(true);
    expect(settled).toEqual(['seven']);
    expect(waiters.size).toBe(1);
    value = 9;
    waiters.advance(9);
    expect(await nine).toBe(true);
    expect(waiters.size).toBe(0);
  });

  it('is false at the bound, or when the waits are cancelled, and leaves nothing waiting', async () => {
    const waiters = new ProgressWaiters(() => 0);
    expect(await waiters.reach(1, 10)).toBe(false);
    expect(await waiters.reach(1, 0)).toBe(false);
    const cancelled = waiters.reach(3, 60_000);
    waiters.cancelAll();
    expect(await cancelled).toBe(false);
    expect(waiters.size).toBe(0);
  });
});

describe('X-Hub-After', () => {
  it('is one non-negative whole number; anything else is invalid, absent is undefined', () => {
    expect(parseJournalLine(undefined)).toBeUndefined();
    expect(parseJournalLine('0')).toBe(0);
    expect(parseJournalLine('1234')).toBe(1234);
    for (const bad of ['', '-1', '1.5', '12abc', ' 12', '1e3', '9'.repeat(16)]) expect(parseJournalLine(bad), bad).toBe('invalid');
    expect(parseJournalLine(['1', '2'])).toBe('invalid');
  });
});
