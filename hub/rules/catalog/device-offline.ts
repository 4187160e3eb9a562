/**
 * Device offline (issue 3): presence says a device went silent (3 × its
 * heartbeat, hub/ingest/presence.ts — hub-side timers, because MQTT wills alone
 * are unreliable: REFERENCES.md) or announced `offline`: a low, technical alert.
 * A smoke or gas sensor still offline after the escalation delay leaves the
 * kitchen unguarded: the same alert rises to medium. Back online is noted and
 * cancels the wake-up.
 */
import { z } from 'zod';
import { DEVICE_KIND_NAMES } from '../../../devices/catalog.js';
import { defineRule } from '../define-rule.js';
import { earliest, kindTitle, without } from './shared/devices.js';

/** Safety sensors: nobody is warned of a fire or a gas leak while they are down. */
const SAFETY_KINDS = new Set(['smoke_sensor', 'gas_alarm']);

const params = z.object({
  safetyEscalateHours: z.number().min(1).max(24 * 14).default(24).describe('hours a smoke sensor or gas alarm may stay offline before the alert rises to medium'),
});

interface OfflineState {
  /** Devices offline now: kind, since when, and whether the alert was already raised to medium for it. */
  offline: Record<string, { kind: string; since: number; escalated: boolean }>;
}

export const deviceOfflineRule = defineRule<typeof params, OfflineState>({
  id: 'device_offline',
  description: 'A device stopped giving signs of life (3 × its heartbeat) or said it went offline: low; a smoke sensor or gas alarm still offline after the escalation delay: medium. Back online is noted.',
  alertKind: 'device_offline',
  severity: 'low',
  on: { deviceKinds: DEVICE_KIND_NAMES, presence: true },
  params,
  evaluate: ({ input, home, now, params, state }) => {
    const delay = params.safetyEscalateHours * 3_600_000;
    let offline = state?.offline ?? {};
    const nextWake = (devices: OfflineState['offline']) => earliest(Object.values(devices).filter((d) => SAFETY_KINDS.has(d.kind) && !d.escalated).map((d) => d.since + delay));
    if (input.type === 'timer') {
      const drafts = [];
      for (const [deviceId, device] of Object.entries(offline)) {
        if (!SAFETY_KINDS.has(device.kind) || device.escalated || now < device.since + delay) continue;
        offline = { ...offline, [deviceId]: { ...device, escalated: true } };
        drafts.push({ kind: 'device_offline', severity: 'medium' as const, homeId: home.id, deviceId, title: `${kindTitle(device.kind)} offline for more than ${params.safetyEscalateHours} h`, details: { offlineSince: new Date(device.since).toISOString() } });
      }
      return { state: { offline }, wakeAt: nextWake(offline), drafts };
    }
    if (input.type !== 'presence') return null;
    const { change, deviceKind } = input;
    const known = offline[change.deviceId];
    if (!change.online) {
      if (known) return null; // already offline (the watchdog and the status topic may both say so)
      offline = { ...offline, [change.deviceId]: { kind: deviceKind, since: now, escalated: false } };
      return {
        state: { offline },
        wakeAt: nextWake(offline),
        drafts: [{ kind: 'device_offline', severity: 'low', homeId: home.id, deviceId: change.deviceId, title: `${kindTitle(deviceKind)} offline`, details: { reason: change.reason } }],
      };
    }
    // Online after a start-up (unknown → online) is no news; only a device we saw go offline is.
    if (!known) return null;
    offline = without(offline, change.deviceId);
    return {
      state: { offline },
      wakeAt: nextWake(offline),
      drafts: [{ kind: 'device_offline', effect: 'attach', severity: 'low', homeId: home.id, deviceId: change.deviceId, title: `${kindTitle(deviceKind)} back online`, note: `${kindTitle(deviceKind)} back online` }],
    };
  },
});
