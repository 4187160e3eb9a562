/**
 * Telemetry and alarm payloads for the load generator. Built as strings from
 * templates instead of through the zod schemas (as SimulatedDevice does): at
 * 10–20k msg/s on a shared 2-core machine every microsecond the generator
 * spends is taken from the hub under test. tests/load-payloads.test.ts checks
 * every template against the catalogue's schemas, so they cannot drift.
 */
import { DEVICE_KINDS } from '../../devices/catalog.js';

const ROOMS = ['living_room', 'kitchen', 'bedroom', 'bathroom'] as const;

/** Realistic-looking values from a message counter, without a random source per message. */
export function telemetryPayload(kind: string, seq: number, ts: number, battery: number): string {
  const common = `"seq":${seq},"ts":${ts},"battery":${battery}`;
  switch (kind) {
    case 'bracelet': {
      const heartRate = 62 + (seq % 17);
      const room = ROOMS[seq % ROOMS.length];
      return `{"heartRate":${heartRate},"spo2":${95 + (seq % 5)},"steps":${seq % 5000},"worn":true,"location":{"room":"${room}"},${common}}`;
    }
    case 'gas_alarm':
      return `{"lel":${(seq % 5) / 10},${common}}`;
    case 'smoke_sensor':
      return `{"temperatureC":${20 + (seq % 40) / 10},${common}}`;
    default:
      // Door sensors (and any kind without readings of its own) heartbeat with the common fields only.
      return `{${common}}`;
  }
}

/** An SOS with a unique `seq`, so the hub never drops it as a retransmission. */
export function sosPayload(seq: number, ts: number, battery: number): string {
  return `{"type":"sos","seq":${seq},"ts":${ts},"battery":${battery}}`;
}

/** The kind from a provisioned device id's prefix (`brc-…`), as the catalogue assigns them. */
export function kindOfDeviceId(deviceId: string): string | undefined {
  return DEVICE_KINDS.find((k) => deviceId.startsWith(`${k.idPrefix}-`))?.kind;
}
