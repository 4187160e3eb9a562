import { describe, expect, it } from 'vitest';
import { heartRateRule } from '../../hub/rules/catalog/heart-rate.js';
import type { RuleInput } from '../../hub/rules/define-rule.js';
import { at, event, play, RuleHarness, telemetry, type Scenario, type Step } from './rule-harness.js';

const T = at('2026-01-15T09:00:00Z');
const M = 60_000; // one reading a minute
const hr = (bpm: number, extra: Record<string, unknown> = {}) => telemetry('bracelet', { heartRate: bpm, ...extra });
/** Inputs one minute apart from T. */
const seq = (...inputs: RuleInput[]): Step[] => inputs.map((input, i) => [T + i * M, input] as const);
const t = (i: number) => `@2026-01-15T09:0${i}:00Z`;

const table: Scenario<typeof heartRateRule.params>[] = [
  { name: 'three readings just above the range (121): high on the third', steps: seq(hr(121), hr(121), hr(121)), expected: [`raise high heart_rate ${t(2)}`] },
  { name: 'two readings above the range: nothing yet', steps: seq(hr(121), hr(121)), expected: [] },
  { name: 'three readings exactly at the top of the range (120): normal', steps: seq(hr(120), hr(120), hr(120)), expected: [] },
  { name: 'three readings just below the range (44): high', steps: seq(hr(44), hr(44), hr(44)), expected: [`raise high heart_rate ${t(2)}`] },
  { name: 'three readings exactly at the bottom (45): normal', steps: seq(hr(45), hr(45), hr(45)), expected: [] },
  { name: 'a normal reading resets the count', steps: seq(hr(130), hr(130), hr(80), hr(130), hr(130)), expected: [] },
  { name: 'raised once per episode', steps: seq(hr(130), hr(130), hr(130), hr(135), hr(140)), expected: [`raise high heart_rate ${t(2)}`] },
  { name: 'low and high readings both count as out of range', steps: seq(hr(40), hr(130), hr(40)), expected: [`raise high heart_rate ${t(2)}`] },
  { name: 'a message without heartRate does not break the run', steps: seq(hr(130), telemetry('bracelet', { steps: 10 }), hr(130), hr(130)), expected: [`raise high heart_rate ${t(3)}`] },
  { name: '0 bpm while worn: critical at once', steps: seq(hr(0)), expected: [`raise critical heart_rate ${t(0)}`] },
  { name: '0 bpm while worn, worn unknown: critical at once', steps: seq(hr(0, { worn: true })), expected: [`raise critical heart_rate ${t(0)}`] },
  { name: '0 bpm with worn:false is ignored', steps: seq(hr(0, { worn: false })), expected: [] },
  { name: 'after a removed event readings are ignored', steps: seq(event('bracelet', 'removed'), hr(0), hr(150), hr(150), hr(150)), expected: [] },
  { name: 'a worn event puts it back on', steps: seq(event('bracelet', 'removed'), event('bracelet', 'worn'), hr(0)), expected: [`raise critical heart_rate ${t(2)}`] },
  { name: 'worn:true telemetry puts it back on', steps: seq(hr(70, { worn: false }), hr(0, { worn: true })), expected: [`raise critical heart_rate ${t(1)}`] },
  { name: 'a reading while not worn resets the count', steps: seq(hr(130), hr(130), hr(130, { worn: false }), hr(130, { worn: true }), hr(130)), expected: [] },
  { name: 'two bracelets count separately', steps: [[T, hr(130)], [T + M, telemetry('bracelet', { heartRate: 130 }, 'brc-2')], [T + 2 * M, hr(130)]], expected: [] },
  { name: 'the resident\'s own range (min 50)', options: { params: { min: 50 } }, steps: seq(hr(48), hr(48), hr(48)), expected: [`raise high heart_rate ${t(2)}`] },
  { name: 'the resident\'s own range (max 140)', options: { params: { max: 140 } }, steps: seq(hr(130), hr(130), hr(130)), expected: [] },
  { name: 'five readings wanted', options: { params: { readings: 5 } }, steps: seq(hr(130), hr(130), hr(130), hr(130), hr(130)), expected: [`raise high heart_rate ${t(4)}`] },
];

describe('heart rate rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(heartRateRule, options), steps)).toEqual(expected);
  });

  it('says the reading and the range', () => {
    const h = new RuleHarness(heartRateRule);
    play(h, seq(hr(131), hr(132), hr(133)));
    expect(h.log[0]?.draft).toEqual({ kind: 'heart_rate', severity: 'high', title: 'Heart rate 133 bpm, outside 45–120 bpm', homeId: 'home-1', deviceId: 'brc-1', details: { heartRate: 133, readings: 3, min: 45, max: 120 } });
  });

  it('refuses a range whose min is not below its max', () => {
    expect(heartRateRule.params.safeParse({ min: 120, max: 120 }).success).toBe(false);
  });
});
