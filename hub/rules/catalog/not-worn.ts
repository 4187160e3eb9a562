/**
 * Not worn (issue 3): a bracelet off the wrist cannot call for help, detect a
 * fall or read a heart rate. Removed (event `removed` or telemetry `worn:
 * false`) for the set time counted inside the day window — taking it off for
 * the night is normal — raises a low, technical alert once per removal.
 */
import { z } from 'zod';
import { defineRule } from '../define-rule.js';
import { addWindowTime, windowFrom } from '../time-of-day.js';
import { earliest, without, wornAfter } from './shared/devices.js';
import { timeOfDay } from './shared/params.js';

const params = z.object({
  hours: z.number().min(0.25).max(48).default(2).describe('hours of in-window time the bracelet may be off the wrist before the alert'),
  dayStart: timeOfDay('07:00', 'start of the day window in which off-the-wrist time is counted, local time (HUB_TIMEZONE)'),
  dayEnd: timeOfDay('22:00', 'end of the day window, local time'),
});

interface NotWornState {
  /** Bracelets off the wrist: since when, and whether this removal has raised. */
  off: Record<string, { since: number; alerted: boolean }>;
}

export const notWornRule = defineRule<typeof params, NotWornState>({
  id: 'not_worn',
  description: 'The bracelet has been off the wrist for the set time inside the day window.',
  alertKind: 'not_worn',
  severity: 'low',
  on: { deviceKinds: ['bracelet'], events: ['removed', 'worn'], telemetry: true },
  perResident: true,
  params,
  evaluate: ({ input, home, now, timezone, params, state }) => {
    const window = windowFrom(params.dayStart, params.dayEnd);
    const due = (since: number) => addWindowTime(since, params.hours * 3_600_000, window, timezone);
    let off = state?.off ?? {};
    const nextWake = (devices: NotWornState['off']) => earliest(Object.values(devices).filter((d) => !d.alerted).map((d) => due(d.since)));
    if (input.type === 'timer') {
      const drafts = [];
      for (const [deviceId, device] of Object.entries(off)) {
        if (device.alerted || now < due(device.since)) continue;
        off = { ...off, [deviceId]: { ...device, alerted: true } };
        drafts.push({ kind: 'not_worn', severity: 'low' as const, homeId: home.id, deviceId, title: 'Bracelet not worn', details: { offSince: new Date(device.since).toISOString() } });
      }
      return { state: { off }, wakeAt: nextWake(off), drafts };
    }
    if (input.type !== 'signal') return null;
    const { deviceId } = input.signal;
    const known = off[deviceId];
    const worn = wornAfter(input.signal, known ? false : undefined);
    if (worn === false) {
      if (known) return null; // still off: counted from the first removal
      off = { ...off, [deviceId]: { since: now, alerted: false } };
      return { state: { off }, wakeAt: nextWake(off) };
    }
    if (!known || worn === undefined) return null;
    off = without(off, deviceId);
    return {
      state: { off },
      wakeAt: nextWake(off),
      drafts: known.alerted ? [{ kind: 'not_worn', effect: 'attach', severity: 'low', homeId: home.id, deviceId, title: 'Bracelet back on', note: 'bracelet back on the wrist' }] : [],
    };
  },
});
