import { describe, expect, it } from 'vitest';
import { nightExitRule } from '../../hub/rules/catalog/night-exit.js';
import { at, event, MIN, play, resident, RuleHarness, telemetry, type Scenario } from './rule-harness.js';

const open = event('door_sensor', 'open');
const close = event('door_sensor', 'close');
const atHome = telemetry('bracelet', { heartRate: 70, location: { room: 'bedroom' } });
const noLocation = telemetry('bracelet', { heartRate: 70 });
const outside = telemetry('bracelet', { heartRate: 70, location: { lat: 30.65, lon: 104.06 } });
const N = at('2026-01-15T23:00:00Z');
const dementia = { resident: resident({ conditions: ['dementia'] }) };

const table: Scenario<typeof nightExitRule.params>[] = [
  { name: 'opened at night, no return: high at open + 10 min', steps: [[N, open], [N + 30 * MIN]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
  { name: 'closed, then the bracelet at home (room): cancelled', steps: [[N, open], [N + MIN, close], [N + 5 * MIN, atHome], [N + 30 * MIN]], expected: [] },
  { name: 'closed, then the bracelet with no location: cancelled', steps: [[N, open], [N + MIN, close], [N + 5 * MIN, noLocation], [N + 30 * MIN]], expected: [] },
  { name: 'closed, then a bracelet event (no location): cancelled', steps: [[N, open], [N + MIN, close], [N + 2 * MIN, event('bracelet', 'worn')], [N + 30 * MIN]], expected: [] },
  { name: 'closed, then a GPS fix (outside): still raised', steps: [[N, open], [N + MIN, close], [N + 5 * MIN, outside], [N + 30 * MIN]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
  { name: 'bracelet at home but no close: raised', steps: [[N, open], [N + 5 * MIN, atHome], [N + 30 * MIN]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
  { name: 'bracelet activity before the close does not count', steps: [[N, open], [N + MIN, atHome], [N + 2 * MIN, close], [N + 30 * MIN]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
  { name: 'a bracelet off the wrist proves nothing', steps: [[N, open], [N + MIN, close], [N + 2 * MIN, telemetry('bracelet', { worn: false, location: { room: 'hall' } })], [N + 30 * MIN]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
  { name: 'a bracelet taken off earlier proves nothing', steps: [[N - 60 * MIN, event('bracelet', 'removed')], [N, open], [N + MIN, close], [N + 2 * MIN, noLocation], [N + 30 * MIN]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
  { name: 'the return seen exactly at the deadline is too late', steps: [[N, open], [N + MIN, close], [N + 10 * MIN, atHome]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
  { name: 'the return seen one second before the deadline is in time', steps: [[N, open], [N + MIN, close], [N + 10 * MIN - 1000, atHome], [N + 30 * MIN]], expected: [] },
  { name: 'reopened: the close must follow the latest opening', steps: [[N, open], [N + MIN, close], [N + 2 * MIN, open], [N + 3 * MIN, atHome], [N + 30 * MIN]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
  { name: 'reopened, closed again and back: cancelled', steps: [[N, open], [N + MIN, close], [N + 2 * MIN, open], [N + 3 * MIN, close], [N + 4 * MIN, atHome], [N + 30 * MIN]], expected: [] },
  { name: 'opened one minute before the window (21:59): nothing', steps: [[at('2026-01-15T21:59:00Z'), open], [at('2026-01-16T00:00:00Z')]], expected: [] },
  { name: 'opened exactly at the start of the window (22:00)', steps: [[at('2026-01-15T22:00:00Z'), open], [at('2026-01-16T00:00:00Z')]], expected: ['raise high night_exit @2026-01-15T22:10:00Z'] },
  { name: 'opened one minute before the end (05:59)', steps: [[at('2026-01-16T05:59:00Z'), open], [at('2026-01-16T07:00:00Z')]], expected: ['raise high night_exit @2026-01-16T06:09:00Z'] },
  { name: 'opened exactly at the end of the window (06:00): nothing', steps: [[at('2026-01-16T06:00:00Z'), open], [at('2026-01-16T07:00:00Z')]], expected: [] },
  { name: 'the deadline crosses midnight', steps: [[at('2026-01-15T23:55:00Z'), open], [at('2026-01-16T01:00:00Z')]], expected: ['raise high night_exit @2026-01-16T00:05:00Z'] },
  { name: 'dementia: high at once, no waiting', options: dementia, steps: [[N, open], [N + MIN, close], [N + 2 * MIN, atHome], [N + 30 * MIN]], expected: ['raise high night_exit @2026-01-15T23:00:00Z'] },
  { name: 'dementia in the day: nothing', options: dementia, steps: [[at('2026-01-15T14:00:00Z'), open]], expected: [] },
  { name: 'the same instant is night in Shanghai (23:00 local)', options: { timezone: 'Asia/Shanghai' }, steps: [[at('2026-01-15T15:00:00Z'), open], [at('2026-01-15T16:00:00Z')]], expected: ['raise high night_exit @2026-01-15T15:10:00Z'] },
  { name: '…and day in London (15:00 local)', options: { timezone: 'Europe/London' }, steps: [[at('2026-01-15T15:00:00Z'), open], [at('2026-01-15T16:00:00Z')]], expected: [] },
  { name: 'a resident\'s own night window (from 20:00)', options: { params: { nightStart: '20:00' } }, steps: [[at('2026-01-15T20:30:00Z'), open], [at('2026-01-15T21:00:00Z')]], expected: ['raise high night_exit @2026-01-15T20:40:00Z'] },
  { name: 'a longer grace period (20 min)', options: { params: { returnMinutes: 20 } }, steps: [[N, open], [N + 60 * MIN]], expected: ['raise high night_exit @2026-01-15T23:20:00Z'] },
  { name: 'no resident record: waits as usual', options: { resident: null }, steps: [[N, open], [N + 60 * MIN]], expected: ['raise high night_exit @2026-01-15T23:10:00Z'] },
];

describe('night exit rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(nightExitRule, options), steps)).toEqual(expected);
  });

  it('asks to be woken at open + 10 min and cancels the wake-up on a return', () => {
    const h = new RuleHarness(nightExitRule);
    h.send(N, open);
    expect(h.wakeAt).toBe(N + 10 * MIN);
    expect(h.state?.pending).toEqual({ doorId: 'dor-1', openedAt: N });
    h.send(N + MIN, close);
    expect(h.wakeAt).toBe(N + 10 * MIN);
    h.send(N + 2 * MIN, atHome);
    expect(h.wakeAt).toBeUndefined();
    expect(h.state?.pending).toBeUndefined();
  });

  it('names the door and when it opened', () => {
    const h = new RuleHarness(nightExitRule);
    h.send(N, event('door_sensor', 'open', {}, 'dor-back'));
    expect(h.wake()).toEqual([
      { kind: 'night_exit', severity: 'high', homeId: 'home-1', deviceId: 'dor-back', title: 'Door opened at night and the resident has not come back', details: { openedAt: '2026-01-15T23:00:00.000Z', closed: false } },
    ]);
  });
});
