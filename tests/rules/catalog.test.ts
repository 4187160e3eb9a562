/**
 * Checks over every rule in the catalogue (the zigbee-herdsman-converters
 * `checks.test.ts` pattern): a new rule gets all of them for free.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEVICE_KINDS, findDeviceKind } from '../../devices/catalog.js';
import { SEVERITIES } from '../../hub/alerts/alert.js';
import { RULES } from '../../hub/rules/catalog/index.js';
import type { AnyRule } from '../../hub/rules/define-rule.js';
import { at, event, home, HOUR, presence, RuleHarness, telemetry, TIMER } from './rule-harness.js';

/** Every example message of the kinds a rule listens to, then presence changes, then days of wake-ups. */
function exercise(rule: AnyRule, status: 'live' | 'installing'): { at: number; draft: unknown }[] {
  const h = new RuleHarness(rule, { home: home({ status }) });
  let t = at('2026-01-15T21:50:00Z'); // late evening: night and day windows both get crossed
  const next = () => (t += 7 * 60_000);
  for (const kindName of rule.on.deviceKinds) {
    const kind = findDeviceKind(kindName)!;
    for (const example of kind.examples.events as { type: string }[]) if (rule.on.events?.includes(example.type)) h.send(next(), event(kindName, example.type, example));
    if (rule.on.telemetry) for (const example of kind.examples.telemetry) h.send(next(), telemetry(kindName, example as Record<string, unknown>));
    if (rule.on.presence) {
      h.send(next(), presence(kindName, false));
      h.send(next(), presence(kindName, true));
      h.send(next(), presence(kindName, false));
    }
  }
  h.advanceTo(t + 72 * HOUR);
  return h.log;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('rule catalogue', () => {
  it('has unique ids', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  describe.each(RULES.map((r) => [r.id, r] as const))('rule %s', (_id, rule) => {
    it('has defaults for every parameter', () => {
      expect(() => rule.params.parse({})).not.toThrow();
    });

    it('listens to known device kinds and to events those kinds have', () => {
      expect(rule.on.deviceKinds.length).toBeGreaterThan(0);
      for (const kind of rule.on.deviceKinds) expect(findDeviceKind(kind), kind).toBeDefined();
      const known = new Set(rule.on.deviceKinds.flatMap((k) => findDeviceKind(k)?.eventTypes ?? []));
      expect((rule.on.events ?? []).filter((e) => !known.has(e))).toEqual([]);
      expect(rule.on.events?.length || rule.on.telemetry || rule.on.presence).toBeTruthy();
    });

    it('a wake-up with no state is harmless', () => {
      expect(() => new RuleHarness(rule).send(at('2026-01-15T12:00:00Z'), TIMER)).not.toThrow();
    });

    it('makes well-formed drafts of its own kind from every example message', () => {
      for (const { draft } of exercise(rule, 'live') as { draft: Record<string, unknown> }[]) {
        expect(draft.kind).toBe(rule.alertKind);
        expect(draft.homeId).toBe('home-1');
        expect(SEVERITIES).toContain(draft.severity);
        expect(typeof draft.deviceId === 'string' && draft.deviceId.length > 0).toBe(true);
        expect(typeof draft.title === 'string' && /^[A-Z]/.test(draft.title)).toBe(true);
        expect([undefined, 'raise', 'attach', 'set_severity']).toContain(draft.effect);
      }
    });

    it('never reads the clock: the same inputs give the same drafts whatever the system time', () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2001-01-01T00:00:00Z'));
      const first = exercise(rule, 'live');
      vi.setSystemTime(new Date('2099-06-15T12:00:00Z'));
      expect(exercise(rule, 'live')).toEqual(first);
    });

    it('behaves the same in a home being installed (the alert intake turns drafts into test events)', () => {
      expect(exercise(rule, 'installing')).toEqual(exercise(rule, 'live'));
    });
  });

  it('every kind\'s example messages raise something from some rule', () => {
    // The examples include each kind's alarm events: a catalogue that lost the rule for one would show here.
    for (const kind of DEVICE_KINDS) {
      const raisedBy = RULES.filter((r) => r.on.deviceKinds.includes(kind.kind) && exercise(r, 'live').length > 0).map((r) => r.id);
      expect(raisedBy.length, kind.kind).toBeGreaterThan(0);
    }
  });

  it('every alarm event of every kind is heard by a rule raising a critical alert', () => {
    for (const kind of DEVICE_KINDS) {
      for (const alarm of kind.alarmEvents) {
        const rules = RULES.filter((r) => r.severity === 'critical' && r.on.deviceKinds.includes(kind.kind) && r.on.events?.includes(alarm));
        expect(rules.map((r) => r.id), `${kind.kind}:${alarm}`).not.toEqual([]);
      }
    }
  });
});
