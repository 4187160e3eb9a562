/**
 * Night exit / wandering (issue 3): the entrance door opening in the night
 * window is an exit unless, within the grace period, the door closes and then
 * the bracelet shows the resident at home (a message with no location or an
 * indoor room, from a bracelet not known to be off the wrist — a bracelet left
 * on the night stand proves nothing). A resident with dementia gets the alert
 * at once (DESIGN.md §4: any exit at night).
 */
import { z } from 'zod';
import { CMD_ACK_EVENT } from '../../../devices/capabilities.js';
import { bracelet } from '../../../devices/kinds/bracelet.js';
import { defineRule } from '../define-rule.js';
import { isInWindow, windowFrom } from '../time-of-day.js';
import { sentFromHome, wornAfter } from './shared/devices.js';
import { timeOfDay } from './shared/params.js';

const params = z.object({
  nightStart: timeOfDay('22:00', 'start of the night window, local time (HUB_TIMEZONE)'),
  nightEnd: timeOfDay('06:00', 'end of the night window, local time; a window ending before it starts crosses midnight'),
  returnMinutes: z.number().min(1).max(120).default(10).describe('minutes after a night-time door opening within which a close followed by bracelet activity at home cancels the alert'),
});

interface NightExitState {
  /** An opening at night not yet explained by a return. */
  pending?: { doorId: string; openedAt: number; closedAt?: number | undefined } | undefined;
  /** Bracelets known to be on (true) or off (false) the wrist. */
  worn: Record<string, boolean | undefined>;
}

export const nightExitRule = defineRule<typeof params, NightExitState>({
  id: 'night_exit',
  description: 'The entrance door opened at night and the resident did not come back (door closed, then bracelet activity at home) within the grace period; at once for a resident with dementia.',
  alertKind: 'night_exit',
  severity: 'high',
  on: { deviceKinds: ['door_sensor', 'bracelet'], events: ['open', 'close', ...bracelet.eventTypes.filter((t) => t !== CMD_ACK_EVENT)], telemetry: true },
  perResident: true,
  params,
  evaluate: ({ input, home, resident, now, timezone, params, state }) => {
    const worn = state?.worn ?? {};
    const pending = state?.pending;
    if (input.type === 'timer') {
      if (!pending) return null;
      const draft = { kind: 'night_exit', severity: 'high' as const, homeId: home.id, deviceId: pending.doorId, title: 'Door opened at night and the resident has not come back', details: { openedAt: new Date(pending.openedAt).toISOString(), closed: pending.closedAt !== undefined } };
      return { state: { worn }, drafts: [draft] };
    }
    if (input.type !== 'signal') return null;
    const { signal } = input;
    if (signal.deviceKind === 'bracelet') {
      const on = wornAfter(signal, worn[signal.deviceId]);
      const next = { pending, worn: { ...worn, [signal.deviceId]: on } };
      // Back home: the door closed, then the bracelet (on the wrist, not outside) spoke.
      if (pending?.closedAt !== undefined && on !== false && sentFromHome(signal)) return { state: { worn: next.worn }, wakeAt: null };
      return on === worn[signal.deviceId] ? null : { state: next };
    }
    if (signal.channel !== 'event') return null;
    if (signal.type === 'close') return pending ? { state: { worn, pending: { ...pending, closedAt: now } } } : null;
    if (signal.type !== 'open') return null;
    // Opened again before the return was seen: the close must follow the latest opening.
    if (pending) return { state: { worn, pending: { ...pending, closedAt: undefined } } };
    if (!isInWindow(now, windowFrom(params.nightStart, params.nightEnd), timezone)) return null;
    if (resident?.conditions.includes('dementia')) {
      return { drafts: [{ kind: 'night_exit', severity: 'high', homeId: home.id, deviceId: signal.deviceId, title: 'Door opened at night (resident with dementia)' }] };
    }
    return { state: { worn, pending: { doorId: signal.deviceId, openedAt: now } }, wakeAt: now + params.returnMinutes * 60_000 };
  },
});
