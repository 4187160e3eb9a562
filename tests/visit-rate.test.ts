/**
 * Table tests of the pure visit functions (hub/visits/): local calendar
 * months (Shanghai, and zones with daylight saving), the special-hardship
 * flag periods and who is on a month's roster, the month standings, the due
 * order and the rate per community.
 */
import { describe, expect, it } from 'vitest';
import { localMonthOf, monthRange, monthsOverlapping, nextMonth, previousMonth } from '../hub/visits/months.js';
import { dueList, effectivePeriods, flaggedDuring, monthStatuses, visitRate, type RosterResident } from '../hub/visits/visit-rate.js';
import type { HardshipPeriod, VisitCondition, VisitRecord } from '../hub/visits/visit.js';

const SH = 'Asia/Shanghai';
const at = Date.parse;

describe('months in the hub\u2019s zone', () => {
  it.each([
    ['2026-11', SH, '2026-10-31T16:00:00.000Z', '2026-11-30T16:00:00.000Z'],
    ['2026-12', SH, '2026-11-30T16:00:00.000Z', '2026-12-31T16:00:00.000Z'],
    ['2027-01', SH, '2026-12-31T16:00:00.000Z', '2027-01-31T16:00:00.000Z'],
    ['2026-11', 'UTC', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
    // Daylight saving: London is on BST on 1 April, GMT on 1 March.
    ['2026-03', 'Europe/London', '2026-03-01T00:00:00.000Z', '2026-03-31T23:00:00.000Z'],
    // New York: EDT at midnight on 1 November (DST ends at 02:00 that day), EST on 1 December.
    ['2026-11', 'America/New_York', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z'],
  ])('%s in %s is [%s, %s)', (month, tz, start, end) => {
    const r = monthRange(month, tz);
    expect(new Date(r.start).toISOString()).toBe(start);
    expect(new Date(r.end).toISOString()).toBe(end);
  });

  it.each([
    ['2026-10-31T15:59:59.999Z', '2026-10'],
    ['2026-10-31T16:00:00.000Z', '2026-11'],
    ['2026-10-31T17:30:00.000Z', '2026-11'],
    ['2026-11-30T15:59:59.999Z', '2026-11'],
    ['2026-11-30T16:00:00.000Z', '2026-12'],
  ])('%s is in %s in Shanghai', (instant, month) => {
    expect(localMonthOf(at(instant), SH)).toBe(month);
  });

  it('steps months across years and lists the months of a period', () => {
    expect(nextMonth('2026-12')).toBe('2027-01');
    expect(previousMonth('2027-01')).toBe('2026-12');
    expect(() => nextMonth('2026-13')).toThrow();
    expect(monthsOverlapping(at('2026-10-31T16:00:00Z'), at('2026-11-30T16:00:00Z'), SH)).toEqual(['2026-11']);
    expect(monthsOverlapping(at('2026-10-31T15:00:00Z'), at('2026-12-01T00:00:00Z'), SH)).toEqual(['2026-10', '2026-11', '2026-12']);
    expect(monthsOverlapping(at('2020-01-01T00:00:00Z'), at('2026-12-01T00:00:00Z'), SH, 3)).toEqual(['2026-10', '2026-11', '2026-12']);
    expect(monthsOverlapping(5, 5, SH)).toEqual([]);
  });
});

describe('special-hardship periods', () => {
  const resident = (specialHardship: boolean) => ({ specialHardship, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-06-01T00:00:00.000Z' });
  it.each([
    ['flagged at creation, no history', true, undefined, [{ from: '2026-01-01T00:00:00.000Z' }]],
    ['never flagged', false, undefined, []],
    ['history agrees (open)', true, [{ from: '2026-03-01T00:00:00.000Z' }], [{ from: '2026-03-01T00:00:00.000Z' }]],
    ['history agrees (closed)', false, [{ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' }], [{ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' }]],
    ['flag set elsewhere after the history closed', true, [{ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' }], [{ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' }, { from: '2026-06-01T00:00:00.000Z' }]],
    ['flag cleared elsewhere', false, [{ from: '2026-03-01T00:00:00.000Z' }], [{ from: '2026-03-01T00:00:00.000Z', to: '2026-06-01T00:00:00.000Z' }]],
  ])('%s', (_name, flagged, history, expected) => {
    expect(effectivePeriods(resident(flagged), history)).toEqual(expected);
  });

  const nov = monthRange('2026-11', SH);
  it.each([
    ['flagged all month', [{ from: '2026-01-01T00:00:00Z' }], true],
    ['flagged part-way through', [{ from: '2026-11-15T02:00:00Z' }], true],
    ['flagged in the last instant', [{ from: '2026-11-30T15:59:59Z' }], true],
    ['flagged from the next month (local)', [{ from: '2026-11-30T16:00:00Z' }], false],
    ['unflagged before the month starts', [{ from: '2026-01-01T00:00:00Z', to: '2026-10-25T00:00:00Z' }], false],
    ['unflagged exactly as the month starts', [{ from: '2026-01-01T00:00:00Z', to: '2026-10-31T16:00:00Z' }], false],
    ['unflagged part-way through', [{ from: '2026-01-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }], true],
    ['flagged and unflagged at once', [{ from: '2026-11-10T00:00:00Z', to: '2026-11-10T00:00:00Z' }], false],
  ])('%s → on the November roster: %s', (_name, periods, expected) => {
    expect(flaggedDuring(periods, nov.start, nov.end)).toBe(expected);
  });
});

describe('month standings, due order and the rate', () => {
  const nov = monthRange('2026-11', SH);
  const always: HardshipPeriod[] = [{ from: '2026-01-01T00:00:00.000Z' }];
  const r = (residentId: string, name: string, community: string | null, periods: HardshipPeriod[] = always): RosterResident => ({ residentId, name, homeId: `h-${residentId}`, address: 'addr', community, periods });
  let n = 0;
  const v = (residentId: string, visitedAt: string, condition: VisitCondition = 'well'): VisitRecord => ({
    id: `vis-${++n}`,
    residentId,
    homeId: `h-${residentId}`,
    visitedAt,
    visitor: 'Zhou Jie',
    condition,
    followUp: false,
    recordedAt: visitedAt,
    recordedBy: 'user:zhou.jie',
  });
  const roster = [
    r('a', 'An', 'East'),
    r('b', 'Bai', 'East'),
    r('c', 'Chen', 'West'),
    r('d', 'Deng', null),
    r('e', 'Er', 'West', [{ from: '2026-11-20T00:00:00.000Z' }]),
    r('f', 'Fu', 'West', [{ from: '2026-01-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' }]),
    r('g', 'Gu', null),
  ];
  const visits = [
    v('a', '2026-11-03T02:00:00.000Z'),
    v('a', '2026-10-03T02:00:00.000Z'),
    v('b', '2026-10-20T02:00:00.000Z'),
    v('b', '2026-11-05T02:00:00.000Z', 'not_home'),
    v('c', '2026-09-01T02:00:00.000Z'),
    v('d', '2026-11-30T15:59:00.000Z', 'needs_help'), // 23:59 on 30 Nov, Shanghai: November
    v('g', '2026-11-30T16:00:00.000Z'), // 00:00 on 1 Dec, Shanghai: December
    v('f', '2026-11-10T00:00:00.000Z'), // not on the roster: does not count
  ];
  const statuses = monthStatuses(nov, roster, visits);

  it('puts only residents flagged during the month on the roster', () => {
    expect(statuses.map((s) => s.residentId)).toEqual(['a', 'b', 'c', 'd', 'e', 'g']);
  });

  it('counts a visit that found the resident; not_home is an attempt', () => {
    const by = Object.fromEntries(statuses.map((s) => [s.residentId, s]));
    expect(by.a).toMatchObject({ visited: true, visitsInMonth: 1, notHomeAttempts: 0, lastCompletedVisitAt: '2026-11-03T02:00:00.000Z' });
    expect(by.b).toMatchObject({ visited: false, visitsInMonth: 0, notHomeAttempts: 1, lastCompletedVisitAt: '2026-10-20T02:00:00.000Z', lastVisit: { condition: 'not_home' } });
    expect(by.d).toMatchObject({ visited: true });
    expect(by.g).toMatchObject({ visited: false, lastVisit: null, lastCompletedVisitAt: null }); // its visit is after the month
  });

  it('orders the due list: never visited (by name), then longest since the last visit', () => {
    const due = dueList(statuses, at('2026-11-25T02:00:00Z'));
    expect(due.map((s) => [s.residentId, s.daysSinceLastVisit])).toEqual([
      ['e', null],
      ['g', null],
      ['c', 85],
      ['b', 36],
    ]);
  });

  it('rates the month overall and per community, target met only at 100 %', () => {
    const report = visitRate(nov, SH, statuses);
    expect(report).toMatchObject({ month: '2026-11', timezone: SH, from: '2026-10-31T16:00:00.000Z', to: '2026-11-30T16:00:00.000Z', target: 1 });
    expect(report.overall).toEqual({ residents: 6, visited: 2, notVisited: 4, rate: 2 / 6, targetMet: false });
    expect(report.byCommunity).toEqual([
      { community: 'East', residents: 2, visited: 1, notVisited: 1, rate: 0.5, targetMet: false },
      { community: 'West', residents: 2, visited: 0, notVisited: 2, rate: 0, targetMet: false },
      { community: null, residents: 2, visited: 1, notVisited: 1, rate: 0.5, targetMet: false },
    ]);
    expect(report.notVisited.map((s) => s.residentId)).toEqual(['e', 'g', 'c', 'b']);

    const full = visitRate(nov, SH, monthStatuses(nov, [r('a', 'An', 'East')], visits));
    expect(full.overall).toMatchObject({ rate: 1, targetMet: true });
    const empty = visitRate(nov, SH, []);
    expect(empty.overall).toEqual({ residents: 0, visited: 0, notVisited: 0, rate: null, targetMet: null });
    expect(empty.byCommunity).toEqual([]);
  });
});
