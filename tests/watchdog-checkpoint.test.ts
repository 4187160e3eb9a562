/**
 * Device watchdogs resumed from the pipeline snapshot (issue 12, "Must hold" 2
 * and 3; hub/ingest/watchdog-checkpoint.ts): with a manual clock, a device
 * silent for most of its window when the snapshot was saved goes offline at
 * the rest of its window after the promotion, never before the reconnect
 * grace, once; the time between the snapshot and the promotion is not counted
 * (a stale snapshot makes no fleet overdue); devices the snapshot does not
 * hold, or holds damaged, are armed afresh as before.
 */
import { describe, expect, it } from 'vitest';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import { DeviceStateStore } from '../hub/ingest/device-state.js';
import { DevicePresence } from '../hub/ingest/presence.js';
import { Watchdog } from '../hub/ingest/watchdog.js';
import { RECONNECT_GRACE_EXTRA_MS, resumedWatch, silencesAt, type WatchdogCheckpoint } from '../hub/ingest/watchdog-checkpoint.js';
import type { DeviceRecord } from '../hub/registry/records.js';
import { ManualClock } from './helpers/manual-clock.js';
import { recordOffline } from './helpers/offline-verdicts.js';

/** Heartbeat 10 s (the shortest a device may be configured to): offline after 30 s; grace 15 s. */
const HEARTBEAT_SEC = 10;
const TIMEOUT_MS = 30_000;
const GRACE_MS = HEARTBEAT_SEC * 1000 + RECONNECT_GRACE_EXTRA_MS;

const device = (id: string, extra: Partial<DeviceRecord> = {}): DeviceRecord => ({
  id,
  homeId: `home-${id}`,
  kind: 'bracelet',
  serial: id,
  secretHash: 'sha256:00',
  createdAt: '2026-11-24T00:00:00.000Z',
  heartbeatSec: HEARTBEAT_SEC,
  ...extra,
});

/** A presence on a manual clock, recording every offline verdict with the time it came. */
function presenceOn(clock: ManualClock) {
  const bus = new EventBus<HubEvents>(silentLogger());
  return { presence: new DevicePresence(new DeviceStateStore(), bus, clock), ...recordOffline(bus, clock) };
}

/** A watchdog on a manual clock with `d1` resumed (timeout 1 s) from `lastSeenAgoMs` ago, never firing within `notBeforeInMs`. */
function resumedWatchdog(lastSeenAgoMs: number, notBeforeInMs: number) {
  const clock = new ManualClock();
  const silent: string[] = [];
  const watchdog = new Watchdog(clock, (id) => silent.push(id));
  watchdog.resume('d1', 1_000, clock.now() - lastSeenAgoMs, clock.now() + notBeforeInMs);
  /** `d1` is declared silent exactly `ms` from now, not a millisecond before. */
  const firesIn = (ms: number) => {
    clock.advance(ms - 1);
    expect(silent).toEqual([]);
    clock.advance(1);
    expect(silent).toEqual(['d1']);
  };
  return { clock, silent, watchdog, firesIn };
}

describe('Watchdog.resume', () => {
  it('fires at the last sign of life + the timeout when that is after notBefore', () => {
    resumedWatchdog(400, 100).firesIn(600);
  });

  it('never fires before notBefore, even long overdue, and fires once', () => {
    const { clock, silent, firesIn } = resumedWatchdog(60_000, 5_000);
    firesIn(5_000);
    clock.advance(60_000);
    expect(silent).toEqual(['d1']);
    expect(clock.pending).toBe(0);
  });

  it('a sign of life within the grace wins, and the watch then goes on as usual', () => {
    const { clock, watchdog, firesIn } = resumedWatchdog(60_000, 5_000);
    clock.advance(4_000);
    watchdog.touch('d1');
    firesIn(1_000);
  });
});

describe('the checkpoint format', () => {
  it('holds whole seconds of silence at savedAt, rounded down, never negative', () => {
    const savedAt = 1_000_000;
    expect(silencesAt([['a', savedAt - 12_999], ['b', savedAt], ['c', savedAt + 50], ['d', savedAt - 86_400_000]], savedAt)).toEqual({ a: 12, b: 0, c: 0, d: 86_400 });
  });

  it('refuses damaged entries: the device is armed afresh', () => {
    for (const bad of ['12', -1, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, {}]) expect(resumedWatch(bad, 10_000, 5_000)).toBeUndefined();
    expect(resumedWatch(12, 10_000, 50_000)).toEqual({ lastSeen: 38_000, notBefore: 50_000 + 10_000 + RECONNECT_GRACE_EXTRA_MS });
  });

  it('stays small: about 20 bytes a device at 10,000 devices', () => {
    const clock = new ManualClock();
    const { presence } = presenceOn(clock);
    // Registry ids look like `brc-1a2b3c4d`; silences up to a few minutes.
    const devices = Array.from({ length: 10_000 }, (_, i) => device(`brc-${(0x10000000 + i * 7919).toString(16)}`));
    presence.watchAll(devices, undefined, clock.now());
    for (const [i, d] of devices.entries()) presence.watchdog.touch(d.id, clock.now() - (i % 180) * 1000);
    const bytes = Buffer.byteLength(JSON.stringify(presence.checkpoint(clock.now())));
    expect(bytes).toBeLessThan(10_000 * 22);
  });
});

describe('DevicePresence.watchAll from a checkpoint', () => {
  it('resumes a device silent 12 s of its 30 s: offline 18 s after the promotion, not 30 s', () => {
    const clock = new ManualClock();
    const savedAt = clock.now();
    const checkpoint: WatchdogCheckpoint = { silentSec: { b: 12 } };
    clock.advance(3_000); // the leader died after the checkpoint; the next one leads 3 s after it was saved
    const promotedAt = clock.now();
    const { presence, offline, offlineIn } = presenceOn(clock);
    expect(presence.watchAll([device('b')], checkpoint, promotedAt)).toEqual({ resumed: 1, fresh: 0 });
    // The 3 s nobody could hear the device are not counted: 18 s of its window are left.
    offlineIn(18_000, 'b');
    expect(promotedAt + 18_000 - (savedAt - 12_000)).toBe(TIMEOUT_MS + 3_000);
    clock.advance(10 * TIMEOUT_MS);
    expect(offline).toHaveLength(1);
  });

  it('a device silent 20 s of its 30 s: offline at the grace (one heartbeat + 5 s after the promotion), not at the 10 s left', () => {
    const clock = new ManualClock();
    const { presence, offlineIn } = presenceOn(clock);
    presence.watchAll([device('b')], { silentSec: { b: 20 } }, clock.now());
    offlineIn(GRACE_MS, 'b');
  });

  it('a device past its window goes offline at the grace, once; one heard within it raises nothing', () => {
    const clock = new ManualClock();
    const promotedAt = clock.now();
    const { presence, offline } = presenceOn(clock);
    presence.watchAll([device('gone'), device('back')], { silentSec: { gone: 3_600, back: 29 } }, promotedAt);
    clock.advance(GRACE_MS - 1_000);
    presence.watchdog.touch('back'); // reconnected to a survivor: its next heartbeat reaches the new leader
    clock.advance(999);
    expect(offline).toEqual([]);
    clock.advance(1);
    expect(offline).toEqual([{ deviceId: 'gone', at: promotedAt + GRACE_MS }]);
    clock.advance(TIMEOUT_MS - 1_001); // `back` was touched 1 s before the grace: still within its window
    expect(offline).toHaveLength(1);
    clock.advance(1);
    expect(offline.map((o) => o.deviceId)).toEqual(['gone', 'back']);
  });

  it('a stale snapshot makes no fleet overdue: healthy devices keep two heartbeats after the promotion', () => {
    const clock = new ManualClock();
    const silentSec = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`d${i}`, i % HEARTBEAT_SEC]));
    clock.advance(14 * 60_000); // saved 14 minutes ago: still within MAX_SNAPSHOT_AGE_MS
    const { presence, offline } = presenceOn(clock);
    presence.watchAll(Object.keys(silentSec).map((id) => device(id)), { silentSec }, clock.now());
    clock.advance(TIMEOUT_MS - HEARTBEAT_SEC * 1000);
    expect(offline).toEqual([]);
  });

  it('a device the snapshot does not hold, a damaged entry, or no snapshot: armed afresh (the whole window from the promotion)', () => {
    for (const checkpoint of [{ silentSec: { other: 25 } }, { silentSec: { b: 'soon' } }, { silentSec: [25] }, { silentSec: 'x' }, {}, undefined] as unknown as WatchdogCheckpoint[]) {
      const clock = new ManualClock();
      const { presence, offlineIn } = presenceOn(clock);
      expect(presence.watchAll([device('b')], checkpoint, clock.now())).toEqual({ resumed: 0, fresh: 1 });
      offlineIn(TIMEOUT_MS, 'b');
    }
  });

  it('leaves out revoked devices and unknown kinds, as a fresh watch does', () => {
    const clock = new ManualClock();
    const { presence } = presenceOn(clock);
    const counts = presence.watchAll([device('r', { revokedAt: '2026-11-20T00:00:00.000Z' }), device('k', { kind: 'toaster' }), device('b')], { silentSec: { r: 5, k: 5, b: 5 } }, clock.now());
    expect(counts).toEqual({ resumed: 1, fresh: 0 });
    expect([presence.watchdog.isWatching('r'), presence.watchdog.isWatching('k'), presence.watchdog.isWatching('b')]).toEqual([false, false, true]);
  });

  it('checkpoints what it resumed: saved again, the silence goes on from where it was', () => {
    const clock = new ManualClock();
    const { presence } = presenceOn(clock);
    presence.watchAll([device('b')], { silentSec: { b: 20 } }, clock.now());
    clock.advance(4_000);
    expect(presence.checkpoint(clock.now())).toEqual({ silentSec: { b: 24 } });
  });
});
