/** Daily windows in the hub's zone: crossing midnight, counting only in-window time, and daylight saving. */
import { describe, expect, it } from 'vitest';
import { addWindowTime, inWindow, isInWindow, localTime, minuteOfDay, parseHhmm, windowFrom, windowTimeBetween } from '../../hub/rules/time-of-day.js';

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

  it('reads the local minute of day as the zone’s own clock shows it, to the millisecond, in zones with odd offsets and across daylight saving', () => {
    const zones = ['Asia/Shanghai', 'Europe/London', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham'];
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const from = Date.parse('2026-01-01T00:00:00Z');
    for (const timeZone of zones) {
      const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
      for (let i = 0; i < 400; i++) {
        const at = from + Math.floor(random() * 365 * 24 * HOUR);
        const p = Object.fromEntries(clock.formatToParts(at).map((part) => [part.type, part.value]));
        const expected = Number(p.hour) * 60 + Number(p.minute) + (Number(p.second) + (at % 1000) / 1000) / 60;
        expect(minuteOfDay(at, timeZone)).toBe(expected);
        expect(localTime(at, timeZone)).toEqual({ minuteOfDay: expected, date: `${p.year}-${p.month}-${p.day}` });
      }
    }
  });

  it('reads a time of day once, and refuses one that is not HH:MM every time', () => {
    expect(parseHhmm('07:30')).toBe(450);
    expect(parseHhmm('07:30')).toBe(450);
    for (const bad of ['7:30', '24:00', '07:60', 'noon']) {
      expect(() => parseHhmm(bad)).toThrow(/not a time of day/);
      expect(() => parseHhmm(bad)).toThrow(/not a time of day/);
    }
  });
});
