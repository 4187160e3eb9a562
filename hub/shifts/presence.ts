/**
 * Operator presence (issue 13 item 7): who is at the console right now, and
 * whether they said they are away. An operator is `online` while at least one
 * of their consoles has the live stream open and they have not set themselves
 * away; `away` when they did; `offline` when no console of theirs is
 * connected — so a closed laptop never keeps someone "online". The consoles
 * use it to decide who hears a new critical alert first (dashboard
 * util/who-hears.ts). Kept in memory: after a restart every console
 * reconnects and says where it stands again.
 */
import type { EventBus } from '../core/event-bus.js';
import type { HubEvents } from '../core/hub-events.js';

export const PRESENCE_STATES = ['online', 'away', 'offline'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];
/** What a person can choose; `offline` follows from the connections. */
export type ChosenPresence = Exclude<PresenceState, 'offline'>;

/** Roles that take alerts and therefore have a presence. */
export const PRESENCE_ROLES: ReadonlySet<string> = new Set(['admin', 'supervisor', 'operator']);

export interface PresenceEntry {
  username: string;
  role: string;
  state: PresenceState;
  since: string;
}

interface Tracked {
  role: string;
  sockets: number;
  chosen: ChosenPresence;
  since: number;
}

export class OperatorPresence {
  private readonly people = new Map<string, Tracked>();

  constructor(
    private readonly bus: EventBus<HubEvents>,
    private readonly now: () => number,
  ) {}

  /** A console's stream opened (+1) or closed (-1). */
  connection(username: string, role: string, delta: 1 | -1): void {
    if (!PRESENCE_ROLES.has(role)) return;
    const person = this.people.get(username) ?? { role, sockets: 0, chosen: 'online' as ChosenPresence, since: this.now() };
    const before = stateOf(person);
    person.role = role;
    person.sockets = Math.max(0, person.sockets + delta);
    this.people.set(username, person);
    this.changed(person, before);
  }

  /** The person's own choice: at the desk, or away (a break, another call). */
  choose(username: string, role: string, chosen: ChosenPresence): PresenceEntry {
    const person = this.people.get(username) ?? { role, sockets: 0, chosen, since: this.now() };
    const before = this.people.has(username) ? stateOf(person) : 'offline';
    person.chosen = chosen;
    this.people.set(username, person);
    this.changed(person, before);
    return entry(username, person);
  }

  list(): PresenceEntry[] {
    return [...this.people].map(([username, person]) => entry(username, person)).sort((a, b) => a.username.localeCompare(b.username));
  }

  private changed(person: Tracked, before: PresenceState): void {
    if (stateOf(person) === before) return;
    person.since = this.now();
    this.bus.emit('presence.changed', this.list());
  }
}

function stateOf(person: Tracked): PresenceState {
  return person.sockets === 0 ? 'offline' : person.chosen;
}

function entry(username: string, person: Tracked): PresenceEntry {
  return { username, role: person.role, state: stateOf(person), since: new Date(person.since).toISOString() };
}
