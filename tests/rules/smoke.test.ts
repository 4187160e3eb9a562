import { describe, expect, it } from 'vitest';
import { smokeRule } from '../../hub/rules/catalog/smoke.js';
import { at, event, play, RuleHarness, type Scenario } from './rule-harness.js';

const T = at('2026-01-15T03:00:00Z');
const smoke = event('smoke_sensor', 'smoke');
const clear = event('smoke_sensor', 'smoke_clear');

const table: Scenario<typeof smokeRule.params>[] = [
  { name: 'smoke is critical at once', steps: [[T, smoke]], expected: ['raise critical smoke @2026-01-15T03:00:00Z'] },
  {
    name: 'smoke_clear is attached, never closes',
    steps: [[T, smoke], [T + 60_000, clear]],
    expected: ['raise critical smoke @2026-01-15T03:00:00Z', 'attach critical smoke @2026-01-15T03:01:00Z'],
  },
  {
    name: 'smoke again after a clear is another occurrence',
    steps: [[T, smoke], [T + 60_000, clear], [T + 120_000, smoke]],
    expected: ['raise critical smoke @2026-01-15T03:00:00Z', 'attach critical smoke @2026-01-15T03:01:00Z', 'raise critical smoke @2026-01-15T03:02:00Z'],
  },
  { name: 'a clear on its own opens nothing (attach only)', steps: [[T, clear]], expected: ['attach critical smoke @2026-01-15T03:00:00Z'] },
];

describe('smoke rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(smokeRule, options), steps)).toEqual(expected);
  });

  it('titles and notes in plain English, no timers, no state', () => {
    const h = new RuleHarness(smokeRule);
    expect(h.send(T, smoke)).toEqual([{ kind: 'smoke', severity: 'critical', title: 'Smoke detected', homeId: 'home-1', deviceId: 'smk-1' }]);
    expect(h.send(T + 1, clear)[0]).toMatchObject({ effect: 'attach', note: 'smoke cleared' });
    expect(h.state).toBeUndefined();
    expect(h.wakeAt).toBeUndefined();
  });
});
