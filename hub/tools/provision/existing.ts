/**
 * Makes `npm run provision` safe to run again (issue 10, item 12): before
 * creating anything, the CLI reads which device serials the hub already has
 * (GET /homes?include=devices) and plans each CSV row against them. A row
 * whose devices are already registered in one home of the same name is that
 * home, already there: skipped (its devices not yet registered are added to
 * it), never created twice. A serial registered in another home is a
 * conflict for that row alone — usually a mistyped serial.
 */
import type { HomeRow } from './csv-rows.js';

export interface RegisteredDevice {
  deviceId: string;
  homeId: string;
  homeName: string;
}

export interface HubHome {
  id: string;
  name: string;
  devices?: { id: string; kind: string; serial: string }[];
}

export type RowPlan =
  | { action: 'create' }
  | { action: 'already_there'; homeId: string; missing: HomeRow['devices'] }
  | { action: 'conflict'; message: string };

const keyOf = (d: { kind: string; serial: string }) => `${d.kind}:${d.serial}`;

/** `kind:serial` → where it is registered (revoked devices too: the hub never reissues a serial). */
export function registeredSerials(homes: readonly HubHome[]): Map<string, RegisteredDevice> {
  const serials = new Map<string, RegisteredDevice>();
  for (const home of homes) {
    for (const d of home.devices ?? []) serials.set(keyOf(d), { deviceId: d.id, homeId: home.id, homeName: home.name });
  }
  return serials;
}

export function planRow(row: HomeRow, registered: ReadonlyMap<string, RegisteredDevice>): RowPlan {
  const found = row.devices.map((d) => ({ device: d, at: registered.get(keyOf(d)) }));
  const there = found.filter((f) => f.at !== undefined);
  if (there.length === 0) return { action: 'create' };
  const homes = new Set(there.map((f) => f.at!.homeId));
  const home = there[0]!.at!;
  if (homes.size === 1 && home.homeName === row.home.name) {
    return { action: 'already_there', homeId: home.homeId, missing: found.filter((f) => !f.at).map((f) => f.device) };
  }
  // Every registration named, so the installer sees which serial points where.
  const where = there.map((f) => `${keyOf(f.device)} is already registered as ${f.at!.deviceId} in ${f.at!.homeId} "${f.at!.homeName}"`);
  const why = homes.size > 1 ? `${homes.size} homes, but a row is one home` : `not this row's home`;
  return { action: 'conflict', message: `${where.join('; ')} — ${why}: correct the serial (or home_name, if that home was renamed)` };
}
