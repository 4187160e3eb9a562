import { describe, expect, it } from 'vitest';
import { doorLeftOpenRule } from '../../hub/rules/catalog/door-left-open.js';
import { at, event, MIN, play, RuleHarness, type Scenario } from './rule-harness.js';

const T = at('2026-01-15T10:00:00Z');
const open = (id = 'dor-1') => event('door_sensor', 'open', {}, id);
const close = (id = 'dor-1') => event('door_sensor', 'close', {}, id);

const table: Scenario<typeof doorLeftOpenRule.params>[] = [
  { name: 'open for 30 min: medium at the wake-up', steps: [[T, open()], [T + 2 * 60 * MIN]], expected: ['raise medium door_open @2026-01-15T10:30:00Z'] },
  { name: 'still nothing one second before the limit', steps: [[T, open()], [T + 30 * MIN - 1000]], expected: [] },
  { name: 'closed one second before the limit: cancelled', steps: [[T, open()], [T + 30 * MIN - 1000, close()], [T + 2 * 60 * MIN]], expected: [] },
  { name: 'closed after the alert: noted on it', steps: [[T, open()], [T + 40 * MIN, close()]], expected: ['raise medium door_open @2026-01-15T10:30:00Z', 'attach medium door_open @2026-01-15T10:40:00Z'] },
  { name: 'a repeated open does not restart the clock', steps: [[T, open()], [T + 20 * MIN, open()], [T + 60 * MIN]], expected: ['raise medium door_open @2026-01-15T10:30:00Z'] },
  { name: 'one alert per opening, however long it stays open', steps: [[T, open()], [T + 24 * 60 * MIN]], expected: ['raise medium door_open @2026-01-15T10:30:00Z'] },
  { name: 'a new opening after a close counts afresh', steps: [[T, open()], [T + 10 * MIN, close()], [T + 20 * MIN, open()], [T + 2 * 60 * MIN]], expected: ['raise medium door_open @2026-01-15T10:50:00Z'] },
  {
    name: 'two doors: one wake-up at a time, each raised at its own deadline',
    steps: [[T, open('dor-1')], [T + 10 * MIN, open('dor-2')], [T + 2 * 60 * MIN]],
    expected: ['raise medium door_open @2026-01-15T10:30:00Z', 'raise medium door_open @2026-01-15T10:40:00Z'],
  },
  { name: 'two doors, the first closed in time', steps: [[T, open('dor-1')], [T + 10 * MIN, open('dor-2')], [T + 15 * MIN, close('dor-1')], [T + 2 * 60 * MIN]], expected: ['raise medium door_open @2026-01-15T10:40:00Z'] },
  { name: 'a close without an open: nothing', steps: [[T, close()]], expected: [] },
  { name: 'a home that allows 5 min', options: { params: { openMinutes: 5 } }, steps: [[T, open()], [T + 60 * MIN]], expected: ['raise medium door_open @2026-01-15T10:05:00Z'] },
  { name: 'across midnight', steps: [[at('2026-01-15T23:45:00Z'), open()], [at('2026-01-16T01:00:00Z')]], expected: ['raise medium door_open @2026-01-16T00:15:00Z'] },
];

describe('door left open rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(doorLeftOpenRule, options), steps)).toEqual(expected);
  });

  it('wakes at open + 30 min, moves the wake-up to the next door, cancels it when none is left', () => {
    const h = new RuleHarness(doorLeftOpenRule);
    h.send(T, open('dor-1'));
    expect(h.wakeAt).toBe(T + 30 * MIN);
    h.send(T + 10 * MIN, open('dor-2'));
    expect(h.wakeAt).toBe(T + 30 * MIN);
    h.send(T + 15 * MIN, close('dor-1'));
    expect(h.wakeAt).toBe(T + 40 * MIN);
    h.send(T + 16 * MIN, close('dor-2'));
    expect(h.wakeAt).toBeUndefined();
    expect(h.state).toEqual({ open: {} });
  });

  it('says how long', () => {
    const h = new RuleHarness(doorLeftOpenRule);
    h.send(T, open());
    expect(h.wake()).toEqual([{ kind: 'door_open', severity: 'medium', homeId: 'home-1', deviceId: 'dor-1', title: 'Door left open for more than 30 min', details: { openSince: '2026-01-15T10:00:00.000Z' } }]);
  });
});
