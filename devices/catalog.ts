/**
 * The device catalogue: every supported kind, one file each under kinds/.
 * Adding a kind means adding a file and a line here — never a special case
 * elsewhere.
 */
import type { DeviceKind } from './define-kind.js';
import { bracelet } from './kinds/bracelet.js';
import { doorSensor } from './kinds/door-sensor.js';
import { gasAlarm } from './kinds/gas-alarm.js';
import { smokeSensor } from './kinds/smoke-sensor.js';

export const DEVICE_KINDS: readonly DeviceKind[] = [bracelet, gasAlarm, smokeSensor, doorSensor];

export const DEVICE_KIND_NAMES = DEVICE_KINDS.map((k) => k.kind) as readonly string[];

const byName = new Map(DEVICE_KINDS.map((k) => [k.kind, k]));

export function findDeviceKind(kind: string): DeviceKind | undefined {
  return byName.get(kind);
}

export type { DeviceKind, DeviceEventPayload, TelemetryPayload } from './define-kind.js';
