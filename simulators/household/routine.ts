/**
 * A resident's ordinary day as actions: asleep until morning, up and about,
 * a morning walk through the front door, a rest after lunch, sometimes a
 * visitor in the afternoon, bed in the evening — and now and then a device
 * dropping out for a minute or two (shorter than 3 heartbeats, so it is a
 * blip in the console, not an offline alert). Door use is kept out of
 * 22:00–06:00, so an ordinary day never looks like wandering at night.
 */
import type { Random } from '../kinds/index.js';
import type { Action, Role } from './actions.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** `minutes` ± `spread` minutes. */
const around = (random: Random, minutes: number, spread: number) => (minutes + (random() * 2 - 1) * spread) * MIN;

/** Door opened and closed again `secondsOpen` later. */
function doorUse(at: number, secondsOpen: number): Action[] {
  return [
    { at, kind: 'event', role: 'door', type: 'open' },
    { at: at + secondsOpen * 1000, kind: 'event', role: 'door', type: 'close' },
  ];
}

/** One local day's routine; `midnight` is the epoch ms of that day's local midnight. */
export function dayRoutine(midnight: number, random: Random): Action[] {
  const wake = midnight + around(random, 6 * 60 + 40, 20);
  const walkOut = midnight + around(random, 8 * 60 + 45, 15);
  const walkBack = walkOut + around(random, 50, 10);
  const nap = midnight + around(random, 13 * 60 + 15, 15);
  const bed = midnight + around(random, 21 * 60 + 15, 15);
  const actions: Action[] = [
    { at: midnight, kind: 'resident', activity: 'asleep' },
    { at: wake, kind: 'resident', activity: 'home' },
    ...doorUse(walkOut, 20),
    { at: walkOut + 30_000, kind: 'resident', activity: 'out' },
    ...doorUse(walkBack, 15),
    { at: walkBack, kind: 'resident', activity: 'home' },
    { at: nap, kind: 'resident', activity: 'still' },
    { at: nap + around(random, 60, 15), kind: 'resident', activity: 'home' },
    { at: bed, kind: 'resident', activity: 'asleep' },
  ];
  if (random() < 0.35) {
    // A visitor: a neighbour, a community worker, family.
    const arrives = midnight + around(random, 15 * 60 + 30, 60);
    actions.push({ at: arrives, kind: 'note', text: 'a visitor arrives' }, ...doorUse(arrives, 25), ...doorUse(arrives + around(random, 45, 20), 20));
  }
  if (random() < 0.2) {
    const role: Role = (['gas', 'smoke', 'door'] as const)[Math.floor(random() * 3)]!;
    const at = midnight + around(random, 12 * 60, 6 * 60);
    actions.push({ at, kind: 'power', role, on: false }, { at: at + around(random, 2, 1), kind: 'power', role, on: true });
  }
  return actions;
}

/** The routine for every local day touching [start, end), only the actions inside it. */
export function routineBetween(start: number, end: number, random: Random, utcOffsetMin: number): Action[] {
  const offset = utcOffsetMin * MIN;
  const out: Action[] = [];
  for (let midnight = Math.floor((start + offset) / DAY) * DAY - offset; midnight < end; midnight += DAY) {
    out.push(...dayRoutine(midnight, random).filter((a) => a.at >= start && a.at < end));
  }
  return out;
}
