import { describe, expect, it } from 'vitest';
import { inactivityRule } from '../../hub/rules/catalog/inactivity.js';
import { at, event, play, resident, RuleHarness, telemetry, TIMER, type Scenario } from './rule-harness.js';

const door = event('door_sensor', 'open');
const steps = (n: number) => telemetry('bracelet', { steps: n, heartRate: 70 });
const D = (hhmm: string, day = 15) => at(`2026-01-${day}T${hhmm}:00Z`);
const away = (until?: string, since = '2026-01-14T09:00:00Z') => ({ resident: resident({ away: { since, until, by: 'operator-1' } }) });

const table: Scenario<typeof inactivityRule.params>[] = [
  { name: 'a door at 08:00, then nothing: medium at 20:00 (12 h of day window)', steps: [[D('08:00'), door], [D('20:30')]], expected: ['raise medium inactivity @2026-01-15T20:00:00Z'] },
  { name: 'nothing one second before the threshold', steps: [[D('08:00'), door], [D('20:00') - 1000]], expected: [] },
  { name: 'activity one second before the threshold restarts the count', steps: [[D('08:00'), door], [D('20:00') - 1000, event('door_sensor', 'close')], [D('20:30')]], expected: [] },
  { name: 'the night does not count: 12:00 → 22:00 is 10 h, the last 2 h come the next morning', steps: [[D('12:00'), door], [D('12:00', 16)]], expected: ['raise medium inactivity @2026-01-16T09:00:00Z'] },
  { name: 'activity at night counts from 07:00', steps: [[D('23:00'), door], [D('23:00', 16)]], expected: ['raise medium inactivity @2026-01-16T19:00:00Z'] },
  { name: 'exactly at the end of the window: 10:00 + 12 h = 22:00', steps: [[D('10:00'), door], [D('23:00')]], expected: ['raise medium inactivity @2026-01-15T22:00:00Z'] },
  {
    name: 'a reminder after another full period of nothing',
    steps: [[D('08:00'), door], [D('20:00', 16)]],
    expected: ['raise medium inactivity @2026-01-15T20:00:00Z', 'raise medium inactivity @2026-01-16T17:00:00Z'],
  },
  { name: 'bracelet steps going up are activity', steps: [[D('08:00'), steps(100)], [D('10:00'), steps(150)], [D('21:00')]], expected: [] },
  { name: 'bracelet steps that do not go up are not', steps: [[D('08:00'), steps(100)], [D('10:00'), steps(100)], [D('21:00')]], expected: ['raise medium inactivity @2026-01-15T20:00:00Z'] },
  { name: 'steps reset at midnight still count when above zero', steps: [[D('21:00'), steps(5000)], [D('07:30', 16), steps(30)], [D('18:00', 16)]], expected: [] },
  { name: 'a step counter back to zero is not activity', steps: [[D('08:00'), steps(5000)], [D('10:00'), steps(0)], [D('21:00')]], expected: ['raise medium inactivity @2026-01-15T20:00:00Z'] },
  { name: 'bracelet movement events (sos, worn…) are activity', steps: [[D('08:00'), door], [D('10:00'), event('bracelet', 'worn')], [D('21:00')]], expected: [] },
  { name: 'a low battery is not activity', steps: [[D('08:00'), door], [D('10:00'), event('bracelet', 'low_battery')], [D('21:00')]], expected: ['raise medium inactivity @2026-01-15T20:00:00Z'] },
  { name: 'taking the bracelet off is not activity', steps: [[D('08:00'), door], [D('10:00'), event('bracelet', 'removed')], [D('21:00')]], expected: ['raise medium inactivity @2026-01-15T20:00:00Z'] },
  { name: 'a door tamper is someone at the door', steps: [[D('08:00'), door], [D('10:00'), event('door_sensor', 'tamper')], [D('21:00')]], expected: [] },
  { name: 'the count starts at the first message, even one that is no activity', steps: [[D('09:00'), event('bracelet', 'low_battery')], [D('22:00')]], expected: ['raise medium inactivity @2026-01-15T21:00:00Z'] },
  { name: 'away: no alert, for days', options: away(), steps: [[D('08:00'), door], [D('08:00', 19)]], expected: [] },
  {
    name: 'away planned from tomorrow: monitored until then, quiet after (issue 13)',
    options: away(undefined, '2026-01-16T00:00:00Z'),
    steps: [[D('08:00'), door], [D('08:00', 19)]],
    expected: ['raise medium inactivity @2026-01-15T20:00:00Z'],
  },
  { name: 'away until a date already past: monitored', options: away('2026-01-15T07:00:00Z'), steps: [[D('08:00'), door], [D('21:00')]], expected: ['raise medium inactivity @2026-01-15T20:00:00Z'] },
  { name: 'away until 12:00: counted from 12:00 (10 h today, 2 h tomorrow)', options: away('2026-01-15T12:00:00Z'), steps: [[D('08:00'), door], [D('12:00', 16)]], expected: ['raise medium inactivity @2026-01-16T09:00:00Z'] },
  { name: 'a resident\'s own period (4 h)', options: { params: { hours: 4 } }, steps: [[D('08:00'), door], [D('13:00')]], expected: ['raise medium inactivity @2026-01-15T12:00:00Z'] },
  { name: 'a resident\'s own window (09:00–17:00)', options: { params: { dayStart: '09:00', dayEnd: '17:00' } }, steps: [[D('08:00'), door], [D('18:00', 16)]], expected: ['raise medium inactivity @2026-01-16T13:00:00Z'] },
  { name: 'Shanghai: 00:00 UTC is 08:00 local, inside the window → 20:00 local', options: { timezone: 'Asia/Shanghai' }, steps: [[D('00:00'), door], [D('00:00', 16)]], expected: ['raise medium inactivity @2026-01-15T12:00:00Z'] },
  { name: 'London: the same instant is midnight, outside the window → from 07:00', options: { timezone: 'Europe/London' }, steps: [[D('00:00'), door], [D('00:00', 16)]], expected: ['raise medium inactivity @2026-01-15T19:00:00Z'] },
];

describe('inactivity rule', () => {
  it.each(table)('$name', ({ options, steps: scenario, expected }) => {
    expect(play(new RuleHarness(inactivityRule, options), scenario)).toEqual(expected);
  });

  it('wakes at the end of the in-window period and moves the wake-up with each activity', () => {
    const h = new RuleHarness(inactivityRule);
    h.send(D('08:00'), door);
    expect(h.wakeAt).toBe(D('20:00'));
    h.send(D('09:00'), steps(10)); // the first reading of a counter: no activity yet
    expect(h.wakeAt).toBe(D('20:00'));
    h.send(D('11:00'), steps(20));
    expect(h.wakeAt).toBe(D('08:00', 16)); // 11 h today, 1 h from 07:00 tomorrow
    expect(h.state).toMatchObject({ since: D('11:00'), lastActivityAt: D('11:00'), steps: { 'brc-1': 20 } });
  });

  it('an early wake-up (a moved clock) only re-arms for the real deadline', () => {
    const h = new RuleHarness(inactivityRule);
    h.send(D('08:00'), door);
    h.wakeAt = D('15:00');
    expect(h.advanceTo(D('15:00'))).toEqual([]);
    expect(h.wakeAt).toBe(D('20:00'));
  });

  it('does not alert while away, and restarts the count when activity resumes', () => {
    const h = new RuleHarness(inactivityRule, away());
    h.send(D('08:00'), door);
    expect(h.advanceTo(D('12:00', 16))).toEqual([]);
    h.resident = resident(); // back home
    h.send(D('12:00', 16), door);
    expect(h.wakeAt).toBe(D('09:00', 17));
    expect(play(h, [[D('10:00', 17)]])).toEqual(['raise medium inactivity @2026-01-17T09:00:00Z']);
  });

  it('a wake-up with no state does nothing', () => {
    const h = new RuleHarness(inactivityRule);
    expect(h.send(D('08:00'), TIMER)).toEqual([]);
    expect(h.state).toBeUndefined();
  });

  it('tells when the resident was last active', () => {
    const h = new RuleHarness(inactivityRule);
    h.send(D('07:30'), door);
    expect(h.wake()).toEqual([
      {
        kind: 'inactivity',
        severity: 'medium',
        homeId: 'home-1',
        deviceId: 'dor-1',
        title: 'No activity for 12 h in the day window',
        details: { lastActivityAt: '2026-01-15T07:30:00.000Z', countedFrom: '2026-01-15T07:30:00.000Z' },
      },
    ]);
  });
});
