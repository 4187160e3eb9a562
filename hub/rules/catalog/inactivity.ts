/**
 * Inactivity (issue 3; REFERENCES.md "inactivity monitoring": Tunstall's
 * "inactive for a period within windows", typically 12–14 h, paused by "away"):
 * no door use and no bracelet steps or movement for N hours, counting only time
 * inside the day window, so a quiet night neither raises nor hides anything.
 *
 * Activity: a door event (open, close, tamper — someone handled it); a bracelet
 * event other than low_battery / removed; bracelet telemetry whose step count
 * went up. While the resident is marked away nothing is raised and the count
 * restarts at each check, or at the `until` of an away period that has ended. With no state yet (hub start) the count starts at the
 * first message the rule sees: the engine has no start-up hook for rules.
 */
import { z } from 'zod';
import type { DeviceSignal } from '../../core/hub-events.js';
import type { ResidentRecord } from '../../registry/records.js';
import { CMD_ACK_EVENT } from '../../../devices/capabilities.js';
import { bracelet } from '../../../devices/kinds/bracelet.js';
import { defineRule } from '../define-rule.js';
import { addWindowTime, windowFrom } from '../time-of-day.js';
import { timeOfDay } from './shared/params.js';

const params = z.object({
  hours: z.number().min(0.25).max(99).default(12).describe('hours of in-window time without any activity before the alert'),
  dayStart: timeOfDay('07:00', 'start of the day window in which inactivity is counted, local time (HUB_TIMEZONE)'),
  dayEnd: timeOfDay('22:00', 'end of the day window, local time'),
});

interface InactivityState {
  /** Start of the current count: the last activity, the first message seen, or the last alert / away check. */
  since: number;
  /** The last real activity, for the alert's details. */
  lastActivityAt?: number | undefined;
  /** The device last heard from with activity (or first heard from): an alert names a device. */
  deviceId: string;
  /** Last step count per bracelet (steps count from midnight). */
  steps: Record<string, number>;
}

const DOOR_ACTIVITY = ['open', 'close', 'tamper'];
/** Bracelet events that are not the wearer moving (`cmd_ack` never reaches rules: ingest routes it to the command outbox). */
const NOT_MOVEMENT = new Set(['low_battery', 'removed', CMD_ACK_EVENT]);

/** Whether a signal is the resident doing something, and the step counts after it. */
function activityOf(signal: DeviceSignal, steps: Record<string, number>): { active: boolean; steps: Record<string, number> } {
  if (signal.deviceKind === 'door_sensor') return { active: signal.channel === 'event' && DOOR_ACTIVITY.includes(signal.type), steps };
  if (signal.deviceKind !== 'bracelet') return { active: false, steps };
  if (signal.channel === 'event') return { active: !NOT_MOVEMENT.has(signal.type), steps };
  const now = signal.payload.steps;
  if (typeof now !== 'number') return { active: false, steps };
  const before = steps[signal.deviceId];
  // The counter restarts at midnight: a lower count that is not zero still means steps since then.
  const active = before !== undefined && (now > before || (now < before && now > 0));
  return { active, steps: { ...steps, [signal.deviceId]: now } };
}

/** Inside the away period: it may start ahead (a planned hospital stay, issue 13) and may have no end. */
function isAway(resident: ResidentRecord | undefined, now: number): boolean {
  const away = resident?.away;
  return away !== undefined && Date.parse(away.since) <= now && (away.until === undefined || Date.parse(away.until) > now);
}

export const inactivityRule = defineRule<typeof params, InactivityState>({
  id: 'inactivity',
  description: 'No door use and no bracelet steps or movement for the set number of hours, counting only time inside the day window. Paused while the resident is marked away.',
  alertKind: 'inactivity',
  severity: 'medium',
  on: { deviceKinds: ['door_sensor', 'bracelet'], events: [...DOOR_ACTIVITY, ...bracelet.eventTypes.filter((t) => !NOT_MOVEMENT.has(t))], telemetry: true },
  perResident: true,
  params,
  evaluate: ({ input, home, resident, now, timezone, params, state }) => {
    const window = windowFrom(params.dayStart, params.dayEnd);
    const period = params.hours * 3_600_000;
    const dueFrom = (since: number) => addWindowTime(since, period, window, timezone);
    if (input.type === 'timer') {
      if (!state) return null;
      if (isAway(resident, now)) return { state: { ...state, since: now }, wakeAt: dueFrom(now) };
      // Back from an away period that ended on its own (`until` passed): count from the return.
      const back = resident?.away?.until === undefined ? undefined : Date.parse(resident.away.until);
      const since = back !== undefined && back > state.since ? back : state.since;
      const due = dueFrom(since);
      // Compare with the computed due time, never re-derive it: a wake-up always makes progress.
      if (now < due) return { wakeAt: due };
      const draft = {
        kind: 'inactivity',
        severity: 'medium' as const,
        homeId: home.id,
        deviceId: state.deviceId,
        title: `No activity for ${params.hours} h in the day window`,
        details: { lastActivityAt: state.lastActivityAt === undefined ? null : new Date(state.lastActivityAt).toISOString(), countedFrom: new Date(since).toISOString() },
      };
      // Count again from now: a reminder after another full period if nothing happens.
      return { state: { ...state, since: now }, wakeAt: dueFrom(now), drafts: [draft] };
    }
    if (input.type !== 'signal') return null;
    const { active, steps } = activityOf(input.signal, state?.steps ?? {});
    if (!state || active) {
      return { state: { since: now, lastActivityAt: active ? now : state?.lastActivityAt, deviceId: input.signal.deviceId, steps }, wakeAt: dueFrom(now) };
    }
    return steps === state.steps ? null : { state: { ...state, steps } };
  },
});
