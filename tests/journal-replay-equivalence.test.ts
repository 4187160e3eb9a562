/**
 * A cold replay builds what the live writes built: for a journal holding every
 * alert line type, audit lines and other services' lines, the alert store
 * (every alert, timeline included, and its dedupe keys), its stream feed
 * (every event, byte for byte) and the audit view after a cold open equal
 * those of the process that wrote the journal — on files and on PostgreSQL.
 *
 * What the faster replay relies on (docs/PERFORMANCE.md, "the journal's
 * replay"): the alert store adopts the lines' parsed data instead of copying
 * it; the feed keeps a replayed event's alert as a copy two levels deep and
 * serializes it only when it is read; the line checks skip a pattern when the
 * value is one already checked (the `at` of the line before, the hash just
 * made); PostgreSQL rows are read with `at` printed by the server and only
 * `data` parsed, a page read ahead while the last one is applied. A broken
 * chain still warns once and the replay goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { replaySide } from '../bench/takeover-replay.js';
import { newAlert } from '../hub/alerts/alert-intake.js';
import type { Alert, IncidentReview } from '../hub/alerts/alert.js';
import { deviceMessageKeyOf } from '../hub/alerts/message-key.js';
import { formatEntry, hashLine, parseEntry } from '../hub/storage/journal-format.js';
import { Journal } from '../hub/storage/journal.js';
import type { JournalStore } from '../hub/storage/ports.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { scanJournal, type StoredLine } from '../hub/storage/postgres/journal-sql.js';
import { useCleanup } from './helpers/cleanup.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { makeTempDir } from './helpers/temp-dir.js';

const keep = useCleanup();
const pg = usePgDatabase();
const T0 = Date.parse('2026-03-02T08:00:00.000Z');

afterEach(async () => {
  await pg.query('DROP SCHEMA public CASCADE');
  await pg.query('CREATE SCHEMA public');
});

/** The journal's clock: 7 ms later at each reading. */
function clock(): () => number {
  let t = T0;
  return () => (t += 7);
}

function sos(homeId: string, deviceId: string, seq: number, at: string, extra: Partial<Alert> = {}): Alert {
  const alert = newAlert({ kind: 'sos', severity: 'critical', title: 'SOS button pressed', homeId, deviceId, details: { battery: 80, nested: { a: [1, 2] } } }, `res-${homeId}`, {
    deviceId,
    eventType: 'sos',
    at,
    seq,
    ts: Date.parse(at),
  });
  return { ...alert, ...extra };
}

const review: IncidentReview = {
  whatHappened: 'fell in the kitchen',
  toImprove: 'nothing',
  targetsMet: true,
  times: { acknowledgeSeconds: 12, dispatchSeconds: 40, onSceneSeconds: 600, resolveSeconds: 900 },
  reviewedAt: '2026-03-02T09:00:00.000Z',
  reviewedBy: 'user:zhang.wei',
};

/** Every alert line type at least once, several alerts interleaved, audit lines and other services' lines between them. */
async function writeEverything(journal: JournalStore, side: ReturnType<typeof replaySide>): Promise<void> {
  const { alerts, audit } = side;
  const at = () => new Date(T0).toISOString();
  const a = alerts.record('alert.raised', { alert: sos('home-1', 'brc-1', 1, at(), { location: { deviceId: 'brc-1', at: at(), room: 'kitchen' } }) }).alert;
  const b = alerts.record('alert.raised', { alert: sos('home-2', 'brc-2', 7, at(), { drill: { drillId: 'dr-1' }, title: 'DRILL SOS' }) }).alert;
  const trigger = { deviceId: 'brc-1', eventType: 'sos', at: at(), seq: 2, ts: T0 + 2 };
  alerts.record('alert.occurrence', { alertId: a.id, trigger, severity: 'critical', title: 'SOS pressed again' });
  void audit.record('alert.viewed', 'user:li.na', a.id);
  alerts.record('alert.attached', { alertId: a.id, trigger: { ...trigger, seq: 3, eventType: 'fall_cancelled' }, note: 'cancelled by the wearer' });
  alerts.record('alert.severity_changed', { alertId: a.id, severity: 'high', title: 'Call back', note: 'cancelled', actor: 'system' });
  alerts.record('alert.acknowledged', { alertId: a.id, actor: 'user:li.na' });
  alerts.record('alert.acknowledged', { alertId: b.id, actor: 'user:wang.fang' });
  journal.append('commissioning.tick', { deviceId: 'gas-9', check: 'connected', at: at() });
  alerts.record('alert.command_updated', { alertId: a.id, actor: 'user:li.na', cmdId: 'c1', deviceId: 'brc-1', command: 'help_coming', state: 'pending' });
  alerts.record('alert.command_updated', { alertId: a.id, actor: 'system', cmdId: 'c1', deviceId: 'brc-1', command: 'help_coming', state: 'delivered' });
  alerts.record('alert.help_unconfirmed', { alertId: a.id });
  alerts.record('alert.command_updated', { alertId: a.id, actor: 'system', cmdId: 'c1', deviceId: 'brc-1', command: 'help_coming', state: 'confirmed' });
  alerts.record('alert.command_sent', { alertId: a.id, actor: 'user:li.na', command: 'silence' });
  alerts.record('alert.location', { alertId: a.id, location: { deviceId: 'brc-1', at: at(), room: 'kitchen' } }); // the same place: no timeline entry
  alerts.record('alert.location', { alertId: a.id, location: { deviceId: 'brc-1', at: at(), lat: 31.2, lon: 121.5, accuracyM: 8 } });
  const responders = [
    { id: 'rsp-1', kind: 'family' as const, name: 'Daughter', phone: '138', state: 'notified' as const, addedAt: at(), addedBy: 'user:li.na', updatedAt: at() },
    { id: 'rsp-2', kind: 'ambulance_120' as const, name: '120', state: 'notified' as const, addedAt: at(), addedBy: 'user:li.na', updatedAt: at() },
  ];
  alerts.record('alert.dispatched', { alertId: a.id, actor: 'user:li.na', responders });
  alerts.record('alert.responder_joined', { alertId: a.id, actor: 'user:son', responder: { id: 'rsp-3', kind: 'family', name: 'Son', state: 'accepted', addedAt: at(), addedBy: 'user:son', updatedAt: at() } });
  alerts.record('alert.responder_updated', { alertId: a.id, actor: 'user:li.na', responderId: 'rsp-1', state: 'accepted' });
  void audit.record('export', 'user:zhang.wei', undefined, { rows: 3 });
  alerts.record('alert.responder_updated', { alertId: a.id, actor: 'user:li.na', responderId: 'rsp-1', state: 'on_scene' });
  alerts.record('alert.responder_late', { alertId: a.id, responderId: 'rsp-2' });
  alerts.record('alert.note_added', { alertId: a.id, actor: 'user:li.na', text: '邻居有钥匙 "key" \\ \n' });
  alerts.record('alert.overdue', { alertId: b.id });
  alerts.record('alert.escalated', { alertId: b.id });
  alerts.record('alert.stalled', { alertId: b.id, stage: 'holder', holder: 'user:wang.fang' });
  alerts.record('alert.released', { alertId: b.id, actor: 'user:wang.fang', note: 'end of shift' });
  alerts.record('alert.acknowledged', { alertId: b.id, actor: 'user:li.na' });
  alerts.record('alert.handed_over', { alertId: b.id, actor: 'user:li.na', from: 'user:li.na', to: 'user:wang.fang', note: 'yours' });
  journal.append('device.test_event', { deviceId: 'smk-3', eventType: 'test', at: at(), seq: 11, ts: T0 });
  alerts.record('alert.resolved', { alertId: a.id, actor: 'user:li.na', outcome: 'emergency_handled', note: 'taken to hospital' });
  alerts.record('alert.reviewed', { alertId: a.id, actor: 'user:zhang.wei', review });
  alerts.record('alert.resolved', { alertId: b.id, actor: 'user:wang.fang', outcome: 'resident_ok' });
  // A second SOS in the same home: a new alert, since the first is resolved.
  const c = alerts.record('alert.raised', { alert: sos('home-1', 'brc-1', 20, at()) }).alert;
  alerts.record('alert.responder_joined', { alertId: c.id, actor: 'user:son', responder: { id: 'rsp-9', kind: 'family', name: 'Son', state: 'notified', addedAt: at(), addedBy: 'user:son', updatedAt: at() } });
  await journal.whenDurable();
}

/** Everything the replay rebuilds that a person or a console sees, as text (key order included). */
function seen(side: ReturnType<typeof replaySide>) {
  const alerts = side.alerts.list();
  return {
    alerts: JSON.stringify(alerts),
    open: alerts.map((a) => side.alerts.openFor(a.homeId, a.kind, a.residentId)?.id ?? null),
    audit: JSON.stringify(side.audit.recent()),
    feed: { lastId: side.feed.lastId, streamId: side.feed.streamId, events: side.feed.since(0) },
  };
}

async function liveThenCold(open: () => JournalStore): Promise<{ live: ReturnType<typeof seen>; cold: ReturnType<typeof seen>; lines: number }> {
  const feedNow = () => T0 + 60_000; // every line stays within the feed's age bound
  const writer = open();
  const live = replaySide(writer, feedNow);
  await writer.open(live.onEntry);
  await writeEverything(writer, live);
  const liveSeen = seen(live);
  await writer.close();
  const reader = open();
  const cold = replaySide(reader, feedNow);
  const lines = await reader.open(cold.onEntry);
  const coldSeen = seen(cold);
  await reader.close();
  return { live: liveSeen, cold: coldSeen, lines };
}

function expectSame({ live, cold, lines }: Awaited<ReturnType<typeof liveThenCold>>): void {
  expect(lines).toBe(35);
  expect(cold.alerts).toBe(live.alerts);
  expect(cold.open).toEqual(live.open);
  expect(cold.audit).toBe(live.audit);
  expect(cold.feed).toEqual(live.feed);
  // The events are the alerts as each line left them: a responder notified, then accepted, then on scene.
  const states = live.feed.events!.map((e) => JSON.parse(e.json).alert.responders?.find((r: { id: string }) => r.id === 'rsp-1')?.state).filter(Boolean);
  expect(states).toEqual(expect.arrayContaining(['notified', 'accepted', 'on_scene']));
  expect(live.feed.events!.length).toBe(lines - 4); // all but the two audit lines and the two other services' lines
}

describe('a cold replay against the live writes', () => {
  it('files: the same alerts, dedupe keys, stream events and audit view', async () => {
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const now = clock();
    expectSame(await liveThenCold(() => new Journal({ dir: temp.path, now })));
  });

  it('PostgreSQL: the same, and each row read as the old whole-line parse read it', async () => {
    const now = clock();
    expectSame(await liveThenCold(() => new PgJournal({ db: new PgDatabase({ url: pg.url }), now, messageKeyOf: deviceMessageKeyOf })));

    // Page by page (3 rows a page, read ahead): every row's entry is what parsing its whole line gave, and its `at`
    // is what the driver's Date of the column printed.
    const dates = new Map((await pg.query<{ n: string; at: Date }>('SELECT n, at FROM journal')).rows.map((r) => [Number(r.n), r.at.toISOString()]));
    const stored: StoredLine[] = [];
    await scanJournal(pg, (line) => void stored.push(line), 3);
    expect(stored.map((l) => l.entry.n)).toEqual([...dates.keys()].sort((x, y) => x - y));
    for (const line of stored) {
      expect(line.entry).toEqual((parseEntry(line.text) as { entry: unknown }).entry);
      expect(JSON.stringify(line.entry)).toBe(line.text);
      expect(line.entry.at).toBe(dates.get(line.entry.n));
      expect(hashLine(line.text)).toBe(line.storedHash);
    }
    // Stopped part-way: the page read ahead is waited for, and nothing after the stop is applied.
    const firstFive: number[] = [];
    await scanJournal(pg, (line) => (firstFive.push(line.entry.n), firstFive.length < 5), 3);
    expect(firstFive).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('the chain and field checks keep their answers', () => {
  it('PostgreSQL: a row edited around the trigger is warned about once, and every line is still replayed', async () => {
    const writer = new PgJournal({ db: new PgDatabase({ url: pg.url }), now: clock() });
    await writer.open();
    for (let i = 0; i < 5; i++) writer.append('audit', { action: 'login', actor: `user:u${i}` });
    await writer.whenDurable();
    await writer.close();
    await pg.query("SET session_replication_role = replica; UPDATE journal SET data = '{\"action\":\"edited\"}' WHERE n = 3; SET session_replication_role = origin;");
    const warnings: string[] = [];
    const reader = new PgJournal({ db: new PgDatabase({ url: pg.url }), onWarning: (w) => warnings.push(w) });
    const actions: string[] = [];
    expect(await reader.open((e) => void actions.push((e.data as { action: string }).action))).toBe(5);
    await reader.close();
    expect(actions).toEqual(['login', 'login', 'edited', 'login', 'login']);
    expect(warnings).toEqual([expect.stringMatching(/^journal chain broken at n=3 in .*; replay continues/)]);
  });

  it('gives the same reason for each bad field, whatever line was checked before it', () => {
    const good = { n: 2, at: '2026-03-02T08:00:00.123Z', type: 'audit', data: {}, prev: hashLine('line 1') };
    const line = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });
    const reason = (text: string) => {
      const parsed = parseEntry(text);
      return parsed.ok ? 'ok' : parsed.reason;
    };
    expect(reason(formatEntry(good))).toBe('ok');
    // The same `at` again is taken as checked; a different one is checked afresh.
    expect(reason(line({ at: '2026-03-02T08:00:00.123Z' }))).toBe('ok');
    expect(reason(line({ at: '2026-13-02T08:00:00.123Z' }))).toBe('at is not an ISO-8601 UTC timestamp');
    expect(reason(line({ at: '2026-03-02 08:00:00Z' }))).toBe('at is not an ISO-8601 UTC timestamp');
    expect(reason(line({ at: '' }))).toBe('at is not an ISO-8601 UTC timestamp');
    expect(reason(line({ n: 0 }))).toBe('n is not a positive integer');
    expect(reason(line({ n: 1.5 }))).toBe('n is not a positive integer');
    expect(reason(line({ type: '' }))).toBe('type is not a non-empty string');
    // `prev` equal to the hash just made passes without the pattern; anything else still meets it.
    expect(reason(line({ prev: hashLine('line 1') }))).toBe('ok');
    expect(reason(line({ prev: 'A'.repeat(64) }))).toBe('prev is not 64 lowercase hex digits');
    expect(reason(line({ prev: `${hashLine('x')}0` }))).toBe('prev is not 64 lowercase hex digits');
    expect(reason(line({ prev: '0'.repeat(64) }))).toBe('ok');
    expect(reason('{"at":1,"n":1}')).toBe('keys are at,n, expected n,at,type,data,prev');
  });

  it('hashes a line as createHash did: its UTF-8 bytes, whether given as text or bytes', async () => {
    const { createHash } = await import('node:crypto');
    for (const text of ['{"n":1}', '邻居有钥匙', 'lone \ud800 surrogate', '']) {
      const expected = createHash('sha256').update(text).digest('hex');
      expect(hashLine(text)).toBe(expected);
      expect(hashLine(Buffer.from(text, 'utf8'))).toBe(expected);
    }
  });
});
