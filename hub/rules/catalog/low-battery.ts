/**
 * Low battery (issue 3): a `low_battery` event, or any message (event or
 * telemetry) reporting `battery` below the threshold, from any kind. Low
 * severity, and at most once per reminder period per device — REFERENCES.md:
 * battery-low spam is a top complaint; send low-severity notices at most once a
 * day. A reading back at or above the threshold (battery replaced) re-arms it.
 */
import { z } from 'zod';
import { CMD_ACK_EVENT } from '../../../devices/capabilities.js';
import { DEVICE_KINDS, DEVICE_KIND_NAMES } from '../../../devices/catalog.js';
import { defineRule } from '../define-rule.js';
import { kindTitle, without } from './shared/devices.js';

const params = z.object({
  belowPercent: z.number().min(1).max(100).default(15).describe('battery % below which a device is low (a reading equal to it is not low)'),
  remindHours: z.number().min(1).max(24 * 30).default(24).describe('hours before the same device can raise again while it stays low'),
});

interface BatteryState {
  /** When each low device last raised. */
  raisedAt: Record<string, number>;
}

/** Every event of every kind may carry `battery` (but `cmd_ack` goes to the command outbox, never to rules). */
const ALL_EVENTS = [...new Set(DEVICE_KINDS.flatMap((k) => k.eventTypes))].filter((t) => t !== CMD_ACK_EVENT);

export const lowBatteryRule = defineRule<typeof params, BatteryState>({
  id: 'low_battery',
  description: 'A device reported a low battery (`low_battery`, or `battery` below the threshold in any message); repeated at most once per reminder period while it stays low.',
  alertKind: 'low_battery',
  severity: 'low',
  on: { deviceKinds: DEVICE_KIND_NAMES, events: ALL_EVENTS, telemetry: true },
  params,
  evaluate: ({ input, home, now, params, state }) => {
    if (input.type !== 'signal') return null;
    const { signal } = input;
    const raisedAt = state?.raisedAt ?? {};
    const battery = typeof signal.payload.battery === 'number' ? signal.payload.battery : undefined;
    const low = (signal.channel === 'event' && signal.type === 'low_battery') || (battery !== undefined && battery < params.belowPercent);
    const last = raisedAt[signal.deviceId];
    if (!low) return battery !== undefined && last !== undefined ? { state: { raisedAt: without(raisedAt, signal.deviceId) } } : null;
    if (last !== undefined && now - last < params.remindHours * 3_600_000) return null;
    const title = `${kindTitle(signal.deviceKind)} battery low${battery === undefined ? '' : ` (${battery} %)`}`;
    return {
      state: { raisedAt: { ...raisedAt, [signal.deviceId]: now } },
      drafts: [{ kind: 'low_battery', severity: 'low', homeId: home.id, deviceId: signal.deviceId, title, details: { battery } }],
    };
  },
});
