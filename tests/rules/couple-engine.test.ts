/**
 * The real RulesEngine for a couple (issue 13 item 12): per-resident rules run
 * for a bracelet's wearer only, and for each resident on a shared device (the
 * door), each with their own thresholds and state; the drafts name the
 * resident; wake-ups of the second resident survive a snapshot and restore.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertDraft } from '../../hub/alerts/alert.js';
import { EventBus } from '../../hub/core/event-bus.js';
import type { DeviceSignal, HubEvents } from '../../hub/core/hub-events.js';
import { silentLogger } from '../../hub/core/logger.js';
import type { DeviceRecord, ResidentRecord } from '../../hub/registry/records.js';
import { RULES } from '../../hub/rules/catalog/index.js';
import { RulesEngine } from '../../hub/rules/engine.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { home, MIN, resident } from './rule-harness.js';

const engines: RulesEngine[] = [];
afterEach(() => {
  for (const engine of engines.splice(0)) engine.stop();
});

const NIGHT = Date.UTC(2026, 0, 15, 23, 0); // 23:00, timezone UTC

function setup(clock = new ManualClock(NIGHT)) {
  const bus = new EventBus<HubEvents>(silentLogger());
  const theHome = home({ id: 'home-1', residentId: 'res-a' });
  // She goes to bed late: her night window starts at 23:30. He keeps the default (22:00).
  const residents = new Map<string, ResidentRecord>([
    ['res-a', resident({ id: 'res-a', name: 'Wang Fang', ruleSettings: { night_exit: { nightStart: '23:30' }, heart_rate: { max: 130 } } })],
    ['res-b', resident({ id: 'res-b', name: 'Li Wei', ruleSettings: { heart_rate: { max: 100 } } })],
  ]);
  const device = (id: string, kind: string, residentId?: string): DeviceRecord => ({ id, kind, homeId: 'home-1', serial: id, secretHash: 'sha256:x', createdAt: '2026-01-01T00:00:00Z', ...(residentId ? { residentId } : {}) });
  const devices = new Map([device('brc-a', 'bracelet', 'res-a'), device('brc-b', 'bracelet', 'res-b'), device('door-1', 'door_sensor')].map((d) => [d.id, d]));
  const drafts: AlertDraft[] = [];
  const engine = new RulesEngine({
    rules: RULES,
    bus,
    registry: { getHome: (id) => (id === 'home-1' ? theHome : undefined), getResident: (id) => residents.get(id), getDevice: (id) => devices.get(id), residentIds: () => ['res-a', 'res-b'] },
    alerts: { submit: (draft) => void drafts.push(draft) },
    clock,
    timezone: 'UTC',
    log: silentLogger(),
  });
  engine.start();
  engines.push(engine);
  const send = (deviceId: string, body: { type?: string; [k: string]: unknown }) => {
    const base = { deviceId, deviceKind: devices.get(deviceId)!.kind, homeId: 'home-1', receivedAt: clock.now() };
    const s: DeviceSignal = body.type === undefined ? { ...base, channel: 'telemetry', payload: body } : { ...base, channel: 'event', type: body.type, payload: { ...body, type: body.type }, alarm: false };
    bus.emit('device.signal', s);
  };
  const named = () => drafts.filter((d) => d.effect === undefined || d.effect === 'raise').map((d) => `${d.kind} ${d.residentId ?? 'home'}`);
  return { clock, engine, send, named };
}

describe('rules for a couple', () => {
  it('judges each bracelet against its wearer\u2019s own heart-rate range, naming the wearer', () => {
    const { send, named } = setup();
    for (let i = 0; i < 3; i++) send('brc-a', { heartRate: 120, worn: true });
    expect(named()).toEqual([]);
    for (let i = 0; i < 3; i++) send('brc-b', { heartRate: 120, worn: true });
    expect(named()).toEqual(['heart_rate res-b']);
  });

  it('a night-time door opening is judged for each resident with their own night window; the one who came back is cleared', () => {
    const { clock, engine, send, named } = setup();
    send('door-1', { type: 'open' });
    // 23:00 is outside her window (from 23:30): nothing pending for her; for him, an exit to explain.
    expect(engine.stateOf('night_exit', 'home-1', 'res-a')).toBeUndefined();
    expect(engine.stateOf('night_exit', 'home-1', 'res-b')).toMatchObject({ pending: { doorId: 'door-1' } });
    send('door-1', { type: 'close' });
    clock.advance(11 * MIN);
    expect(named()).toEqual(['night_exit res-b']);
  });

  it('his bracelet at home after the door closed clears his exit, and only his', () => {
    const { clock, send, named } = setup(new ManualClock(NIGHT + 40 * MIN)); // 23:40: inside both windows
    send('door-1', { type: 'open' });
    send('door-1', { type: 'close' });
    send('brc-b', { heartRate: 70, location: { room: 'bedroom' } });
    clock.advance(11 * MIN);
    expect(named()).toEqual(['night_exit res-a']);
  });

  it('keeps the second resident\u2019s wake-up across a snapshot and restore', () => {
    const first = setup();
    first.send('door-1', { type: 'open' });
    const snapshot = first.engine.snapshot(first.clock.now());
    // The first resident keeps the home's plain key (snapshots from before couples still fit); the door counts as activity for both.
    expect(Object.keys(snapshot.wakeAts).sort()).toEqual(['door_left_open|home-1', 'inactivity|home-1', 'inactivity|home-1|res-b', 'night_exit|home-1|res-b']);
    first.engine.stop();

    const clock = new ManualClock(first.clock.now());
    const second = setup(clock);
    second.engine.restore(snapshot);
    clock.advance(11 * MIN);
    expect(second.named().filter((n) => n.startsWith('night_exit'))).toEqual(['night_exit res-b']);
  });
});
