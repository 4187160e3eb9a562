import { describe, expect, it } from 'vitest';
import { tamperRule } from '../../hub/rules/catalog/tamper.js';
import { at, event, play, RuleHarness, type Scenario } from './rule-harness.js';

const T = at('2026-01-15T10:00:00Z');

const table: Scenario<typeof tamperRule.params>[] = [
  ...['gas_alarm', 'smoke_sensor', 'door_sensor'].map((kind) => ({
    name: `${kind} tamper: medium`,
    steps: [[T, event(kind, 'tamper')]] as const,
    expected: ['raise medium tamper @2026-01-15T10:00:00Z'],
  })),
  { name: 'each tamper is an occurrence', steps: [[T, event('door_sensor', 'tamper')], [T + 1000, event('door_sensor', 'tamper')]], expected: ['raise medium tamper @2026-01-15T10:00:00Z', 'raise medium tamper @2026-01-15T10:00:01Z'] },
];

describe('tamper rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(tamperRule, options), steps)).toEqual(expected);
  });

  it('listens to exactly the kinds that have a tamper switch', () => {
    expect([...tamperRule.on.deviceKinds].sort()).toEqual(['door_sensor', 'gas_alarm', 'smoke_sensor']);
  });

  it('names the device', () => {
    expect(new RuleHarness(tamperRule).send(T, event('gas_alarm', 'tamper'))).toEqual([{ kind: 'tamper', severity: 'medium', homeId: 'home-1', deviceId: 'gas-1', title: 'Gas alarm tampered with' }]);
  });
});
