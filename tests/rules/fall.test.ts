import { describe, expect, it } from 'vitest';
import { bracelet } from '../../devices/kinds/bracelet.js';
import { fallRule } from '../../hub/rules/catalog/fall.js';
import { at, event, home, play, RuleHarness, type Scenario } from './rule-harness.js';

const T = at('2026-01-15T10:00:00Z');
const S = 1000;
const fall = event('bracelet', 'fall', { confidence: 0.9 });
const cancel = event('bracelet', 'fall_cancelled');

const table: Scenario<typeof fallRule.params>[] = [
  { name: 'a fall is critical at once', steps: [[T, fall]], expected: ['raise critical fall @2026-01-15T10:00:00Z'] },
  {
    name: 'cancelled one second inside the window: medium call-back',
    steps: [[T, fall], [T + 29 * S, cancel]],
    expected: ['raise critical fall @2026-01-15T10:00:00Z', 'set_severity medium fall @2026-01-15T10:00:29Z'],
  },
  {
    name: 'cancelled exactly at the end of the window: still inside',
    steps: [[T, fall], [T + 30 * S, cancel]],
    expected: ['raise critical fall @2026-01-15T10:00:00Z', 'set_severity medium fall @2026-01-15T10:00:30Z'],
  },
  {
    name: 'cancelled one second after the window: only a note, stays critical',
    steps: [[T, fall], [T + 31 * S, cancel]],
    expected: ['raise critical fall @2026-01-15T10:00:00Z', 'attach critical fall @2026-01-15T10:00:31Z'],
  },
  {
    name: 'another bracelet cannot cancel this fall',
    steps: [[T, fall], [T + 5 * S, event('bracelet', 'fall_cancelled', {}, 'brc-2')]],
    expected: ['raise critical fall @2026-01-15T10:00:00Z', 'attach critical fall @2026-01-15T10:00:05Z'],
  },
  { name: 'a cancel with no fall on record is only noted', steps: [[T, cancel]], expected: ['attach critical fall @2026-01-15T10:00:00Z'] },
  {
    name: 'a second cancel of the same fall is only noted',
    steps: [[T, fall], [T + 5 * S, cancel], [T + 6 * S, cancel]],
    expected: ['raise critical fall @2026-01-15T10:00:00Z', 'set_severity medium fall @2026-01-15T10:00:05Z', 'attach critical fall @2026-01-15T10:00:06Z'],
  },
  {
    name: 'the window counts from the latest fall (state carried)',
    steps: [[T, fall], [T + 60 * S, fall], [T + 80 * S, cancel]],
    expected: ['raise critical fall @2026-01-15T10:00:00Z', 'raise critical fall @2026-01-15T10:01:00Z', 'set_severity medium fall @2026-01-15T10:01:20Z'],
  },
  {
    name: 'a per-resident window of 60 s',
    options: { params: { cancelWindowSec: 60 } },
    steps: [[T, fall], [T + 45 * S, cancel]],
    expected: ['raise critical fall @2026-01-15T10:00:00Z', 'set_severity medium fall @2026-01-15T10:00:45Z'],
  },
  {
    name: 'a home being installed: the same drafts (the alert intake records them as test events)',
    options: { home: home({ status: 'installing' }) },
    steps: [[T, fall], [T + 10 * S, cancel]],
    expected: ['raise critical fall @2026-01-15T10:00:00Z', 'set_severity medium fall @2026-01-15T10:00:10Z'],
  },
];

describe('fall rule', () => {
  it.each(table)('$name', ({ options, steps, expected }) => {
    expect(play(new RuleHarness(fallRule, options), steps)).toEqual(expected);
  });

  it('defaults the window to the bracelet kind\'s cancel window', () => {
    expect(fallRule.params.parse({}).cancelWindowSec).toBe(bracelet.settings.fallCancelWindowSec);
    expect(bracelet.settings.fallCancelWindowSec).toBe(30);
  });

  it('says what happened in plain words, and remembers the fall per device', () => {
    const h = new RuleHarness(fallRule);
    const [raised] = h.send(T, fall);
    expect(raised).toMatchObject({ kind: 'fall', title: 'Fall detected', homeId: 'home-1', deviceId: 'brc-1', details: { confidence: 0.9 } });
    expect(h.state).toEqual({ lastFallAt: { 'brc-1': T } });
    const [cancelled] = h.send(T + 12 * S, cancel);
    expect(cancelled).toMatchObject({ effect: 'set_severity', severity: 'medium', title: 'Fall cancelled by the wearer — call back', note: 'Cancelled on the bracelet 12 s after the fall' });
    expect(h.state).toEqual({ lastFallAt: {} });
    expect(h.wakeAt).toBeUndefined();
  });

  it('never closes: no draft it makes is anything but raise, attach or set_severity', () => {
    const h = new RuleHarness(fallRule);
    play(h, [[T, fall], [T + S, cancel], [T + 2 * S, cancel]]);
    expect(h.log.map((l) => l.draft.effect ?? 'raise')).toEqual(['raise', 'set_severity', 'attach']);
  });
});
