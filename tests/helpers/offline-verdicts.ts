/**
 * Records the offline verdicts a presence emits on a bus, with the time each
 * came, and checks one comes exactly when it should on a manual clock (the
 * watchdog tests: tests/watchdog-checkpoint.test.ts,
 * tests/ownership-presence-rules.test.ts).
 */
import { expect } from 'vitest';
import type { EventBus } from '../../hub/core/event-bus.js';
import type { DeviceStatusChange, HubEvents } from '../../hub/core/hub-events.js';
import type { ManualClock } from './manual-clock.js';

export function recordOffline(bus: EventBus<HubEvents>, clock: ManualClock) {
  const offline: { deviceId: string; at: number }[] = [];
  bus.on('device.status', (change: DeviceStatusChange) => {
    if (!change.online) offline.push({ deviceId: change.deviceId, at: change.at });
  });
  /** `deviceId` goes offline exactly `ms` from now, not a millisecond before, and nothing else does. */
  const offlineIn = (ms: number, deviceId: string) => {
    const before = [...offline];
    clock.advance(ms - 1);
    expect(offline).toEqual(before);
    clock.advance(1);
    expect(offline).toEqual([...before, { deviceId, at: clock.now() }]);
  };
  return { offline, offlineIn };
}
