import { describe, expect, it } from 'vitest';
import { notWornRule } from '../../hub/rules/catalog/not-worn.js';
import { at, event, play, RuleHarness, telemetry, type Scenario } from './rule-harness.js';

const removed = event('bracelet', 'removed');
const worn = event('bracelet', 'worn');
const reading = (fields: Record<string, unknown>) => telemetry('bracelet', fields);
const D = (hhmm: string, day = 15) => at(`2026-01-${day}T${hhmm}:00Z`);

const table: Scenario<typeof notWornRule.params>[] = [
  { name: 'removed at 08:00: low at 10:00', steps: [[D('08:00'), removed], [D('12:00')]], expected: ['raise low not_worn @2026-01-15T10:00:00Z'] },
  { name: 'nothing one second before', steps: [[D('08:00'), removed], [D('10:00') - 1000]], expected: [] },
  { name: 'put back on one second before: cancelled', steps: [[D('08:00'), removed], [D('10:00') - 1000, worn], [D('12:00')]], expected: [] },
  { name: 'worn:false telemetry starts it, worn:true cancels', steps: [[D('08:00'), reading({ worn: false })], [D('09:00'), reading({ worn: true })], [D('12:00')]], expected: [] },
  { name: 'repeated worn:false readings do not restart the count', steps: [[D('08:00'), reading({ worn: false })], [D('09:00'), reading({ worn: false })], [D('12:00')]], expected: ['raise low not_worn @2026-01-15T10:00:00Z'] },
  { name: 'a reading without worn leaves it off', steps: [[D('08:00'), removed], [D('09:00'), reading({ heartRate: 0 })], [D('12:00')]], expected: ['raise low not_worn @2026-01-15T10:00:00Z'] },
  { name: 'removed at 21:00: 1 h tonight, 1 h from 07:00', steps: [[D('21:00'), removed], [D('12:00', 16)]], expected: ['raise low not_worn @2026-01-16T08:00:00Z'] },
  { name: 'removed for the night (23:00): counted from 07:00', steps: [[D('23:00'), removed], [D('12:00', 16)]], expected: ['raise low not_worn @2026-01-16T09:00:00Z'] },
  { name: 'off overnight and back on at 07:30: nothing', steps: [[D('22:30'), removed], [D('07:30', 16), worn], [D('12:00', 16)]], expected: [] },
  { name: 'once per removal; back on after the alert is noted', steps: [[D('08:00'), removed], [D('20:00'), worn]], expected: ['raise low not_worn @2026-01-15T10:00:00Z', 'attach low not_worn @2026-01-15T20:00:00Z'] },
  { name: 'a resident allowed 4 h', options: { params: { hours: 4 } }, steps: [[D('08:00'), removed], [D('13:00')]], expected: ['raise low not_worn @2026-01-15T12:00:00Z'] },
  { name: 'Shanghai: 13:30 UTC is 21:30 local → 30 min tonight, 90 min from 07:00', options: { timezone: 'Asia/Shanghai' }, steps: [[D('13:30'), removed], [D('12:00', 16)]], expected: ['raise low not_worn @2026-01-16T00:30:00Z'] },
  { name: 'London: the same instant is 13:30 local → 15:30', options: { timezone: 'Europe/London' }, steps: [[D('13:30'), removed], [D('12:00', 16)]], expected: ['raise low not_worn @2026-01-15T15:30:00Z'] },
  {
    name: 'two bracelets: each at its own time',
    steps: [[D('08:00'), removed], [D('08:30'), event('bracelet', 'removed', {}, 'brc-2')], [D('12:00')]],
    expected: ['raise low not_worn @2026-01-15T10:00:00Z', 'raise low not_worn @2026-01-15T10:30:00Z'],
  },
];

describe('not worn rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(notWornRule, options), steps)).toEqual(expected);
  });

  it('wakes after the in-window time and cancels the wake-up when worn again', () => {
    const h = new RuleHarness(notWornRule);
    h.send(D('21:30'), removed);
    expect(h.wakeAt).toBe(D('08:30', 16));
    h.send(D('22:00'), reading({ worn: false }));
    expect(h.wakeAt).toBe(D('08:30', 16));
    h.send(D('06:59', 16), worn);
    expect(h.wakeAt).toBeUndefined();
    expect(h.state).toEqual({ off: {} });
  });

  it('after an alert, no wake-up until taken off again', () => {
    const h = new RuleHarness(notWornRule);
    h.send(D('08:00'), removed);
    expect(h.wake()).toEqual([{ kind: 'not_worn', severity: 'low', homeId: 'home-1', deviceId: 'brc-1', title: 'Bracelet not worn', details: { offSince: '2026-01-15T08:00:00.000Z' } }]);
    expect(h.wakeAt).toBeUndefined();
    expect(play(h, [[D('20:00', 16), reading({ worn: false })]])).toEqual([]);
  });
});
