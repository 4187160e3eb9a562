/**
 * The live part of a device as every device read shows it (GET /devices/{id},
 * /homes/{id}, /homes?include=devices, /homes/{id}/devices): online, last
 * seen, battery, last event and — for the installer whose device "does not
 * work" (issue 10, item 13) — how many payloads the hub dropped as bad, with
 * the last one's reason and time. One function, so the routes cannot drift.
 */
import type { DeviceStateView } from '../../ingest/device-state.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function deviceLiveFields(state: DeviceStateView | undefined) {
  const bad = state?.lastBadPayload;
  return {
    online: state?.online ?? null,
    lastSeen: state?.lastSeen ? iso(state.lastSeen) : null,
    battery: state?.battery ?? null,
    lastEvent: state?.lastEvent ? { type: state.lastEvent.type, at: iso(state.lastEvent.at) } : null,
    badPayloads: state?.badPayloads ?? 0,
    lastBadPayload: bad ? { reason: bad.reason, detail: bad.detail, at: iso(bad.at) } : null,
  };
}
