/** The household model and scenario timelines as pure data: a simulated day without a broker. */
import { describe, expect, it } from 'vitest';
import { advanceResident, newResident } from '../simulators/household/resident.js';
import { routineBetween } from '../simulators/household/routine.js';
import { seededRandom } from '../simulators/household/seeded-random.js';
import { nextLocalTime, parseOffset } from '../simulators/household/sim-time.js';
import { localHour } from '../simulators/kinds/behaviour.js';
import { SCENARIOS, scenarioActions, timelineActions } from '../simulators/scenarios/index.js';

const SHANGHAI = 480;
const MIDNIGHT = Date.UTC(2026, 10, 23, 16, 0); // 2026-11-24 00:00 in Shanghai

describe('time in timelines', () => {
  it('parses offsets and finds the next local time of day', () => {
    expect(parseOffset('+10m')).toBe(600_000);
    expect(parseOffset('+1h30m15s')).toBe(5_415_000);
    expect(() => parseOffset('10 minutes')).toThrow(/bad offset/);
    expect(nextLocalTime(MIDNIGHT - 60_000, '02:30', SHANGHAI)).toBe(MIDNIGHT + 2.5 * 3_600_000);
    expect(nextLocalTime(MIDNIGHT + 3 * 3_600_000, '02:30', SHANGHAI)).toBe(MIDNIGHT + 26.5 * 3_600_000);
  });
});

describe('a resident\'s routine', () => {
  const week = routineBetween(MIDNIGHT, MIDNIGHT + 7 * 86_400_000, seededRandom(7), SHANGHAI);

  it('uses the front door only between 06:00 and 22:00, and always closes it within minutes', () => {
    const door = week.filter((a) => a.kind === 'event' && a.role === 'door');
    expect(door.length).toBeGreaterThanOrEqual(7 * 4);
    for (const a of door) expect(localHour(a.at, SHANGHAI)).toBeGreaterThanOrEqual(6);
    for (const a of door) expect(localHour(a.at, SHANGHAI)).toBeLessThan(22);
  });

  it('sleeps at night, walks out in the morning, and drops a device out only briefly', () => {
    const activities = week.filter((a) => a.kind === 'resident');
    expect(activities.filter((a) => a.kind === 'resident' && a.activity === 'out')).toHaveLength(7);
    const drops = week.filter((a) => a.kind === 'power');
    for (let i = 0; i + 1 < drops.length; i += 2) expect(drops[i + 1]!.at - drops[i]!.at).toBeLessThan(3 * 60_000 + 1);
  });

  it('moves the heart rate with activity and night, and counts steps only when moving', () => {
    const random = seededRandom(3);
    let r = newResident(MIDNIGHT, random, SHANGHAI, 'asleep');
    r = advanceResident(r, MIDNIGHT + 3_600_000, random);
    const asleep = r.heartRate;
    expect(r.steps).toBe(0);
    r = advanceResident({ ...r, activity: 'out' }, MIDNIGHT + 3_600_000 + 10 * 60_000, random);
    expect(r.heartRate).toBeGreaterThan(asleep + 20);
    expect(r.steps).toBeGreaterThan(300);
  });
});

describe('scenario timelines', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name} expands into whole-millisecond actions inside its span`, () => {
      const run = scenarioActions(scenario, MIDNIGHT, seededRandom(1), SHANGHAI);
      expect(localHour(run.start, SHANGHAI)).toBeCloseTo(Number(scenario.startsAt.slice(0, 2)) + Number(scenario.startsAt.slice(3)) / 60, 5);
      for (const a of run.actions) {
        expect(Number.isInteger(a.at)).toBe(true);
        expect(a.at).toBeGreaterThanOrEqual(run.start);
        expect(a.at).toBeLessThanOrEqual(run.end);
      }
      expect(run.actions.map((a) => a.at)).toEqual([...run.actions.map((a) => a.at)].sort((x, y) => x - y));
      expect(run.actions.filter((a) => a.kind === 'heartbeat').length).toBeGreaterThan(0);
    });
  }

  it('plays an emergency\'s own timeline compressed from a chosen instant (the demo)', () => {
    const fire = SCENARIOS.find((s) => s.name === 'kitchen-fire')!;
    const actions = timelineActions(fire, 1_000_000, 10);
    expect(actions[0]!.at).toBe(1_000_000);
    expect(actions[actions.length - 1]!.at - actions[0]!.at).toBe(36_000);
    expect(actions.some((a) => a.kind === 'event' && a.type === 'smoke')).toBe(true);
  });
});
