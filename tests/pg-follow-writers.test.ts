/**
 * A PostgreSQL journal writer that follows the other writers (issue 12 step
 * 3, docs/CLUSTER.md "Step 3's writers"): its tail applies their lines to its
 * memory in n order and skips its own (applied when appended), and the alert
 * feed shows its own events only once the tail has passed their lines, so a
 * console sees every alert event in n order whoever wrote it. Real server,
 * real concurrent writers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { newAlert } from '../hub/alerts/alert-intake.js';
import { AlertStore } from '../hub/alerts/alert-store.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import { AlertFeed, type AlertEvent } from '../hub/realtime/alert-feed.js';
import type { JournalEntry } from '../hub/storage/journal-format.js';
import { PgDatabase } from '../hub/storage/postgres/database.js';
import { PgJournal } from '../hub/storage/postgres/journal-pg.js';
import { verifyPgJournal } from '../hub/storage/postgres/verify-journal-pg.js';
import { usePgDatabase } from './helpers/pg-database.js';
import { homeIn, rawWriter } from './helpers/pg-raw-writer.js';
import { waitFor } from './helpers/wait-for.js';

const pg = usePgDatabase();
const opened: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  await pg.resetSchema();
});

function followingJournal(): PgJournal {
  const j = new PgJournal({ db: new PgDatabase({ url: pg.url }), identity: () => ({ nodeId: 'node-a' }), retryDelayMs: { min: 10, max: 100 }, closeTimeoutMs: 2_000, followWhileWriting: true, tailPollMs: 60_000 });
  opened.push(j);
  return j;
}

const OTHERS_PARTITION = 7;
const othersHome = homeIn(OTHERS_PARTITION);
const ourHome = homeIn(9);

const sos = (homeId: string, i: number) =>
  newAlert({ kind: 'sos', severity: 'critical', title: `SOS ${i}`, homeId, deviceId: `brc-${i}` }, undefined, { deviceId: `brc-${i}`, eventType: 'sos', at: new Date().toISOString() });

describe('a writer that follows the other writers', () => {
  it("applies the other writers' lines in n order, never its own again, and its position and reads follow its tail", async () => {
    const j = followingJournal();
    const applied: JournalEntry[] = [];
    await j.open((entry) => applied.push(entry));
    const other = await rawWriter(pg.url, opened, 'node-b', [OTHERS_PARTITION], true);

    const mine1 = j.append('audit', { who: 'a', i: 1 }, ourHome);
    await mine1.durable;
    const theirs = await other.write([1, 2].map((i) => ({ at: new Date().toISOString(), type: 'audit', dataText: JSON.stringify({ who: 'b', i }), partition: OTHERS_PARTITION, key: undefined })));
    const mine2 = j.append('audit', { who: 'a', i: 2 });
    await mine2.durable;
    expect([mine1.entry.n, theirs.firstN, theirs.lastN, mine2.entry.n]).toEqual([1, 2, 3, 4]);

    // Only NOTIFY wakes the tail here (its poll is a minute away).
    expect(await j.reachLine!(4, 10_000)).toBe(true);
    expect(j.order!.position()).toBe(4);
    expect(applied.map((e) => [e.n, (e.data as { who: string }).who])).toEqual([
      [2, 'b'],
      [3, 'b'],
    ]);
    expect(j.lastN).toBe(4);
    expect(await verifyPgJournal(pg)).toEqual({ ok: true, lines: 4 });
  });

  it('shows every alert event to a console in n order, its own and the other writer’s interleaved, none twice and none missing', async () => {
    const j = followingJournal();
    const bus = new EventBus<HubEvents>(silentLogger());
    const feed = new AlertFeed({ now: Date.now, chainId: () => j.chainId, order: j.order });
    const store = new AlertStore(j, bus, { noteJournaled: () => undefined }, silentLogger(), feed);
    await j.open((entry) => store.replay(entry));
    const heard: AlertEvent[] = [];
    feed.onEvent((event) => heard.push(event));
    const other = await rawWriter(pg.url, opened, 'node-b', [OTHERS_PARTITION], true);

    const rounds = 40;
    // Both writers at once, each one batch at a time: their batches race for the counter and interleave.
    const ours = async () => {
      for (let i = 0; i < rounds; i++) await store.record('alert.raised', { alert: sos(ourHome, i) }).durable;
    };
    const theirs = async () => {
      for (let i = 0; i < rounds; i++) {
        const alert = sos(othersHome, 1_000 + i);
        await other.write([{ at: alert.raisedAt, type: 'alert.raised', dataText: JSON.stringify({ alert }), partition: OTHERS_PARTITION, key: undefined }]);
      }
    };
    await Promise.all([ours(), theirs()]);
    await waitFor(() => heard.length === 2 * rounds, 'every event shown');

    const ids = heard.map((e) => e.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(2 * rounds);
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2 * rounds);
    const homes = heard.map((e) => e.homeId);
    expect(homes.filter((h) => h === ourHome)).toHaveLength(rounds);
    expect(homes.filter((h) => h === othersHome)).toHaveLength(rounds);
    // The writers did interleave: the events of one home are not all before the other's.
    expect(homes.slice(0, rounds)).toContain(othersHome);
    // Each event's id is the n of the line that made it.
    const stored = (await pg.query<{ n: string; partition: number }>('SELECT n, partition FROM journal ORDER BY n')).rows;
    expect(heard.map((e) => partitionOfHome(e.homeId))).toEqual(stored.map((r) => r.partition));
    // A console resuming from any id gets exactly what came after it.
    expect(feed.since(ids[10]!)!.map((e) => e.eventId)).toEqual(ids.slice(11));
    // Both homes' alerts are in this node's memory, listed once each.
    expect(store.list()).toHaveLength(2 * rounds);
  });
});
