/** Daily windows in the hub's zone: crossing midnight, counting only in-window time, and daylight saving. */
import { describe, expect, it } from 'vitest';
import { addWindowTime, inWindow, isInWindow, windowFrom, windowTimeBetween } from '../../hub/rules/time-of-day.js';

const HOUR = 3_600_000;
const day = windowFrom('07:00', '22:00');
const night = windowFrom('22:00', '06:00');

describe('time of day', () => {
  it('handles windows that cross midnight, start inclusive, end exclusive', () => {
    expect(inWindow(22 * 60, night)).toBe(true);
    expect(inWindow(5 * 60 + 59, night)).toBe(true);
    expect(inWindow(6 * 60, night)).toBe(false);
    expect(inWindow(21 * 60 + 59, night)).toBe(false);
  });

  it('reads the same instant in the configured zone', () => {
    const instant = Date.parse('2026-11-24T15:00:00Z'); // 23:00 in Shanghai, 15:00 in London
    expect(isInWindow(instant, night, 'Asia/Shanghai')).toBe(true);
    expect(isInWindow(instant, night, 'Europe/London')).toBe(false);
  });

  it('counts only in-window time, continuing the next morning', () => {
    const tz = 'Asia/Shanghai';
    expect(addWindowTime(Date.parse('2026-11-24T08:00:00+08:00'), 12 * HOUR, day, tz)).toBe(Date.parse('2026-11-24T20:00:00+08:00'));
    expect(addWindowTime(Date.parse('2026-11-24T21:00:00+08:00'), 12 * HOUR, day, tz)).toBe(Date.parse('2026-11-25T18:00:00+08:00'));
    expect(addWindowTime(Date.parse('2026-11-24T23:30:00+08:00'), 2 * HOUR, day, tz)).toBe(Date.parse('2026-11-25T09:00:00+08:00'));
    expect(windowTimeBetween(Date.parse('2026-11-24T21:00:00+08:00'), Date.parse('2026-11-25T09:00:00+08:00'), day, tz)).toBe(3 * HOUR);
  });

  it('stays on the local clock across daylight-saving changes', () => {
    const tz = 'Europe/London';
    // Clocks go forward at 01:00 UTC on 29 March 2026: the window opens at 07:00 BST = 06:00 UTC.
    expect(addWindowTime(Date.parse('2026-03-28T21:00:00Z'), 2 * HOUR, day, tz)).toBe(Date.parse('2026-03-29T07:00:00Z'));
    // Clocks go back at 01:00 UTC on 25 October 2026: 07:00 GMT = 07:00 UTC.
    expect(addWindowTime(Date.parse('2026-10-24T20:00:00Z'), 2 * HOUR, day, tz)).toBe(Date.parse('2026-10-25T08:00:00Z'));
  });
});
