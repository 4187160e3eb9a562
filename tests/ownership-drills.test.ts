/**
 * Drills with the partitions spread (HUB_PARTITIONS=spread): a drill's alerts
 * are raised by the node that starts it, so it covers only homes that node
 * owns; one reaching another owner's home is refused before anything is
 * written (docs/CLUSTER.md "Owners").
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

function liveHome(id: string, community: string): HomeRecord {
  return { id, name: `Home ${id}`, address: `${id} Road`, residentId: `res-${id}`, status: 'live', community } as unknown as HomeRecord;
}

function drillNode(owned: OwnedPartitions, homes: HomeRecord[]) {
  const lines: { type: string; homeId: string | undefined }[] = [];
  const journal: JournalWriter = {
    append: (type, _data, homeId) => {
      lines.push({ type, homeId });
      return { entry: { n: lines.length, at: new Date().toISOString() }, durable: Promise.resolve() };
    },
  };
  const alerts = new AlertStore(journal, new EventBus<HubEvents>(silentLogger()), { noteJournaled: () => undefined }, silentLogger());
  const drills = new DrillService({
    alerts,
    journal,
    homes: { getHome: (id) => homes.find((h) => h.id === id), listHomes: () => homes, residentIds: (id) => [`res-${id}`] },
    audit: { noteJournaled: () => undefined },
    now: Date.now,
    ownership: owned,
  });
  return { lines, drills };
}

describe('drills with the partitions spread', () => {
  const mine = liveHome('home-a', 'riverside');
  let other = liveHome('home-b', 'riverside');
  for (let i = 0; partitionOfHome(other.id) === partitionOfHome(mine.id); i++) other = liveHome(`home-b${i}`, 'riverside');
  const owned = new OwnedPartitions([partitionOfHome(mine.id)]);

  it("starts a drill of a home this node owns: the drill line and its alert", async () => {
    const { lines, drills } = drillNode(owned, [mine, other]);
    const drill = await drills.start({ kind: 'sos', homeId: mine.id }, 'user:sup');
    expect(drill.homeIds).toEqual([mine.id]);
    expect(lines).toEqual([
      { type: 'drill.started', homeId: undefined },
      { type: 'alert.raised', homeId: mine.id },
    ]);
  });

  it('refuses a drill reaching a home another node owns, naming it, and writes nothing', async () => {
    const { lines, drills } = drillNode(owned, [mine, other]);
    await expect(drills.start({ kind: 'sos', community: 'riverside' }, 'user:sup')).rejects.toThrow(new RegExp(`1 of the drill's 2 homes \\(Home ${other.id}\\) are served by other nodes`));
    await expect(drills.start({ kind: 'sos', homeId: other.id }, 'user:sup')).rejects.toMatchObject({ code: 'unavailable' });
    expect(lines).toEqual([]);
    expect(drills.list()).toEqual([]);
  });
});
