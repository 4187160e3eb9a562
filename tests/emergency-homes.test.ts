/**
 * The homes whose position fixes are never shed (hub/alerts/emergency-homes.ts):
 * those with an unresolved high or critical alert, from every alert line the
 * store applies. On the node that writes the lines, at once; on a node that
 * only replays or follows them (a cluster standby, an owner of other
 * partitions), as each followed line arrives: the bus never hears of those.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../hub/alerts/alert.js';
import { AlertStore, type JournalWriter } from '../hub/alerts/alert-store.js';
import type { AlertRecordData, AlertRecordType } from '../hub/alerts/alert-reducer.js';
import { EmergencyHomes } from '../hub/alerts/emergency-homes.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';
import type { JournalEntry } from '../hub/storage/journal-format.js';
import { openSos } from './helpers/open-alert.js';

const NOW = Date.parse('2026-12-06T22:00:00Z');
const alert = (id: string, homeId: string, severity: Alert['severity']): Alert => ({ ...openSos(id, homeId, NOW), severity });

/** A journal in memory: every line kept, in order, durable at once. */
class MemoryJournal implements JournalWriter {
  readonly lines: JournalEntry[] = [];
  append<T>(type: string, data: T): { entry: { n: number; at: string }; durable: Promise<void> } {
    const entry = { n: this.lines.length + 1, at: new Date(NOW + this.lines.length).toISOString() };
    this.lines.push({ ...entry, type, data, prev: '', hash: '' } as JournalEntry);
    return { entry, durable: Promise.resolve() };
  }
}

function storeOn(journal: JournalWriter): { store: AlertStore; bus: EventBus<HubEvents> } {
  const bus = new EventBus<HubEvents>(silentLogger());
  return { store: new AlertStore(journal, bus, { noteJournaled: () => undefined }, silentLogger()), bus };
}

describe('emergency homes', () => {
  it('on the writing node: a home counts from the raise of a high or critical alert (before it is durable) until its last one is resolved', () => {
    const { store } = storeOn(new MemoryJournal());
    const homes = new EmergencyHomes(store);
    const write = <T extends AlertRecordType>(type: T, data: AlertRecordData[T]) => void store.record(type, data);

    write('alert.raised', { alert: alert('a1', 'h1', 'critical') });
    expect(homes.has('h1')).toBe(true); // no await: at once
    write('alert.raised', { alert: alert('a2', 'h2', 'low') });
    write('alert.raised', { alert: alert('a4', 'h3', 'medium') });
    expect([homes.has('h2'), homes.has('h3')]).toEqual([false, false]);
    // A low alert made urgent by a repeat counts from then on.
    write('alert.severity_changed', { alertId: 'a2', severity: 'high', title: 'Worse', note: 'repeat', actor: 'hub' });
    expect(homes.has('h2')).toBe(true);
    // Two urgent alerts in one home: it stays until both are resolved; acknowledged still counts.
    write('alert.raised', { alert: alert('a3', 'h1', 'high') });
    write('alert.acknowledged', { alertId: 'a1', actor: 'op' });
    write('alert.resolved', { alertId: 'a1', actor: 'op', outcome: 'resident_ok' });
    expect(homes.has('h1')).toBe(true);
    write('alert.resolved', { alertId: 'a3', actor: 'op', outcome: 'false_alarm' });
    expect(homes.has('h1')).toBe(false);
  });

  it('on a node that only replays and follows the journal: the same, line by line, with no bus event at all', () => {
    const writer = new MemoryJournal();
    const { store: written } = storeOn(writer);
    written.record('alert.raised', { alert: alert('a1', 'h1', 'critical') });
    written.record('alert.raised', { alert: alert('a2', 'h2', 'high') });
    written.record('alert.resolved', { alertId: 'a2', actor: 'op', outcome: 'resident_ok' });
    written.record('alert.raised', { alert: alert('a3', 'h3', 'low') });

    const { store: follower, bus } = storeOn(new MemoryJournal());
    const heard: string[] = [];
    bus.on('alert.raised', (a) => heard.push(a.id));
    const homes = new EmergencyHomes(follower);
    // The replay at start: what was open when this node started.
    for (const line of writer.lines) follower.replay(line);
    expect([homes.has('h1'), homes.has('h2'), homes.has('h3')]).toEqual([true, false, false]);

    // Then the lines the other node writes, as they are followed.
    const seen = writer.lines.length;
    written.record('alert.raised', { alert: alert('a5', 'h5', 'critical') });
    written.record('alert.resolved', { alertId: 'a1', actor: 'op', outcome: 'emergency_handled' });
    follower.replay(writer.lines[seen]!);
    expect([homes.has('h5'), homes.has('h1')]).toEqual([true, true]);
    follower.replay(writer.lines[seen + 1]!);
    expect([homes.has('h5'), homes.has('h1')]).toEqual([true, false]);
    expect(heard).toEqual([]);
  });
});
