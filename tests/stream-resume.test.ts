/**
 * The stream's resume by journal line (issue 12 item 4; hub/realtime/alert-feed.ts):
 * the feed's bounds and its fall-back to a snapshot, the same ids and the
 * same events from a feed rebuilt by replaying the journal (what a new
 * leader or a restarted hub does), and a single hub restarted on its data
 * dir resuming a console — on the files and on PostgreSQL. The cluster
 * across kill -9 is tests/cluster-stream-resume.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { newAlert } from '../hub/alerts/alert-intake.js';
import type { Alert } from '../hub/alerts/alert.js';
import { AlertStore } from '../hub/alerts/alert-store.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { AlertFeed, FEED_LIMITS } from '../hub/realtime/alert-feed.js';
import { Journal } from '../hub/storage/journal.js';
import { closeHub, closeStream, useCleanup } from './helpers/cleanup.js';
import { ManualClock } from './helpers/manual-clock.js';
import { StreamClient } from './helpers/stream-client.js';
import { makeTempDir } from './helpers/temp-dir.js';
import { startTestHub, type TestHub } from './helpers/test-hub.js';

const keep = useCleanup();
const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const CHAIN = 'ab'.repeat(32);

function alertIn(homeId: string, n: number): Alert {
  const at = new Date(T0).toISOString();
  return newAlert({ kind: 'sos', severity: 'critical', title: `SOS ${n}`, homeId, deviceId: 'brc-1' }, undefined, { deviceId: 'brc-1', eventType: 'sos', at });
}

/** A feed on a clock the test moves, with `count` alert events shown at ids 10, 20, 30… */
function feedWith(count: number, limits = { maxEvents: 3, maxAgeMs: 60_000 }) {
  const clock = { now: T0 };
  const feed = new AlertFeed({ now: () => clock.now, chainId: () => CHAIN, limits });
  for (let i = 1; i <= count; i++) feed.appended(new Date(clock.now).toISOString(), 'alert.raised', alertIn('home-1', i))(i * 10);
  return { feed, clock };
}

const ids = (events: { eventId: number }[] | undefined) => events?.map((e) => e.eventId);

describe('the alert feed: what a resuming console can be sent', () => {
  it('keeps the newest maxEvents events; from further back there is no resume (a snapshot), from within exactly what followed', () => {
    const { feed } = feedWith(5);
    expect(feed.size).toBe(3);
    expect(feed.lastId).toBe(50);
    expect(ids(feed.since(20))).toEqual([30, 40, 50]);
    expect(ids(feed.since(25))).toEqual([30, 40, 50]); // an id between events (a line of another kind): fine
    expect(ids(feed.since(40))).toEqual([50]);
    expect(ids(feed.since(50))).toEqual([]);
    expect(feed.since(19)).toBeUndefined(); // event 20 was dropped: a gap the console must not get
    expect(feed.since(0)).toBeUndefined();
    // Ids this journal never showed, or nonsense: a snapshot, never a guess.
    expect(feed.since(51)).toBeUndefined();
    expect(feed.since(-1)).toBeUndefined();
    expect(feed.since(Number.NaN)).toBeUndefined();
    expect(feed.since(2.5)).toBeUndefined();
  });

  it('drops events older than maxAgeMs: a console away that long, while alerts moved, gets a snapshot', () => {
    const { feed, clock } = feedWith(2);
    clock.now += 59_000;
    feed.appended(new Date(clock.now).toISOString(), 'alert.acknowledged', alertIn('home-1', 3))(30);
    expect(ids(feed.since(10))).toEqual([20, 30]);
    clock.now += 2_000; // events 10 and 20 are now over a minute old
    expect(feed.since(10)).toBeUndefined();
    expect(ids(feed.since(20))).toEqual([30]);
    clock.now += 60_000;
    expect(feed.size).toBe(1); // dropped when asked, not only on the next event
    expect(feed.since(20)).toBeUndefined();
    // A console that had everything resumes with nothing, however long it was away.
    expect(ids(feed.since(30))).toEqual([]);
    expect(feed.size).toBe(0);
  });

  it('at replay, skips lines older than the bound without serializing them, and resumes only after them', () => {
    const clock = { now: T0 + FEED_LIMITS.maxAgeMs + 5_000 };
    const feed = new AlertFeed({ now: () => clock.now, chainId: () => CHAIN });
    const old = alertIn('home-1', 1);
    const summarized = () => {
      throw new Error('an old line was serialized');
    };
    // A getter that throws if read: serializing the old alert would call it.
    Object.defineProperty(old, 'details', { get: summarized, enumerable: true });
    feed.replayed(7, new Date(T0).toISOString(), 'alert.raised', old);
    feed.replayed(9, new Date(clock.now - 1_000).toISOString(), 'alert.raised', alertIn('home-1', 2));
    expect(feed.size).toBe(1);
    expect(feed.lastId).toBe(9);
    expect(ids(feed.since(7))).toEqual([9]);
    expect(feed.since(6)).toBeUndefined();
  });

  it('names the journal it numbers: the chain id when there is one, else an id no console can present', () => {
    let chain: string | undefined;
    const feed = new AlertFeed({ now: () => T0, chainId: () => chain });
    const provisional = feed.streamId;
    expect(provisional).toMatch(/^local-/);
    expect(new AlertFeed({ now: () => T0, chainId: () => undefined }).streamId).not.toBe(provisional);
    chain = CHAIN;
    expect(feed.streamId).toBe(CHAIN.slice(0, 16));
  });

  it('tells listeners of each event once it is durable, and a throwing listener keeps nobody else from it', () => {
    const { feed } = feedWith(0);
    const heard: number[] = [];
    feed.onEvent(() => {
      throw new Error('a broken socket');
    });
    const off = feed.onEvent((e) => heard.push(e.eventId));
    const show = feed.appended(new Date(T0).toISOString(), 'alert.raised', alertIn('home-1', 1));
    expect(heard).toEqual([]); // appended, not durable yet: nobody may see it
    expect(feed.lastId).toBe(0);
    show(11);
    off();
    feed.appended(new Date(T0).toISOString(), 'alert.note_added', alertIn('home-1', 1))(12);
    expect(heard).toEqual([11]);
    expect(ids(feed.since(0))).toEqual([11, 12]);
  });
});

describe('a feed rebuilt from the journal (a new leader, a restarted hub)', () => {
  it('has the same stream id, the same event ids and the same events, byte for byte', async () => {
    const temp = keep(await makeTempDir(), (t) => t.remove());
    const now = () => T0;
    const build = (journal: Journal) => {
      const feed = new AlertFeed({ now, chainId: () => journal.chainId });
      const store = new AlertStore(journal, new EventBus<HubEvents>(silentLogger()), { noteJournaled: () => undefined }, silentLogger(), feed);
      return { feed, store };
    };
    const first = new Journal({ dir: temp.path, now });
    const live = build(first);
    await first.open();
    first.append('audit', { action: 'login' }); // line 1: not an alert event; ids have gaps
    const alert = alertIn('home-1', 1);
    await live.store.record('alert.raised', { alert }).durable;
    live.store.record('alert.acknowledged', { alertId: alert.id, actor: 'user:li.na' });
    first.append('audit', { action: 'export' });
    live.store.record('alert.note_added', { alertId: alert.id, actor: 'user:li.na', text: 'called the son' });
    await live.store.record('alert.resolved', { alertId: alert.id, actor: 'user:li.na', outcome: 'resident_ok' }).durable;
    await first.close();

    const second = new Journal({ dir: temp.path, now });
    const replayed = build(second);
    await second.open((entry) => replayed.store.replay(entry));
    expect(replayed.feed.streamId).toBe(live.feed.streamId);
    expect(replayed.feed.lastId).toBe(live.feed.lastId);
    expect(replayed.feed.since(0)).toEqual(live.feed.since(0));
    expect(ids(live.feed.since(0))).toEqual([2, 3, 5, 6]);
    // Each event is the alert as its own line left it, though the next line was appended before it was durable.
    expect(live.feed.since(2)!.map((e) => JSON.parse(e.json).alert.status)).toEqual(['acknowledged', 'acknowledged', 'resolved']);
    await second.close();

    // Another journal numbers other lines: its id differs, so no console of the first resumes on it.
    const elsewhere = keep(await makeTempDir(), (t) => t.remove());
    const other = new Journal({ dir: elsewhere.path, now: () => T0 + 1 });
    await other.open();
    other.append('audit', { action: 'login' });
    expect(other.chainId).toBeDefined();
    expect(other.chainId).not.toBe(second.chainId);
    await other.close();
  });
});

describe.each(['files', 'postgres'] as const)('a single hub on %s', (store) => {
  async function raise(hub: TestHub, homeId: string, deviceId: string): Promise<void> {
    await hub.hub.intake.submit({ kind: 'fall', severity: 'critical', title: 'Fall', homeId, deviceId }, { deviceId, eventType: 'fall', at: new Date().toISOString() });
  }

  it('restarted on its data dir, resumes a console from its last event: what was raised across the restart, then `resumed`', async () => {
    const first = keep(await startTestHub({ store }), closeHub);
    const { homeId, devices } = await first.provisionHome({ kinds: ['bracelet'] });
    const stream = keep(await StreamClient.open(first.httpUrl, `token=${first.api.token}`), closeStream);
    const snapshot = await stream.next((m) => m.type === 'snapshot');
    await raise(first, homeId, devices[0]!.id);
    const before = await stream.next((m) => m.type === 'alert.raised');
    await first.hub.stop();

    const second = keep(await startTestHub({ store, dataDir: first.dataDir }), closeHub);
    const alert = (await second.api.get('/api/v1/alerts?status=open')).body.alerts[0];
    expect((await second.api.post(`/api/v1/alerts/${alert.id}/acknowledge`, {})).status).toBe(200);
    const back = keep(await StreamClient.open(second.httpUrl, `token=${second.api.token}&streamId=${snapshot.streamId}&lastEventId=${before.eventId}`), closeStream);
    const resumed = await back.next((m) => m.type === 'resumed');
    const replayed = back.messages.slice(0, back.messages.indexOf(resumed));
    expect(back.messages.some((m) => m.type === 'snapshot')).toBe(false);
    expect(resumed).toMatchObject({ streamId: snapshot.streamId, missed: replayed.length, devices: [expect.objectContaining({ deviceId: devices[0]!.id })] });
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.at(-1)).toMatchObject({ type: 'alert.updated', alert: { id: alert.id, status: 'acknowledged' } });
    expect(replayed.every((m) => m.eventId > before.eventId && m.eventId <= resumed.eventId)).toBe(true);
    expect(replayed.map((m) => m.eventId)).toEqual([...replayed.map((m) => m.eventId)].sort((x, y) => x - y));
  });
});

describe('a console away longer than the bound', () => {
  it('gets a snapshot, and one away a short while resumes', async () => {
    const clock = new ManualClock(T0);
    const hub = keep(await startTestHub({ clock }), closeHub);
    const { homeId, devices } = await hub.provisionHome({ kinds: ['bracelet'] });
    const deviceId = devices[0]!.id;
    const stream = keep(await StreamClient.open(hub.httpUrl, `token=${hub.api.token}`), closeStream);
    const snapshot = await stream.next((m) => m.type === 'snapshot');
    stream.close();
    const resume = `token=${hub.api.token}&streamId=${snapshot.streamId}&lastEventId=${snapshot.eventId}`;

    await hub.hub.intake.submit({ kind: 'fall', severity: 'critical', title: 'Fall', homeId, deviceId }, { deviceId, eventType: 'fall', at: new Date(clock.now()).toISOString() });
    const soon = keep(await StreamClient.open(hub.httpUrl, resume), closeStream);
    await soon.next((m) => m.type === 'resumed');
    expect(soon.messages[0]).toMatchObject({ type: 'alert.raised' });
    soon.close();

    clock.advance(FEED_LIMITS.maxAgeMs + 60_000); // its escalations (and the silent bracelet's offline alert) on the way
    await hub.hub.journal.whenDurable();
    const late = keep(await StreamClient.open(hub.httpUrl, resume), closeStream);
    const fresh = await late.next((m) => m.type === 'snapshot');
    expect(late.messages.some((m) => m.type === 'resumed')).toBe(false);
    expect(fresh.alerts).toContainEqual(expect.objectContaining({ kind: 'fall', flags: expect.objectContaining({ overdue: true, escalated: true }) }));
  });
});
