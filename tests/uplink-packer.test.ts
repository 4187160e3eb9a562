/**
 * The standby's uplink entries (hub/cluster/uplink-packer.ts): what arrives
 * within the wait goes in one entry, sent when the first message has waited
 * `maxWaitMs`; an entry never passes its caps; with no wait, one event-loop
 * turn's messages; nothing is left behind at a flush. Fake timers: the waits
 * are the subject.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EntryPacker } from '../hub/cluster/uplink-packer.js';

let sent: string[][];
beforeEach(() => {
  sent = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

const packer = (limits: Partial<ConstructorParameters<typeof EntryPacker>[0]> = {}) =>
  new EntryPacker({ maxMessages: 512, maxChars: 128 * 1024, maxWaitMs: 10, ...limits }, (items) => void sent.push(items));

describe('EntryPacker', () => {
  it('sends what came within the wait as one entry, once the first message has waited maxWaitMs', () => {
    const p = packer();
    p.add('a');
    vi.advanceTimersByTime(6);
    p.add('b');
    p.add('c');
    vi.advanceTimersByTime(3);
    expect(sent).toEqual([]); // 9 ms after the first: still waiting
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([['a', 'b', 'c']]);
    p.add('d'); // a new entry, a new wait from its own first message
    vi.advanceTimersByTime(9);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('sends at once at the message cap or before the character cap, and the rest waits afresh', () => {
    const p = packer({ maxMessages: 3, maxChars: 10 });
    p.add('1');
    p.add('2');
    p.add('3');
    expect(sent).toEqual([['1', '2', '3']]);
    p.add('xxxx');
    p.add('yyyy'); // 'xxxx,' + 'yyyy' is 9 characters: fits
    p.add('zz'); // would pass 10: the entry goes first
    expect(sent).toEqual([['1', '2', '3'], ['xxxx', 'yyyy']]);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([['1', '2', '3'], ['xxxx', 'yyyy'], ['zz']]);
  });

  it('with no wait, sends one event-loop turn\u2019s messages at its end', () => {
    const p = packer({ maxWaitMs: 0 });
    p.add('a');
    p.add('b');
    expect(sent).toEqual([]);
    vi.runOnlyPendingTimers(); // setImmediate
    expect(sent).toEqual([['a', 'b']]);
  });

  it('flush sends what waits now and leaves no timer behind', () => {
    const p = packer();
    p.add('a');
    p.flush();
    expect(sent).toEqual([['a']]);
    expect(vi.getTimerCount()).toBe(0);
    p.flush();
    expect(sent).toHaveLength(1);
  });
});
