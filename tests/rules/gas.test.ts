import { describe, expect, it } from 'vitest';
import { gasRule } from '../../hub/rules/catalog/gas.js';
import { at, event, play, RuleHarness, telemetry, type Scenario, type Step } from './rule-harness.js';

const T = at('2026-01-15T12:00:00Z');
const M = 5 * 60_000; // the gas alarm reports every 5 min
const lel = (value: number, deviceId = 'gas-1') => telemetry('gas_alarm', { lel: value }, deviceId);
/** Readings 5 min apart from T. */
const readings = (...values: number[]): Step[] => values.map((v, i) => [T + i * M, lel(v)] as const);
const t = (i: number) => `@2026-01-15T12:${String(i * 5).padStart(2, '0')}:00Z`;

const table: Scenario<typeof gasRule.params>[] = [
  { name: 'the gas event is critical at once', steps: [[T, event('gas_alarm', 'gas', { lel: 25, gas: 'lpg' })]], expected: [`raise critical gas ${t(0)}`] },
  { name: 'a reading exactly at the alarm level (20) is critical at once', steps: readings(20), expected: [`raise critical gas ${t(0)}`] },
  { name: 'one reading just below the alarm level: nothing yet', steps: readings(19.9), expected: [] },
  { name: 'two readings exactly at the warning level (10): high on the second', steps: readings(10, 10), expected: [`raise high gas ${t(1)}`] },
  { name: 'two readings just below the warning level: nothing', steps: readings(9.9, 9.9), expected: [] },
  { name: 'a reading below the warning level resets the count', steps: readings(12, 5, 12), expected: [] },
  { name: 'the warning is raised once per episode', steps: readings(12, 12, 12, 12), expected: [`raise high gas ${t(1)}`] },
  { name: 'a new episode after a low reading warns again', steps: readings(12, 12, 3, 12, 12), expected: [`raise high gas ${t(1)}`, `raise high gas ${t(4)}`] },
  { name: 'a warning that keeps rising becomes critical (same kind: the alert upgrades)', steps: readings(12, 15, 22), expected: [`raise high gas ${t(1)}`, `raise critical gas ${t(2)}`] },
  { name: 'every reading at the alarm level is an occurrence; no warning after it', steps: readings(25, 21, 12), expected: [`raise critical gas ${t(0)}`, `raise critical gas ${t(1)}`] },
  { name: 'telemetry without lel changes nothing', steps: [[T, lel(12)], [T + M, telemetry('gas_alarm', { battery: 80 })], [T + 2 * M, lel(12)]], expected: [`raise high gas ${t(2)}`] },
  {
    name: 'gas_clear is attached and ends the episode',
    steps: [[T, lel(12)], [T + M, event('gas_alarm', 'gas_clear', { lel: 2 })], [T + 2 * M, lel(12)]],
    expected: [`attach critical gas ${t(1)}`],
  },
  { name: 'two alarms count separately', steps: [[T, lel(12, 'gas-1')], [T + M, lel(12, 'gas-2')]], expected: [] },
  { name: 'a home that wants three readings', options: { params: { warningReadings: 3 } }, steps: readings(12, 12, 12), expected: [`raise high gas ${t(2)}`] },
  { name: 'a lower alarm level for a home', options: { params: { alarmLel: 15 } }, steps: readings(15), expected: [`raise critical gas ${t(0)}`] },
];

describe('gas rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(gasRule, options), steps)).toEqual(expected);
  });

  it('puts the reading in the title and details', () => {
    const h = new RuleHarness(gasRule);
    h.send(T, lel(11));
    expect(h.send(T + M, lel(12.5))).toEqual([{ kind: 'gas', severity: 'high', title: 'Gas building up: 12.5 % LEL', homeId: 'home-1', deviceId: 'gas-1', details: { lel: 12.5, readings: 2 } }]);
    expect(h.send(T, event('gas_alarm', 'gas_clear', { lel: 2 }))[0]).toMatchObject({ effect: 'attach', note: 'gas cleared (2 % LEL)' });
  });

  it('refuses a warning level at or above the alarm level', () => {
    expect(gasRule.params.safeParse({ warningLel: 20 }).success).toBe(false);
    expect(gasRule.params.safeParse({ warningLel: 15, alarmLel: 30 }).success).toBe(true);
  });
});
