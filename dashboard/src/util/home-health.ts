/** A home's device health in one line of facts: how many devices, how many offline, the lowest battery, the last sign of life. */
import type { LiveDevice } from '../api/types.js';

export interface HomeHealth {
  devices: number;
  offline: number;
  unknown: number;
  lowestBattery: number | null;
  lastSeen: number | null;
}

export const LOW_BATTERY = 20;

export function homeHealth(devices: readonly LiveDevice[]): HomeHealth {
  let offline = 0;
  let unknown = 0;
  let lowestBattery: number | null = null;
  let lastSeen: number | null = null;
  for (const d of devices) {
    if (d.online === false) offline++;
    if (d.online === null) unknown++;
    if (d.battery !== null && (lowestBattery === null || d.battery < lowestBattery)) lowestBattery = d.battery;
    if (d.lastSeen !== null && (lastSeen === null || d.lastSeen > lastSeen)) lastSeen = d.lastSeen;
  }
  return { devices: devices.length, offline, unknown, lowestBattery, lastSeen };
}
