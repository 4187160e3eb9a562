/**
 * Table tests of the pure report functions (hub/reports/): statistics, the
 * answer share against the TSA limits at its boundaries, the period filter,
 * false-alarm grouping, devices now, and CSV escaping.
 */
import { describe, expect, it } from 'vitest';
import type { Alert, Outcome, Severity } from '../hub/alerts/alert.js';
import { csvCell, toCsv, UTF8_BOM } from '../hub/reports/csv.js';
import {
  alertsByKind,
  alertsBySeverity,
  alertsRaisedIn,
  answerShare,
  devicesNow,
  durations,
  falseAlarmRates,
  median,
  msToDispatch,
  outcomes,
  percentile,
  responseTimes,
  type DeviceNow,
} from '../hub/reports/figures.js';
import { buildSummary, REPORT_TABLES } from '../hub/reports/summary.js';

const T0 = Date.parse('2026-11-24T02:00:00Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();
let n = 0;

function alert(o: { kind?: string; severity?: Severity; raisedAfter?: number; ack?: number; dispatch?: number[]; resolve?: number; outcome?: Outcome; deviceId?: string | undefined }): Alert {
  const raised = o.raisedAfter ?? 0;
  const timeline: Alert['timeline'] = [{ at: iso(raised), type: 'raised', actor: 'device:x' }];
  if (o.ack !== undefined) timeline.push({ at: iso(raised + o.ack), type: 'acknowledged', actor: 'user:op' });
  for (const d of o.dispatch ?? []) timeline.push({ at: iso(raised + d), type: 'dispatched', actor: 'user:op' });
  if (o.resolve !== undefined) timeline.push({ at: iso(raised + o.resolve), type: 'resolved', actor: 'user:op' });
  return {
    id: `al-${++n}`,
    homeId: 'home-1',
    residentId: 'res-1',
    deviceId: 'deviceId' in o ? o.deviceId : 'br-1',
    kind: o.kind ?? 'sos',
    severity: o.severity ?? 'critical',
    status: o.resolve !== undefined ? 'resolved' : o.dispatch?.length ? 'dispatched' : o.ack !== undefined ? 'acknowledged' : 'open',
    title: 't',
    details: {},
    raisedAt: iso(raised),
    updatedAt: iso(raised),
    occurrences: 1,
    lastOccurrenceAt: iso(raised),
    flags: { overdue: false, escalated: false },
    trigger: { deviceId: 'br-1', eventType: 'sos', at: iso(raised) },
    responders: [],
    acknowledgedAt: o.ack === undefined ? undefined : iso(raised + o.ack),
    resolvedAt: o.resolve === undefined ? undefined : iso(raised + o.resolve),
    outcome: o.outcome,
    timeline,
  };
}

describe('median and p90', () => {
  it.each([
    [[], null, null],
    [[5], 5, 5],
    [[1, 2], 1.5, 2],
    [[3, 1, 2], 2, 3],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5.5, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 6, 10],
    [[30, 90, 200, 30, 60, 30], 45, 200],
  ])('%j → median %s, p90 %s', (values, med, p90) => {
    expect(median(values)).toBe(med);
    expect(percentile(values, 90)).toBe(p90);
  });

  it('p50 by nearest rank and p100', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
    expect(percentile([7, 1], 0)).toBe(1);
  });

  it('durations in seconds', () => {
    expect(durations([60_000, 120_000, 45_000])).toEqual({ count: 3, medianSeconds: 60, p90Seconds: 120 });
    expect(durations([])).toEqual({ count: 0, medianSeconds: null, p90Seconds: null });
  });
});

describe('answer share against the TSA limits', () => {
  const now = T0 + 1_000_000;
  it.each([
    ['acknowledged at exactly 60 s', { ack: 60_000 }, { answered: 1, missed: 0, pending: 0 }],
    ['acknowledged at 60.001 s', { ack: 60_001 }, { answered: 0, missed: 1, pending: 0 }],
    ['open, 61 s old', { raisedAfter: 1_000_000 - 61_000 }, { answered: 0, missed: 1, pending: 0 }],
    ['open, exactly 60 s old', { raisedAfter: 1_000_000 - 60_000 }, { answered: 0, missed: 0, pending: 1 }],
    ['open, 10 s old', { raisedAfter: 1_000_000 - 10_000 }, { answered: 0, missed: 0, pending: 1 }],
  ])('%s', (_name, o, expected) => {
    expect(answerShare([alert(o)], 60, 0.975, now)).toMatchObject(expected);
  });

  it('judges the share against the target; null when nothing is decided', () => {
    const forty = [...Array.from({ length: 39 }, () => alert({ ack: 1_000 })), alert({ ack: 61_000 })];
    expect(answerShare(forty, 60, 0.975, now)).toMatchObject({ share: 39 / 40, met: true }); // 97.5 % exactly meets it
    expect(answerShare(forty.slice(1), 60, 0.975, now)).toMatchObject({ share: 38 / 39, met: false }); // 97.4 %
    expect(answerShare([alert({ raisedAfter: 1_000_000 - 5_000 })], 60, 0.975, now)).toMatchObject({ share: null, met: null, pending: 1 });
    expect(answerShare([], 180, 0.99, now)).toMatchObject({ share: null, met: null });
  });

  it('rows for all and for each severity, with time to first dispatch', () => {
    const a = alert({ ack: 10_000, dispatch: [20_000, 90_000], resolve: 100_000 });
    expect(msToDispatch(a)).toBe(20_000);
    const rows = responseTimes([a, alert({ severity: 'low', ack: 500_000 })], now);
    expect(rows.map((r) => r.scope)).toEqual(['all', 'critical', 'high', 'medium', 'low']);
    expect(rows[0]).toMatchObject({ alerts: 2, acknowledged: 2, toDispatch: { count: 1, medianSeconds: 20 }, toResolve: { count: 1, medianSeconds: 100 } });
    expect(rows[0]!.within180s).toMatchObject({ answered: 1, missed: 1, share: 0.5 });
    expect(rows[4]!.within60s).toMatchObject({ answered: 0, missed: 1, share: 0 });
  });
});

describe('period, counts, outcomes, false alarms', () => {
  it('takes alerts raised in [from, to)', () => {
    const alerts = [alert({ raisedAfter: -1 }), alert({ raisedAfter: 0 }), alert({ raisedAfter: 999 }), alert({ raisedAfter: 1000 })];
    expect(alertsRaisedIn(alerts, { from: T0, to: T0 + 1000 }).map((a) => a.raisedAt)).toEqual([iso(0), iso(999)]);
  });

  it('counts by kind (most first) and by severity (all four)', () => {
    const alerts = [alert({ kind: 'gas' }), alert({ kind: 'fall' }), alert({ kind: 'gas', severity: 'high' }), alert({ kind: 'door_open', severity: 'medium' })];
    expect(alertsByKind(alerts)).toEqual([
      { kind: 'gas', alerts: 2, share: 0.5 },
      { kind: 'door_open', alerts: 1, share: 0.25 },
      { kind: 'fall', alerts: 1, share: 0.25 },
    ]);
    expect(alertsBySeverity(alerts).map((r) => [r.severity, r.alerts])).toEqual([['critical', 2], ['high', 1], ['medium', 1], ['low', 0]]);
    expect(alertsBySeverity([]).every((r) => r.share === null)).toBe(true);
  });

  it('outcome mix of the resolved alerts only', () => {
    const o = outcomes([alert({ ack: 1, resolve: 2, outcome: 'false_alarm' }), alert({ ack: 1, resolve: 2, outcome: 'resident_ok' }), alert({ ack: 1 })]);
    expect(o.resolved).toBe(2);
    expect(o.unresolved).toBe(1);
    expect(o.rows.find((r) => r.outcome === 'false_alarm')).toEqual({ outcome: 'false_alarm', alerts: 1, share: 0.5 });
    expect(o.rows.find((r) => r.outcome === 'no_access')).toEqual({ outcome: 'no_access', alerts: 0, share: 0 });
  });

  it('false-alarm rate per device kind: resolved only, person-raised left out, unknown devices grouped', () => {
    const kinds: Record<string, string> = { 'br-1': 'bracelet', 'sm-1': 'smoke_sensor' };
    const alerts = [
      alert({ deviceId: 'br-1', ack: 1, resolve: 2, outcome: 'false_alarm' }),
      alert({ deviceId: 'br-1', ack: 1, resolve: 2, outcome: 'emergency_handled' }),
      alert({ deviceId: 'br-1', ack: 1, resolve: 2, outcome: 'false_alarm' }),
      alert({ deviceId: 'br-1', ack: 1 }), // not resolved
      alert({ deviceId: 'sm-1', ack: 1, resolve: 2, outcome: 'technical' }),
      alert({ deviceId: 'gone-1', ack: 1, resolve: 2, outcome: 'false_alarm' }),
      alert({ deviceId: undefined, kind: 'visit_follow_up', ack: 1, resolve: 2, outcome: 'false_alarm' }),
    ];
    expect(falseAlarmRates(alerts, (id) => kinds[id])).toEqual([
      { deviceKind: 'bracelet', resolved: 3, falseAlarms: 2, rate: 2 / 3 },
      { deviceKind: 'smoke_sensor', resolved: 1, falseAlarms: 0, rate: 0 },
      { deviceKind: 'unknown', resolved: 1, falseAlarms: 1, rate: 1 },
    ]);
  });
});

describe('devices now', () => {
  const d = (deviceId: string, status: DeviceNow['status'], lastSeen: string | null): DeviceNow => ({ deviceId, kind: 'bracelet', homeId: 'h', homeName: 'n', address: 'a', community: null, status, lastSeen });
  it('online rate over devices in service; not-online list offline first, longest silent first', () => {
    const r = devicesNow([d('a', 'online', iso(0)), d('b', 'unknown', null), d('c', 'offline', iso(500)), d('e', 'offline', iso(100)), d('f', 'online', iso(9))]);
    expect(r).toMatchObject({ total: 5, online: 2, offline: 2, unknown: 1, onlineRate: 0.4 });
    expect(r.notOnline.map((x) => x.deviceId)).toEqual(['e', 'c', 'b']);
    expect(devicesNow([]).onlineRate).toBeNull();
  });
});

describe('CSV', () => {
  it.each<[string | number | boolean | null | undefined, string]>([
    ['plain', 'plain'],
    ['王兰', '王兰'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['=1+2', "'=1+2"],
    ['+86 138', "'+86 138"],
    ['-x', "'-x"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTab', "'\tTab"],
    ['=HYPERLINK("http://e","c")', '"\'=HYPERLINK(""http://e"",""c"")"'],
    ['a=b', 'a=b'],
    [-5, '-5'],
    [0.975, '0.975'],
    [Number.NaN, ''],
    [true, 'true'],
    [null, ''],
    [undefined, ''],
  ])('%j → %s', (value, expected) => {
    expect(csvCell(value)).toBe(expected);
  });

  it('writes a BOM, a header row and CRLF line ends', () => {
    expect(toCsv(['a', 'b'], [[1, 'x,y'], [null, '=z']])).toBe(`${UTF8_BOM}a,b\r\n1,"x,y"\r\n,'=z\r\n`);
    expect(toCsv(['only'], [])).toBe(`${UTF8_BOM}only\r\n`);
  });

  it('every table has a header and one row per figure', () => {
    const summary = buildSummary({
      period: { from: T0, to: T0 + 3_600_000 },
      now: T0 + 3_600_000,
      timezone: 'Asia/Shanghai',
      alerts: [alert({ ack: 30_000, dispatch: [60_000], resolve: 600_000, outcome: 'false_alarm' })],
      deviceKindOf: () => 'bracelet',
      devices: [],
      visits: [],
    });
    const sizes = Object.fromEntries(Object.entries(REPORT_TABLES).map(([name, table]) => [name, table(summary).rows.length]));
    expect(sizes).toEqual({ 'alerts-by-kind': 1, 'alerts-by-severity': 4, 'answer-times': 5, outcomes: 5, 'false-alarms': 1, 'devices-offline': 0, visits: 0, 'visits-missed': 0, 'stalled-alerts': 0, 'late-responders': 0, callbacks: 6, reviews: 0, 'reviews-awaiting': 1 });
    for (const table of Object.values(REPORT_TABLES)) {
      const { header, rows } = table(summary);
      for (const row of rows) expect(row).toHaveLength(header.length);
    }
  });
});
