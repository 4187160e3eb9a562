/**
 * The homes whose telemetry is never shed (hub/alerts/emergency-homes.ts):
 * those with an unresolved high or critical alert, from the alert events.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../hub/alerts/alert.js';
import { EmergencyHomes } from '../hub/alerts/emergency-homes.js';
import { EventBus } from '../hub/core/event-bus.js';
import type { HubEvents } from '../hub/core/hub-events.js';
import { silentLogger } from '../hub/core/logger.js';

const alert = (id: string, homeId: string, severity: Alert['severity'], status: Alert['status'] = 'open') => ({ id, homeId, severity, status }) as Alert;

describe('emergency homes', () => {
  it('counts a home while it has an unresolved high or critical alert: from the open alerts at start, then the events', () => {
    const bus = new EventBus<HubEvents>(silentLogger());
    const homes = new EmergencyHomes({ bus, store: { list: () => [alert('a1', 'h1', 'critical', 'acknowledged'), alert('a2', 'h2', 'low')] } });
    homes.start();
    expect([homes.has('h1'), homes.has('h2')]).toEqual([true, false]);

    // A low alert made urgent by a more urgent repeat counts from then on.
    bus.emit('alert.updated', alert('a2', 'h2', 'high'));
    expect(homes.has('h2')).toBe(true);
    // Two urgent alerts in one home: it stays until both are resolved.
    bus.emit('alert.raised', alert('a3', 'h1', 'high'));
    bus.emit('alert.updated', alert('a1', 'h1', 'critical', 'resolved'));
    expect(homes.has('h1')).toBe(true);
    bus.emit('alert.updated', alert('a3', 'h1', 'high', 'resolved'));
    expect(homes.has('h1')).toBe(false);
    bus.emit('alert.raised', alert('a4', 'h3', 'medium'));
    expect(homes.has('h3')).toBe(false);

    homes.stop();
    bus.emit('alert.raised', alert('a5', 'h4', 'critical'));
    expect([homes.has('h2'), homes.has('h4')]).toEqual([false, false]);
  });
});
