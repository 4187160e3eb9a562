/**
 * Drills with the partitions spread (HUB_PARTITIONS=spread, docs/CLUSTER.md
 * "Owners"): the node that starts a drill (the leader: the drill line
 * belongs to no home) raises the alerts of the homes it owns; each other
 * owner raises its homes' alerts, under the ids the drill line gave them,
 * when its journal brings it the line, and resolves them when the drill
 * ends. Two nodes' services, the lines of one replayed into the other as
 * the journal's tail does.
 */
import { describe, expect, it } from 'vitest';
import { AlertStore, type JournalWriter } from '../hub/alerts/alert-store.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { OwnedPartitions } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import { DrillService } from '../hub/drills/drill-service.js';
import type { HomeRecord } from '../hub/registry/records.js';
import type { JournalEntry } from '../hub/storage/journal-format.js';

function liveHome(id: string): HomeRecord {
  return { id, name: `Home ${id}`, address: `${id} Road`, residentId: `res-${id}`, status: 'live', community: 'riverside' } as unknown as HomeRecord;
}

/** One node: its stores, the lines it wrote (with their home), and a way to apply another node's lines. */
function drillNode(owned: OwnedPartitions, homes: HomeRecord[], { holdDurable = false } = {}) {
  const lines: (JournalEntry & { homeId: string | undefined })[] = [];
  /** With holdDurable: lines stay on their way to disk until `release`. */
  const onTheWay: (() => void)[] = [];
  const journal: JournalWriter = {
    append: (type, data, homeId) => {
      const entry = { n: lines.length + 1, at: new Date().toISOString(), type, data, prev: '', homeId };
      lines.push(entry);
      return { entry, durable: holdDurable ? new Promise<void>((resolve) => onTheWay.push(resolve)) : Promise.resolve() };
    },
  };
  const release = () => onTheWay.splice(0).forEach((durable) => durable());
  const alerts = new AlertStore(journal, new EventBus<HubEvents>(silentLogger()), { noteJournaled: () => undefined }, silentLogger());
  const errors: unknown[] = [];
  const drills = new DrillService({
    alerts,
    journal,
    homes: { getHome: (id) => homes.find((h) => h.id === id), listHomes: () => homes, residentIds: (id) => [`res-${id}`] },
    audit: { noteJournaled: () => undefined },
    now: Date.now,
    ownership: owned,
    onError: (err) => errors.push(err),
  });
  /** Another node's lines, in order, as this node's journal tail applies them. */
  const apply = async (entries: JournalEntry[]) => {
    for (const entry of entries) {
      alerts.replay(entry);
      drills.replay(entry);
    }
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { lines, alerts, drills, apply, errors, release };
}

describe('drills with the partitions spread', () => {
  const homeA = liveHome('home-a');
  let homeB = liveHome('home-b');
  for (let i = 0; partitionOfHome(homeB.id) === partitionOfHome(homeA.id); i++) homeB = liveHome(`home-b${i}`);
  const homes = [homeA, homeB];

  it("the starter raises its own homes' alerts, the other owner raises its own under the drill's ids, and each resolves its own at the end", async () => {
    const leader = drillNode(new OwnedPartitions([partitionOfHome(homeA.id)]), homes);
    const other = drillNode(new OwnedPartitions([partitionOfHome(homeB.id)]), homes);

    const drill = await leader.drills.start({ kind: 'sos', community: 'riverside' }, 'user:sup');
    expect(drill.homeIds.sort()).toEqual([homeA.id, homeB.id].sort());
    // The leader wrote the drill line and its own home's alert, nothing of homeB's.
    expect(leader.lines.map((l) => [l.type, l.homeId])).toEqual([
      ['drill.started', undefined],
      ['alert.raised', homeA.id],
    ]);

    await other.apply(leader.lines);
    const idOfB = drill.alertIds[drill.homeIds.indexOf(homeB.id)]!;
    expect(other.lines.map((l) => [l.type, l.homeId, (l.data as { alert: { id: string } }).alert.id])).toEqual([['alert.raised', homeB.id, idOfB]]);

    // The leader sees the other owner's alert through its tail: the report counts both homes.
    await leader.apply(other.lines);
    expect(leader.alerts.get(idOfB)?.drill).toEqual({ drillId: drill.id });

    const before = leader.lines.length;
    await leader.drills.end(drill.id, 'user:sup');
    expect(leader.lines.slice(before).map((l) => [l.type, l.homeId ?? null])).toEqual([
      ['drill.ended', null],
      ['alert.resolved', homeA.id],
    ]);
    const ended = other.lines.length;
    await other.apply(leader.lines.slice(before));
    expect(other.lines.slice(ended).map((l) => [l.type, l.homeId])).toEqual([['alert.resolved', homeB.id]]);
    expect(other.alerts.get(idOfB)?.status).toBe('resolved');
    expect(other.errors).toEqual([]);
  });

  it('a gain while its own drill alert is still on its way to disk does not raise that alert a second time', async () => {
    const owned = new OwnedPartitions([partitionOfHome(homeB.id)]);
    const leader = drillNode(new OwnedPartitions([partitionOfHome(homeA.id)]), homes);
    const other = drillNode(owned, homes, { holdDurable: true });
    const drill = await leader.drills.start({ kind: 'sos', community: 'riverside' }, 'user:sup');
    await other.apply(leader.lines);
    // Any gain makes the node look at every drill again; homeB's raise is not durable yet.
    owned.gain([partitionOfHome(homeA.id)]);
    await new Promise((resolve) => setImmediate(resolve));
    other.release();
    await new Promise((resolve) => setImmediate(resolve));
    const idOfB = drill.alertIds[drill.homeIds.indexOf(homeB.id)]!;
    expect(other.lines.map((l) => [l.type, l.homeId, (l.data as { alert: { id: string } }).alert.id])).toEqual([['alert.raised', homeB.id, idOfB]]);
    expect(other.alerts.get(idOfB)?.status).toBe('open');
  });

  it('a node that owns none of the homes raises nothing when the line reaches it, and raises its share once it gains the partition', async () => {
    const owned = new OwnedPartitions();
    const leader = drillNode(new OwnedPartitions([partitionOfHome(homeA.id)]), homes);
    const late = drillNode(owned, homes);
    const drill = await leader.drills.start({ kind: 'sos', community: 'riverside' }, 'user:sup');
    await late.apply(leader.lines);
    expect(late.lines).toEqual([]);
    owned.gain([partitionOfHome(homeB.id)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(late.lines.map((l) => [l.type, l.homeId, (l.data as { alert: { id: string } }).alert.id])).toEqual([['alert.raised', homeB.id, drill.alertIds[drill.homeIds.indexOf(homeB.id)]]]);
  });
});
