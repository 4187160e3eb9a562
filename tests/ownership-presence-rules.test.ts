/**
 * Presence and rules act only for the homes whose partitions this node owns
 * (issue 12 step 3, docs/CLUSTER.md "Step 3, service by service"): the real
 * DevicePresence and RulesEngine on a manual clock, with the real
 * OwnedPartitions gained and lost as the lease balancer would. Also the pure
 * split of a pipeline snapshot into per-partition slices and back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertDraft } from '../hub/alerts/alert.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { DeviceSignal, HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { OwnedPartitions } from '../hub/core/partition-ownership.js';
import { partitionOfHome } from '../hub/core/partitions.js';
import { DeviceStateStore } from '../hub/ingest/device-state.js';
import { DevicePresence } from '../hub/ingest/presence.js';
import { RECONNECT_GRACE_EXTRA_MS, type WatchdogCheckpoint } from '../hub/ingest/watchdog-checkpoint.js';
import type { DeviceRecord, HomeRecord, ResidentRecord } from '../hub/registry/records.js';
import { doorLeftOpenRule } from '../hub/rules/catalog/door-left-open.js';
import { sosRule } from '../hub/rules/catalog/sos.js';
import { RulesEngine, type RulesSnapshot } from '../hub/rules/engine.js';
import { mergeSnapshotSlices, splitSnapshotByPartition, type SplittableSnapshot } from '../hub/rules/partition-snapshot.js';
import { ManualClock } from './helpers/manual-clock.js';
import { recordOffline } from './helpers/offline-verdicts.js';
import { home, MIN, resident } from './rules/rule-harness.js';

/** A home id whose partition differs from every one in `taken`. */
function homeOutside(prefix: string, taken: number[]): string {
  for (let i = 0; ; i++) if (!taken.includes(partitionOfHome(`${prefix}-${i}`))) return `${prefix}-${i}`;
}
const HOME_A = 'home-a';
const A = partitionOfHome(HOME_A);
const HOME_B = homeOutside('home-b', [A]);
const B = partitionOfHome(HOME_B);
const HOME_C = homeOutside('home-c', [A, B]);

/** Heartbeat 10 s: offline after 30 s of silence; a resumed watch's grace is 15 s. */
const HEARTBEAT_SEC = 10;
const TIMEOUT_MS = 3 * HEARTBEAT_SEC * 1000;
const GRACE_MS = HEARTBEAT_SEC * 1000 + RECONNECT_GRACE_EXTRA_MS;

const device = (id: string, homeId: string, kind = 'bracelet'): DeviceRecord => ({
  id,
  homeId,
  kind,
  serial: id,
  secretHash: 'sha256:00',
  createdAt: '2026-11-24T00:00:00.000Z',
  heartbeatSec: HEARTBEAT_SEC,
});
const DA = device('brc-a', HOME_A);
const DB = device('brc-b', HOME_B);

describe('the homes and partitions these tests use', () => {
  it('are distinct', () => {
    expect(new Set([A, B, partitionOfHome(HOME_C)]).size).toBe(3);
  });
});

/** A presence on a manual clock owning `owned`, recording every offline verdict. */
function presenceOwning(owned: number[], options: { clock?: ManualClock; handOver?: (partitions: readonly number[]) => WatchdogCheckpoint | undefined } = {}) {
  const clock = options.clock ?? new ManualClock();
  const ownership = new OwnedPartitions(owned);
  const bus = new EventBus<HubEvents>(silentLogger());
  const states = new DeviceStateStore();
  const { offline, offlineIn } = recordOffline(bus, clock);
  const presence = new DevicePresence(states, bus, clock, undefined, { ownership, devices: () => [DA, DB], handOver: options.handOver });
  return { clock, ownership, presence, states, offline, offlineIn };
}

describe('DevicePresence with OwnedPartitions', () => {
  const presences: DevicePresence[] = [];
  afterEach(() => {
    for (const p of presences.splice(0)) p.stop();
  });
  const setup = (...args: Parameters<typeof presenceOwning>) => {
    const made = presenceOwning(...args);
    presences.push(made.presence);
    return made;
  };

  it('watches only owned homes’ devices: A’s goes offline after 3 heartbeats, B’s says nothing', () => {
    const { clock, presence, offline, offlineIn } = setup([A]);
    expect(presence.watchAll([DA, DB], { silentSec: { 'brc-b': 25 } }, clock.now())).toEqual({ resumed: 0, fresh: 1 });
    expect(presence.watchdog.isWatching('brc-b')).toBe(false);
    offlineIn(TIMEOUT_MS, 'brc-a');
    clock.advance(10 * TIMEOUT_MS);
    expect(offline.map((o) => o.deviceId)).toEqual(['brc-a']);
    // A device registered later in a home of another node is not watched either.
    presence.watch(device('brc-c', HOME_C));
    expect(presence.watchdog.isWatching('brc-c')).toBe(false);
  });

  it('gaining B with the previous owner’s checkpoint resumes B’s device from its saved silence, not a whole window later', () => {
    // The previous owner of B watched brc-b; it was silent 12 s when that owner saved B's slice.
    const previous = setup([B]);
    previous.presence.watchAll([DA, DB], undefined, previous.clock.now());
    previous.clock.advance(12_000);
    const slice = previous.presence.checkpoint(previous.clock.now(), [B]);
    expect(slice).toEqual({ silentSec: { 'brc-b': 12 } });

    const handedOver: (readonly number[])[] = [];
    const { clock, ownership, presence, offline, offlineIn } = setup([A], {
      handOver: (partitions) => {
        handedOver.push(partitions);
        return slice;
      },
    });
    presence.watchAll([DA, DB], undefined, clock.now());
    clock.advance(2_000); // brc-a: 2 s of its 30 s gone
    ownership.gain([B]);
    expect(handedOver).toEqual([[B]]);
    expect(presence.watchdog.isWatching('brc-b')).toBe(true);
    // The hand-over's 2 s are not silence; 18 s of brc-b's window were left (after the 15 s grace).
    offlineIn(18_000, 'brc-b');
    offlineIn(TIMEOUT_MS - 2_000 - 18_000, 'brc-a');
    clock.advance(10 * TIMEOUT_MS);
    expect(offline.map((o) => o.deviceId)).toEqual(['brc-b', 'brc-a']);
  });

  it('gaining B with no checkpoint watches B’s device afresh; one silent past its window waits for the grace', () => {
    const fresh = setup([A]);
    fresh.presence.watchAll([DA, DB], undefined, fresh.clock.now());
    fresh.clock.advance(TIMEOUT_MS - 1); // nothing yet
    fresh.ownership.gain([B]);
    fresh.offlineIn(1, 'brc-a');
    fresh.offlineIn(TIMEOUT_MS - 1, 'brc-b');

    const overdue = setup([], { handOver: () => ({ silentSec: { 'brc-b': 3_600 } }) });
    overdue.presence.watchAll([DA, DB], undefined, overdue.clock.now());
    overdue.ownership.gain([B]);
    overdue.offlineIn(GRACE_MS, 'brc-b');
  });

  it('losing A: A’s device is not reported offline even when its silence passes, and B’s watch goes on', () => {
    const { clock, ownership, presence, offline, offlineIn } = setup([A, B]);
    presence.watchAll([DA, DB], undefined, clock.now());
    clock.advance(20_000);
    ownership.lose([A]);
    expect(presence.watchdog.isWatching('brc-a')).toBe(false);
    offlineIn(TIMEOUT_MS - 20_000, 'brc-b');
    clock.advance(10 * TIMEOUT_MS);
    expect(offline.map((o) => o.deviceId)).toEqual(['brc-b']);
    expect(presence.checkpoint(clock.now()).silentSec).not.toHaveProperty('brc-a');
  });

  it('a watchdog that fires for a device whose home is no longer owned emits nothing (moved to another node’s home)', () => {
    const { clock, presence, states, offline } = setup([A]);
    presence.watchAll([DA], undefined, clock.now());
    states.rehome('brc-a', HOME_B); // the registry notice has moved its live state, not yet its watch
    clock.advance(10 * TIMEOUT_MS);
    expect(offline).toEqual([]);
    expect(presence.watchdog.isWatching('brc-a')).toBe(false);
    // Told of the move the other way round: its home is ours again, watched afresh.
    states.rehome('brc-a', HOME_A);
    presence.moved({ ...DA });
    expect(presence.watchdog.isWatching('brc-a')).toBe(true);
    presence.moved({ ...DA, homeId: HOME_B });
    expect(presence.watchdog.isWatching('brc-a')).toBe(false);
  });

  it('checkpoints only the partitions asked for', () => {
    const { clock, presence } = setup([A, B]);
    presence.watchAll([DA, DB], undefined, clock.now());
    clock.advance(7_000);
    expect(presence.checkpoint(clock.now(), [A])).toEqual({ silentSec: { 'brc-a': 7 } });
    expect(presence.checkpoint(clock.now(), [])).toEqual({ silentSec: {} });
    expect(presence.checkpoint(clock.now())).toEqual({ silentSec: { 'brc-a': 7, 'brc-b': 7 } });
  });
});

const HOMES = [HOME_A, HOME_B];
const engines: RulesEngine[] = [];
afterEach(() => {
  for (const engine of engines.splice(0)) engine.stop();
});

/** A RulesEngine on a manual clock owning `owned`, with homes A and B, a bracelet and a door in each. */
function engineOwning(owned: number[], handOver?: (partitions: readonly number[]) => RulesSnapshot | undefined, clock = new ManualClock(Date.UTC(2026, 0, 15, 10, 0, 0))) {
  const ownership = new OwnedPartitions(owned);
  const bus = new EventBus<HubEvents>(silentLogger());
  const homes = new Map<string, HomeRecord>(HOMES.map((id) => [id, home({ id, residentId: `res-${id}` })]));
  const residents = new Map<string, ResidentRecord>(HOMES.map((id) => [`res-${id}`, resident({ id: `res-${id}`, homeId: id })]));
  const devices = new Map<string, DeviceRecord>(HOMES.flatMap((h) => [device(`brc-${h}`, h), device(`dor-${h}`, h, 'door_sensor')]).map((d) => [d.id, d]));
  const raised: AlertDraft[] = [];
  const engine = new RulesEngine({
    rules: [sosRule, doorLeftOpenRule],
    bus,
    registry: { getHome: (id) => homes.get(id), getResident: (id) => residents.get(id), getDevice: (id) => devices.get(id), residentIds: (homeId) => [...residents.values()].filter((r) => r.homeId === homeId).map((r) => r.id) },
    alerts: {
      submit: (draft) => {
        raised.push(draft);
        return undefined;
      },
    },
    clock,
    timezone: 'UTC',
    log: silentLogger(),
    ownership,
    handOver,
  });
  engine.start();
  engines.push(engine);
  const event = (kind: 'bracelet' | 'door_sensor', homeId: string, type: string) => {
    const deviceId = `${kind === 'bracelet' ? 'brc' : 'dor'}-${homeId}`;
    const signal: DeviceSignal = { channel: 'event', deviceId, deviceKind: kind, homeId, receivedAt: clock.now(), type, payload: { type }, alarm: type === 'sos' };
    bus.emit('device.signal', signal);
  };
  const raisedFor = () => raised.map((d) => `${d.kind} ${d.homeId}`);
  return { clock, ownership, engine, event, raisedFor };
}

describe('RulesEngine with OwnedPartitions', () => {
  it('a message for a home not owned changes no state and raises nothing', () => {
    const { clock, engine, event, raisedFor } = engineOwning([A]);
    event('bracelet', HOME_B, 'sos');
    event('door_sensor', HOME_B, 'open');
    expect(raisedFor()).toEqual([]);
    expect(engine.stateOf('door_left_open', HOME_B)).toBeUndefined();
    expect(clock.pending).toBe(0);
    clock.advance(2 * 60 * MIN);
    expect(raisedFor()).toEqual([]);
    // The owned home's own messages still act.
    event('bracelet', HOME_A, 'sos');
    expect(raisedFor()).toEqual([`sos ${HOME_A}`]);
  });

  it('a partition lost drops its homes’ state and wake-ups; the other partitions’ go on', () => {
    const { clock, ownership, engine, event, raisedFor } = engineOwning([A, B]);
    event('door_sensor', HOME_A, 'open');
    event('door_sensor', HOME_B, 'open');
    expect(clock.pending).toBe(2);
    ownership.lose([A]);
    expect(engine.stateOf('door_left_open', HOME_A)).toBeUndefined();
    expect(engine.snapshot(clock.now()).wakeAts).not.toHaveProperty(`door_left_open|${HOME_A}`);
    expect(clock.pending).toBe(1);
    clock.advance(30 * MIN);
    expect(raisedFor()).toEqual([`door_open ${HOME_B}`]);
  });

  it('snapshots only the partitions asked for', () => {
    const { clock, engine, event } = engineOwning([A, B]);
    event('door_sensor', HOME_A, 'open');
    event('door_sensor', HOME_B, 'open');
    const onlyB = engine.snapshot(clock.now(), [B]);
    expect(Object.keys(onlyB.states)).toEqual([`door_left_open|${HOME_B}`]);
    expect(Object.keys(onlyB.wakeAts)).toEqual([`door_left_open|${HOME_B}`]);
    expect(Object.keys(engine.snapshot(clock.now()).states).sort()).toEqual([`door_left_open|${HOME_A}`, `door_left_open|${HOME_B}`].sort());
  });

  it('gaining B restores only B’s state from the hand-over: B’s door alert comes on time, A’s (not ours) never', () => {
    // The previous owner of both: both doors open at 10:00, so both would be late at 10:30.
    const previous = engineOwning([A, B]);
    previous.event('door_sensor', HOME_A, 'open');
    previous.event('door_sensor', HOME_B, 'open');
    previous.clock.advance(10 * MIN);
    const snapshot = previous.engine.snapshot(previous.clock.now());
    previous.engine.stop();

    const next = engineOwning([], () => snapshot, new ManualClock(previous.clock.now()));
    next.ownership.gain([B]);
    expect(next.engine.stateOf('door_left_open', HOME_B)).toEqual(snapshot.states[`door_left_open|${HOME_B}`]);
    expect(next.engine.stateOf('door_left_open', HOME_A)).toBeUndefined();
    next.clock.advance(20 * MIN - 1);
    expect(next.raisedFor()).toEqual([]);
    next.clock.advance(1);
    expect(next.raisedFor()).toEqual([`door_open ${HOME_B}`]);
    next.clock.advance(60 * MIN);
    expect(next.raisedFor()).toEqual([`door_open ${HOME_B}`]);
  });

  it('restore(snapshot, partitions) restores those partitions and keeps what the others hold', () => {
    const previous = engineOwning([A, B]);
    previous.event('door_sensor', HOME_B, 'open');
    const snapshot = previous.engine.snapshot(previous.clock.now());

    const { clock, engine, event, raisedFor } = engineOwning([A, B], undefined, new ManualClock(previous.clock.now()));
    event('door_sensor', HOME_A, 'open');
    const ownA = engine.stateOf('door_left_open', HOME_A);
    engine.restore({ ...snapshot, states: { ...snapshot.states, [`door_left_open|${HOME_A}`]: { stale: true } } }, [B]);
    expect(engine.stateOf('door_left_open', HOME_A)).toEqual(ownA);
    expect(engine.stateOf('door_left_open', HOME_B)).toEqual(snapshot.states[`door_left_open|${HOME_B}`]);
    clock.advance(30 * MIN);
    expect(raisedFor().sort()).toEqual([`door_open ${HOME_A}`, `door_open ${HOME_B}`].sort());
  });

  it('restore without partitions still restores only owned homes (a whole leader snapshot on a node owning A)', () => {
    const previous = engineOwning([A, B]);
    previous.event('door_sensor', HOME_A, 'open');
    previous.event('door_sensor', HOME_B, 'open');
    const snapshot = previous.engine.snapshot(previous.clock.now());
    const { engine, clock } = engineOwning([A], undefined, new ManualClock(previous.clock.now()));
    engine.restore(snapshot);
    expect(engine.stateOf('door_left_open', HOME_A)).toBeDefined();
    expect(engine.stateOf('door_left_open', HOME_B)).toBeUndefined();
    expect(clock.pending).toBe(1);
  });
});

describe('splitSnapshotByPartition / mergeSnapshotSlices', () => {
  const homeOfDevice = (id: string) => ({ 'brc-a': HOME_A, 'brc-b': HOME_B })[id];
  const snapshot: SplittableSnapshot = {
    savedAt: 1_000,
    states: { [`door_left_open|${HOME_A}`]: { open: 1 }, [`fall|${HOME_B}|res-2`]: { pending: true } },
    wakeAts: { [`door_left_open|${HOME_A}`]: 5_000 },
    silentSec: { 'brc-a': 3, 'brc-b': 9, 'brc-gone': 4 },
  };

  it('puts each rule key by its home and each device by the registry’s home; a device the registry does not know is left out', () => {
    const slices = splitSnapshotByPartition(snapshot, homeOfDevice);
    expect([...slices.keys()]).toEqual([A, B].sort((x, y) => x - y));
    expect(slices.get(A)).toEqual({ savedAt: 1_000, states: { [`door_left_open|${HOME_A}`]: { open: 1 } }, wakeAts: { [`door_left_open|${HOME_A}`]: 5_000 }, silentSec: { 'brc-a': 3 } });
    expect(slices.get(B)).toEqual({ savedAt: 1_000, states: { [`fall|${HOME_B}|res-2`]: { pending: true } }, wakeAts: {}, silentSec: { 'brc-b': 9 } });
    const { 'brc-gone': _gone, ...known } = snapshot.silentSec!;
    expect(mergeSnapshotSlices(slices.values())).toEqual({ ...snapshot, silentSec: known });
  });

  it('with partitions: exactly those, an empty slice for one with nothing (it replaces an older owner’s), nothing of the others', () => {
    const C = partitionOfHome(HOME_C);
    const slices = splitSnapshotByPartition(snapshot, homeOfDevice, [B, C]);
    expect([...slices.keys()]).toEqual([B, C].sort((x, y) => x - y));
    expect(slices.get(C)).toEqual({ savedAt: 1_000, states: {}, wakeAts: {}, silentSec: {} });
    expect(slices.get(B)?.silentSec).toEqual({ 'brc-b': 9 });
  });

  it('merging takes the oldest savedAt, and nothing merges to undefined', () => {
    expect(mergeSnapshotSlices([])).toBeUndefined();
    const merged = mergeSnapshotSlices([
      { savedAt: 9, states: { a: 1 }, wakeAts: {}, silentSec: { x: 1 } },
      { savedAt: 4, states: { b: 2 }, wakeAts: { b: 7 } },
    ]);
    expect(merged).toEqual({ savedAt: 4, states: { a: 1, b: 2 }, wakeAts: { b: 7 }, silentSec: { x: 1 } });
  });
});
