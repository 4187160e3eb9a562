/**
 * The console's pure logic, without a browser: the live alert book (order,
 * stale deltas, resolved alerts leaving), SLA colours, and the chart's series
 * from raw readings.
 */
import { describe, expect, it } from 'vitest';
import { AlertBook } from '../dashboard/src/live/alert-book.js';
import { seriesFromReadings, niceMax, splitAtGaps } from '../dashboard/src/util/series.js';
import { slaLevel } from '../dashboard/src/util/sla.js';
import type { AlertSummary } from '../hub/alerts/alert.js';

const T0 = Date.parse('2026-11-24T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function alert(id: string, patch: Partial<AlertSummary> = {}): AlertSummary {
  return {
    id,
    homeId: 'home-1',
    residentId: 'res-1',
    deviceId: 'dev-1',
    kind: 'sos',
    severity: 'critical',
    status: 'open',
    title: 'SOS',
    details: {},
    raisedAt: iso(T0),
    updatedAt: iso(T0),
    occurrences: 1,
    lastOccurrenceAt: iso(T0),
    flags: { overdue: false, escalated: false },
    trigger: { deviceId: 'dev-1', eventType: 'sos', at: iso(T0) },
    responders: [],
    ...patch,
  };
}

describe('AlertBook', () => {
  it('keeps unresolved alerts most urgent first, then oldest', () => {
    const book = new AlertBook();
    book.applySnapshot(
      [
        alert('low-old', { severity: 'low', raisedAt: iso(T0 - 60_000) }),
        alert('crit-new', { raisedAt: iso(T0) }),
        alert('crit-old', { raisedAt: iso(T0 - 30_000) }),
        alert('high', { severity: 'high' }),
        alert('done', { status: 'resolved' }),
      ],
      [],
    );
    expect(book.sorted().map((a) => a.id)).toEqual(['crit-old', 'crit-new', 'high', 'low-old']);
  });

  it('ignores a delta older than what it has, drops resolved alerts, and tells listeners only of new raises', () => {
    const book = new AlertBook();
    const raised: string[] = [];
    book.onRaised((a) => raised.push(a.id));
    book.applySnapshot([alert('a')], []);
    book.applyAlert(alert('a', { status: 'acknowledged', updatedAt: iso(T0 + 2_000) }), false);
    book.applyAlert(alert('a', { status: 'open', updatedAt: iso(T0 + 1_000) }), false);
    expect(book.get('a')?.status).toBe('acknowledged');
    book.applyAlert(alert('b'), true);
    book.applyAlert(alert('b', { updatedAt: iso(T0 + 1) }), true);
    expect(raised).toEqual(['b']);
    book.applyAlert(alert('a', { status: 'resolved', updatedAt: iso(T0 + 3_000) }), false);
    expect(book.sorted().map((x) => x.id)).toEqual(['b']);
  });

  it('keeps device state from the snapshot and status deltas', () => {
    const book = new AlertBook();
    book.applySnapshot([], [{ deviceId: 'd1', homeId: 'h1', kind: 'bracelet', online: true, lastSeen: T0, battery: 80 }]);
    book.applyDeviceStatus('d1', 'h1', false, iso(T0 + 60_000));
    expect(book.device('d1')).toMatchObject({ online: false, lastSeen: T0, battery: 80, kind: 'bracelet' });
    book.applyDeviceStatus('d1', 'h1', true, iso(T0 + 120_000));
    expect(book.devicesOf('h1')).toMatchObject([{ online: true, lastSeen: T0 + 120_000 }]);
  });
});

describe('slaLevel (60 s amber, 180 s red, unacknowledged only)', () => {
  it('colours by age and by the hub\'s flags', () => {
    const a = alert('a');
    expect(slaLevel(a, T0 + 59_000)).toBe('ok');
    expect(slaLevel(a, T0 + 61_000)).toBe('amber');
    expect(slaLevel(a, T0 + 181_000)).toBe('red');
    expect(slaLevel({ ...a, status: 'acknowledged' }, T0 + 500_000)).toBe('ok');
    expect(slaLevel({ ...a, flags: { overdue: true, escalated: false } }, T0)).toBe('amber');
    expect(slaLevel({ ...a, flags: { overdue: true, escalated: true } }, T0)).toBe('red');
  });
});

describe('chart series from readings', () => {
  it('takes heart rate as points and steps per hour from the since-midnight counter, across a reset', () => {
    const from = T0;
    const to = T0 + 3 * 3_600_000;
    const s = seriesFromReadings(
      [
        { at: iso(T0 + 600_000), values: { heartRate: 70, steps: 1000 } },
        { at: iso(T0 + 1_200_000), values: { heartRate: 72, steps: 1300 } },
        { at: iso(T0 + 3_700_000), values: { steps: 1500 } },
        { at: iso(T0 + 7_300_000), values: { heartRate: 65, steps: 40 } },
        { at: iso(T0 - 1), values: { heartRate: 200 } },
      ],
      from,
      to,
    );
    expect(s.heartRate.map((p) => p.value)).toEqual([70, 72, 65]);
    expect(s.stepsPerHour.map((p) => p.value)).toEqual([300, 200, 40]);
  });

  it('breaks the line at gaps and rounds the axis', () => {
    const runs = splitAtGaps([{ at: 0, value: 1 }, { at: 10, value: 1 }, { at: 100, value: 1 }], 50);
    expect(runs.map((r) => r.length)).toEqual([2, 1]);
    expect([niceMax(0), niceMax(7), niceMax(130), niceMax(1_800), niceMax(2_000)]).toEqual([10, 10, 200, 2_000, 2_000]);
  });
});
