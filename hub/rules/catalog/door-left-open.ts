/**
 * Door left open (issue 3): a door open longer than the limit is medium — a
 * cold or unsecured home, or a resident who went out and did not come back
 * (SCAIP has an "open too long" status for this). One wake-up per home, so
 * each door's opening is kept and the earliest deadline is the wake-up.
 */
import { z } from 'zod';
import { defineRule } from '../define-rule.js';
import { earliest, without } from './shared/devices.js';

const params = z.object({
  openMinutes: z.number().min(1).max(24 * 60).default(30).describe('minutes a door may stay open before the alert'),
});

interface DoorState {
  /** Doors open now: since when, and whether this opening has raised. */
  open: Record<string, { since: number; alerted: boolean }>;
}

export const doorLeftOpenRule = defineRule<typeof params, DoorState>({
  id: 'door_left_open',
  description: 'A door stayed open longer than the limit.',
  alertKind: 'door_open',
  severity: 'medium',
  on: { deviceKinds: ['door_sensor'], events: ['open', 'close'] },
  params,
  evaluate: ({ input, home, now, params, state }) => {
    const limit = params.openMinutes * 60_000;
    let open = state?.open ?? {};
    const nextWake = (doors: DoorState['open']) => earliest(Object.values(doors).filter((d) => !d.alerted).map((d) => d.since + limit));
    if (input.type === 'timer') {
      const drafts = [];
      for (const [doorId, door] of Object.entries(open)) {
        if (door.alerted || now < door.since + limit) continue;
        open = { ...open, [doorId]: { ...door, alerted: true } };
        drafts.push({ kind: 'door_open', severity: 'medium' as const, homeId: home.id, deviceId: doorId, title: `Door left open for more than ${params.openMinutes} min`, details: { openSince: new Date(door.since).toISOString() } });
      }
      return { state: { open }, wakeAt: nextWake(open), drafts };
    }
    if (input.type !== 'signal' || input.signal.channel !== 'event') return null;
    const { deviceId, type } = input.signal;
    const door = open[deviceId];
    if (type === 'open') {
      if (door) return null; // a repeated `open`: the door has been open since the first
      open = { ...open, [deviceId]: { since: now, alerted: false } };
      return { state: { open }, wakeAt: nextWake(open) };
    }
    if (!door) return null;
    open = without(open, deviceId);
    const minutes = Math.round((now - door.since) / 60_000);
    return {
      state: { open },
      wakeAt: nextWake(open),
      drafts: door.alerted ? [{ kind: 'door_open', effect: 'attach', severity: 'medium', homeId: home.id, deviceId, title: 'Door closed', note: `door closed after ${minutes} min` }] : [],
    };
  },
});
