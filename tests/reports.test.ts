/**
 * Supervisor reports against alerts with known timings: a hub on a manual
 * clock, alerts raised through the intake (and one person-raised follow-up),
 * acknowledged after exactly 30 s / 60 s / 90 s / 200 s, dispatched and
 * resolved with outcomes; then the shares against the TSA standard, medians,
 * p90s, outcome mix and false-alarm rates are checked exactly — live and
 * again after a restart rebuilt them from the journal. Also the CSV exports
 * (content, escaping of formula-looking and quoted text) and the roles.
 */
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../hub/auth/passwords.js';
import type { Role } from '../hub/registry/records.js';
import { ApiClient } from './helpers/api-client.js';
import { closeHub, endClient, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt-device.js';
import { startTestHub, type ProvisionedDevice, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();
const S = 1000;

async function userClient(hub: TestHub, username: string, role: Role, homeIds: string[] = []): Promise<ApiClient> {
  await hub.hub.registry.createUser({ username, role, displayName: username, homeIds, passwordHash: await hashPassword('a-long-password') });
  const api = new ApiClient(hub.httpUrl);
  await api.login(username, 'a-long-password');
  return api;
}

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF), to read back what the hub wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += ch;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

interface Walk {
  ackAfter?: number;
  dispatchAfter?: number;
  resolveAfter?: number;
  outcome?: string;
}

describe('reports against alerts with known timings', () => {
  it('computes answer shares, medians, p90, outcomes, false-alarm rates and device figures exactly', async () => {
    const clock = new ManualClock(Date.parse('2026-11-24T02:00:00Z'));
    const hub = keep(await startTestHub({ clock }), closeHub);
    const kinds = ['bracelet', 'smoke_sensor', 'gas_alarm', 'door_sensor'];
    const h1 = await hub.provisionHome({ kinds });
    const h2 = await hub.provisionHome({ kinds });
    const h3 = await hub.provisionHome({ kinds });
    await hub.provisionHome({ kinds: ['bracelet'], live: false }); // installing: its device is not in service
    const device = (h: { devices: ProvisionedDevice[] }, kind: string) => h.devices.find((d) => d.kind === kind)!;
    const r3 = (await hub.api.get(`/api/v1/homes/${h3.homeId}`)).body.resident.id as string;

    // An hour of silence first: every device is declared offline (and raises its device_offline alert) before the period.
    clock.advance(3600 * S);
    await hub.hub.journal.whenDurable();
    const from = clock.now();

    const raise = async (homeId: string, deviceId: string, kind: string, severity: 'critical' | 'high' | 'medium' | 'low') => {
      hub.hub.intake.submit({ kind, severity, title: kind, homeId, deviceId }, { deviceId, eventType: kind, at: new Date(clock.now()).toISOString() });
      await hub.hub.journal.whenDurable();
      return hub.hub.alerts.openFor(homeId, kind, hub.hub.registry.getHome(homeId)!.residentId)!.id;
    };
    /** Acknowledge, dispatch and resolve at exact offsets (seconds) from the raise. */
    const walk = async (alertId: string, w: Walk) => {
      let elapsed = 0;
      const to = (seconds: number) => {
        clock.advance(seconds * S - elapsed);
        elapsed = seconds * S;
      };
      if (w.ackAfter !== undefined) {
        to(w.ackAfter);
        expect((await hub.api.post(`/api/v1/alerts/${alertId}/acknowledge`, {})).status).toBe(200);
      }
      if (w.dispatchAfter !== undefined) {
        to(w.dispatchAfter);
        const res = await hub.api.post(`/api/v1/alerts/${alertId}/dispatch`, { responders: [{ kind: 'community_worker', name: 'Zhou Jie' }] });
        expect(res.status).toBe(200);
      }
      if (w.resolveAfter !== undefined) {
        to(w.resolveAfter);
        expect((await hub.api.post(`/api/v1/alerts/${alertId}/resolve`, { outcome: w.outcome })).status).toBe(200);
      }
      clock.advance(5 * S); // a gap before the next alert
    };

    // 1. SOS: answered in 30 s, dispatched at 60 s, resolved at 600 s — emergency handled.
    await walk(await raise(h1.homeId, device(h1, 'bracelet').id, 'sos', 'critical'), { ackAfter: 30, dispatchAfter: 60, resolveAfter: 600, outcome: 'emergency_handled' });
    // 2. Fall: 90 s, dispatched at 120 s, resolved at 900 s — false alarm.
    await walk(await raise(h2.homeId, device(h2, 'bracelet').id, 'fall', 'critical'), { ackAfter: 90, dispatchAfter: 120, resolveAfter: 900, outcome: 'false_alarm' });
    // 3. Smoke: 200 s, never dispatched, resolved at 300 s — false alarm.
    await walk(await raise(h1.homeId, device(h1, 'smoke_sensor').id, 'smoke', 'critical'), { ackAfter: 200, resolveAfter: 300, outcome: 'false_alarm' });
    // 4. Gas: 30 s, dispatched at 45 s, resolved at 1200 s — resident OK.
    await walk(await raise(h2.homeId, device(h2, 'gas_alarm').id, 'gas', 'critical'), { ackAfter: 30, dispatchAfter: 45, resolveAfter: 1200, outcome: 'resident_ok' });
    // 5. Door left open: exactly 60 s (counts as within 60 s), resolved at 120 s — technical.
    await walk(await raise(h1.homeId, device(h1, 'door_sensor').id, 'door_open', 'medium'), { ackAfter: 60, resolveAfter: 120, outcome: 'technical' });
    // 6. A visitor's follow-up (person-raised, no device): 30 s, resolved at 60 s — false alarm.
    const visit = await hub.api.post('/api/v1/visits', { residentId: r3, visitedAt: new Date(clock.now()).toISOString(), condition: 'well', followUp: true });
    expect(visit.status).toBe(201);
    await walk(visit.body.followUpAlertId, { ackAfter: 30, resolveAfter: 60, outcome: 'false_alarm' });
    // 7. SOS never acknowledged: 200 s old when the report is read, so it missed both limits.
    await raise(h3.homeId, device(h3, 'bracelet').id, 'sos', 'critical');
    clock.advance(190 * S);
    // 8. Tamper raised 10 s before the report: not decided yet for either limit.
    await raise(h3.homeId, device(h3, 'door_sensor').id, 'tamper', 'medium');
    clock.advance(10 * S);
    await hub.hub.journal.whenDurable();

    // One bracelet speaks again: the only device online now.
    const b1 = device(h1, 'bracelet');
    const client = keep(await connectDevice(hub.mqttUrl, b1.id, b1.secret), endClient);
    await client.publishAsync(`hc/v1/${b1.id}/telemetry`, JSON.stringify({ heartRate: 72 }), { qos: 1 });

    const to = clock.now() + 1;
    const query = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    const supervisor = await userClient(hub, 'sun.mei', 'supervisor');
    const res = await supervisor.get(`/api/v1/reports/summary?${query}`);
    expect(res.status).toBe(200);
    const s = res.body;

    expect(s.period).toEqual({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), timezone: 'Asia/Shanghai' });
    expect(s.alerts.total).toBe(8);
    expect(s.alerts.byKind).toEqual([
      { kind: 'sos', alerts: 2, share: 2 / 8 },
      { kind: 'door_open', alerts: 1, share: 1 / 8 },
      { kind: 'fall', alerts: 1, share: 1 / 8 },
      { kind: 'gas', alerts: 1, share: 1 / 8 },
      { kind: 'smoke', alerts: 1, share: 1 / 8 },
      { kind: 'tamper', alerts: 1, share: 1 / 8 },
      { kind: 'visit_follow_up', alerts: 1, share: 1 / 8 },
    ]);
    expect(s.alerts.bySeverity).toEqual([
      { severity: 'critical', alerts: 5, share: 5 / 8 },
      { severity: 'high', alerts: 0, share: 0 },
      { severity: 'medium', alerts: 3, share: 3 / 8 },
      { severity: 'low', alerts: 0, share: 0 },
    ]);

    const all = s.responseTimes[0];
    expect(all.scope).toBe('all');
    expect(all).toMatchObject({ alerts: 8, acknowledged: 6 });
    // ≤ 60 s: alerts 1, 4, 5 (exactly 60 s), 6; missed: 2 (90 s), 3 (200 s), 7 (never, 200 s old); 8 pending.
    expect(all.within60s).toEqual({ limitSeconds: 60, answered: 4, missed: 3, pending: 1, share: 4 / 7, target: 0.975, met: false });
    // ≤ 180 s: alerts 1, 2, 4, 5, 6; missed: 3 and 7; 8 pending.
    expect(all.within180s).toEqual({ limitSeconds: 180, answered: 5, missed: 2, pending: 1, share: 5 / 7, target: 0.99, met: false });
    // Acknowledged after 30, 90, 200, 30, 60, 30 s: median (30 + 60) / 2, p90 = rank 6 of 6.
    expect(all.toAcknowledge).toEqual({ count: 6, medianSeconds: 45, p90Seconds: 200 });
    // Dispatched after 60, 120, 45 s.
    expect(all.toDispatch).toEqual({ count: 3, medianSeconds: 60, p90Seconds: 120 });
    // Resolved after 600, 900, 300, 1200, 120, 60 s.
    expect(all.toResolve).toEqual({ count: 6, medianSeconds: 450, p90Seconds: 1200 });

    const critical = s.responseTimes.find((r: { scope: string }) => r.scope === 'critical');
    expect(critical.within60s).toMatchObject({ answered: 2, missed: 3, pending: 0, share: 2 / 5, met: false });
    const medium = s.responseTimes.find((r: { scope: string }) => r.scope === 'medium');
    expect(medium.within60s).toMatchObject({ answered: 2, missed: 0, pending: 1, share: 1, met: true });
    expect(medium.within180s).toMatchObject({ share: 1, met: true });
    expect(s.responseTimes.find((r: { scope: string }) => r.scope === 'high').within60s).toMatchObject({ share: null, met: null });

    expect(s.outcomes).toEqual({
      resolved: 6,
      unresolved: 2,
      rows: [
        { outcome: 'emergency_handled', alerts: 1, share: 1 / 6 },
        { outcome: 'resident_ok', alerts: 1, share: 1 / 6 },
        { outcome: 'false_alarm', alerts: 3, share: 3 / 6 },
        { outcome: 'technical', alerts: 1, share: 1 / 6 },
        { outcome: 'no_access', alerts: 0, share: 0 },
      ],
    });
    // The follow-up's false alarm has no device and is left out.
    expect(s.falseAlarms).toEqual([
      { deviceKind: 'bracelet', resolved: 2, falseAlarms: 1, rate: 0.5 },
      { deviceKind: 'door_sensor', resolved: 1, falseAlarms: 0, rate: 0 },
      { deviceKind: 'gas_alarm', resolved: 1, falseAlarms: 0, rate: 0 },
      { deviceKind: 'smoke_sensor', resolved: 1, falseAlarms: 1, rate: 1 },
    ]);

    expect(s.devices).toMatchObject({ total: 12, online: 1, offline: 11, unknown: 0, onlineRate: 1 / 12 });
    expect(s.devices.notOnline).toHaveLength(11);
    expect(s.devices.notOnline.map((d: { deviceId: string }) => d.deviceId)).not.toContain(b1.id);

    // The visit rate in the report is the one of GET /reports/visits.
    const visits = await supervisor.get('/api/v1/reports/visits?month=2026-11');
    expect(s.visits).toEqual([visits.body]);

    // CSV of the same figures.
    const csv = await supervisor.get(`/api/v1/reports/answer-times.csv?${query}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="answer-times_2026-11-24_2026-11-24\.csv"$/);
    const rows = parseCsv(csv.body);
    expect(rows[0]!.slice(0, 9)).toEqual(['scope', 'alerts', 'acknowledged', 'answered_within_60s', 'missed_60s', 'pending_60s', 'share_within_60s', 'target_60s', 'met_60s']);
    const allRow = Object.fromEntries(rows[0]!.map((h, i) => [h, rows[1]![i]]));
    expect(allRow).toMatchObject({ scope: 'all', alerts: '8', share_within_60s: '0.5714', target_60s: '0.975', met_60s: 'false', share_within_180s: '0.7143', target_180s: '0.99', ack_median_s: '45', ack_p90_s: '200', dispatch_median_s: '60', dispatch_p90_s: '120', resolve_median_s: '450', resolve_p90_s: '1200' });
    expect(rows.map((r) => r[0])).toEqual(['scope', 'all', 'critical', 'high', 'medium', 'low']);

    const falseCsv = parseCsv((await supervisor.get(`/api/v1/reports/false-alarms.csv?${query}`)).body);
    expect(falseCsv).toEqual([
      ['device_kind', 'resolved', 'false_alarms', 'false_alarm_rate'],
      ['bracelet', '2', '1', '0.5'],
      ['door_sensor', '1', '0', '0'],
      ['gas_alarm', '1', '0', '0'],
      ['smoke_sensor', '1', '1', '1'],
    ]);
    const kindCsv = parseCsv((await supervisor.get(`/api/v1/reports/alerts-by-kind.csv?${query}`)).body);
    expect(kindCsv[0]).toEqual(['kind', 'alerts', 'share']);
    expect(kindCsv[1]).toEqual(['sos', '2', '0.25']);

    // The journal holds the same story: a restarted hub reports the same figures.
    await hub.hub.stop();
    const again = keep(await startTestHub({ clock, dataDir: hub.dataDir }), closeHub);
    const replayed = (await again.api.get(`/api/v1/reports/summary?${query}`)).body;
    expect(replayed.alerts).toEqual(s.alerts);
    expect(replayed.responseTimes).toEqual(s.responseTimes);
    expect(replayed.outcomes).toEqual(s.outcomes);
    expect(replayed.falseAlarms).toEqual(s.falseAlarms);
  });
});

describe('report exports', () => {
  it('escapes quotes, commas, newlines and formula-looking text in CSV', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const home = await hub.api.post('/api/v1/homes', {
      name: '=HYPERLINK("http://evil.example","click")',
      address: '3 "Garden" Lane, Block 2\nFlat 5',
      community: '+Jinjiang',
      resident: { name: '@Wang, "Lan"', birthYear: 1940, specialHardship: true },
    });
    expect(home.status).toBe(201);
    const dev = await hub.api.post(`/api/v1/homes/${home.body.id}/devices`, { kind: 'door_sensor', serial: 'ESC-1' });
    expect(dev.status).toBe(201);
    expect((await hub.api.post(`/api/v1/homes/${home.body.id}/go-live`, { overrideReason: 'test fixture' })).status).toBe(200);

    const offline = await hub.api.get('/api/v1/reports/devices-offline.csv');
    expect(offline.status).toBe(200);
    expect(offline.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const raw = Buffer.from(await (await fetch(`${hub.httpUrl}/api/v1/reports/devices-offline.csv`, { headers: { authorization: `Bearer ${hub.api.token}` } })).arrayBuffer());
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 BOM for Excel
    expect(offline.body).toContain('"\'=HYPERLINK(""http://evil.example"",""click"")"');
    expect(offline.body).toContain('"3 ""Garden"" Lane, Block 2\nFlat 5"');
    expect(offline.body.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(offline.body);
    expect(rows[0]).toEqual(['device_id', 'kind', 'status', 'last_seen', 'home_id', 'home_name', 'address', 'community']);
    expect(rows[1]).toEqual([dev.body.id, 'door_sensor', 'unknown', '', home.body.id, '\'=HYPERLINK("http://evil.example","click")', '3 "Garden" Lane, Block 2\nFlat 5', "'+Jinjiang"]);

    const missed = parseCsv((await hub.api.get('/api/v1/reports/visits-missed.csv')).body);
    expect(missed[1]!.slice(1, 4)).toEqual([home.body.resident.id, '\'@Wang, "Lan"', "'+Jinjiang"]);
    const visits = parseCsv((await hub.api.get('/api/v1/reports/visits.csv')).body);
    expect(visits[0]).toEqual(['month', 'scope', 'community', 'residents', 'visited', 'not_visited', 'rate', 'target', 'target_met']);
    expect(visits.slice(1).map((r) => r.slice(1))).toEqual([
      ['all', '', '1', '0', '1', '0', '1', 'false'],
      ['community', "'+Jinjiang", '1', '0', '1', '0', '1', 'false'],
    ]);

    // Every table is served, each with its header row.
    for (const table of ['alerts-by-kind', 'alerts-by-severity', 'answer-times', 'outcomes', 'false-alarms', 'devices-offline', 'visits', 'visits-missed']) {
      const res = await hub.api.get(`/api/v1/reports/${table}.csv`);
      expect(res.status, table).toBe(200);
      expect(parseCsv(res.body)[0]!.length).toBeGreaterThan(2);
    }
  });

  it('refuses a bad period, and keeps reports from visitors, operators and families', async () => {
    const hub = keep(await startTestHub(), closeHub);
    const { homeId } = await hub.provisionHome({ kinds: ['bracelet'] });
    const bad = await hub.api.get('/api/v1/reports/summary?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('to');
    const notIso = await hub.api.get('/api/v1/reports/outcomes.csv?from=last-week');
    expect(notIso.status).toBe(400);
    expect(notIso.body.error.message).toContain('from');
    expect((await hub.api.get('/api/v1/reports/visits?month=2026-13')).status).toBe(400);

    const visitor = await userClient(hub, 'zhou.jie', 'visitor');
    const operator = await userClient(hub, 'li.na', 'operator');
    const family = await userClient(hub, 'wang.family', 'family', [homeId]);
    const admin = hub.api;
    for (const path of ['/api/v1/reports/summary', '/api/v1/reports/visits', '/api/v1/reports/answer-times.csv', '/api/v1/reports/visits.csv']) {
      expect((await visitor.get(path)).status, `visitor ${path}`).toBe(403);
      expect((await operator.get(path)).status, `operator ${path}`).toBe(403);
      expect((await family.get(path)).status, `family ${path}`).toBe(403);
      expect((await admin.get(path)).status, `admin ${path}`).toBe(200);
    }
  });
});
