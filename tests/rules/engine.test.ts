/**
 * The real RulesEngine with a manual clock, a real event bus, a registry of
 * plain objects and a recording alert intake: isolation of a throwing rule,
 * wake-ups, replacing and cancelling them, parameter precedence, presence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AlertDraft, AlertTrigger } from '../../hub/alerts/alert.js';
import { EventBus } from '../../hub/core/event-bus.js';
import type { DeviceSignal, HubEvents } from '../../hub/core/hub-events.js';
import { silentLogger } from '../../hub/core/logger.js';
import type { DeviceRecord, HomeRecord, ResidentRecord, RuleSettings } from '../../hub/registry/records.js';
import { deviceOfflineRule } from '../../hub/rules/catalog/device-offline.js';
import { doorLeftOpenRule } from '../../hub/rules/catalog/door-left-open.js';
import { fallRule } from '../../hub/rules/catalog/fall.js';
import { heartRateRule } from '../../hub/rules/catalog/heart-rate.js';
import { sosRule } from '../../hub/rules/catalog/sos.js';
import { defineRule, type AnyRule } from '../../hub/rules/define-rule.js';
import { RulesEngine } from '../../hub/rules/engine.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { home, MIN, resident } from './rule-harness.js';

interface Setup {
  homes?: { id: string; settings?: RuleSettings; residentSettings?: RuleSettings }[];
}

const engines: RulesEngine[] = [];
afterEach(() => {
  for (const engine of engines.splice(0)) engine.stop();
});

function setup(rules: readonly AnyRule[], { homes = [{ id: 'home-1' }] }: Setup = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 10, 0, 0));
  const bus = new EventBus<HubEvents>(silentLogger());
  const homeRecords = new Map<string, HomeRecord>();
  const residents = new Map<string, ResidentRecord>();
  const devices = new Map<string, DeviceRecord>();
  for (const h of homes) {
    homeRecords.set(h.id, home({ id: h.id, residentId: `res-${h.id}`, ruleSettings: h.settings }));
    residents.set(`res-${h.id}`, resident({ id: `res-${h.id}`, homeId: h.id, ruleSettings: h.residentSettings }));
  }
  const submitted: { draft: AlertDraft; trigger: AlertTrigger }[] = [];
  const engine = new RulesEngine({
    rules,
    bus,
    registry: { getHome: (id) => homeRecords.get(id), getResident: (id) => residents.get(id), getDevice: (id) => devices.get(id), residentIds: (homeId) => [...residents.values()].filter((r) => r.homeId === homeId).map((r) => r.id) },
    alerts: {
      submit: (draft, trigger) => {
        submitted.push({ draft, trigger });
        return undefined;
      },
    },
    clock,
    timezone: 'UTC',
    log: silentLogger(),
  });
  engine.start();
  engines.push(engine);
  const addDevice = (id: string, kind: string, homeId = 'home-1') => devices.set(id, { id, kind, homeId, serial: id, secretHash: 'sha256:x', createdAt: '2026-01-01T00:00:00Z' });
  const signal = (deviceKind: string, deviceId: string, body: { type?: string; [k: string]: unknown }, homeId = 'home-1'): void => {
    const base = { deviceId, deviceKind, homeId, receivedAt: clock.now() };
    const s: DeviceSignal = body.type === undefined ? { ...base, channel: 'telemetry', payload: body } : { ...base, channel: 'event', type: body.type, payload: { ...body, type: body.type }, alarm: false };
    bus.emit('device.signal', s);
  };
  const kinds = () => submitted.map((s) => `${s.draft.effect ?? 'raise'} ${s.draft.severity} ${s.draft.kind} ${s.draft.homeId}`);
  return { clock, bus, engine, submitted, kinds, signal, addDevice };
}

const boom = defineRule({
  id: 'boom',
  description: 'throws on every sos',
  alertKind: 'boom',
  severity: 'low',
  on: { deviceKinds: ['bracelet'], events: ['sos'] },
  params: z.object({}),
  evaluate: () => {
    throw new Error('rule bug');
  },
});

describe('RulesEngine', () => {
  it('a rule that throws does not stop the others, and is counted', () => {
    const { engine, bus, signal, kinds } = setup([boom, sosRule]);
    signal('bracelet', 'brc-1', { type: 'sos' });
    signal('bracelet', 'brc-1', { type: 'sos' });
    expect(kinds()).toEqual(['raise critical sos home-1', 'raise critical sos home-1']);
    expect(engine.errors.get('boom')).toBe(2);
    expect(engine.errors.has('sos')).toBe(false);
    expect(bus.listenerErrors).toBe(0); // isolated inside the engine, not left to the bus
  });

  it('a message meets only the rules that listen to it', () => {
    const { signal, submitted, engine } = setup([boom, sosRule]);
    signal('bracelet', 'brc-1', { type: 'fall' });
    signal('bracelet', 'brc-1', { heartRate: 70 });
    signal('door_sensor', 'dor-1', { type: 'sos' }); // not a door event, and not a kind sos listens to
    expect(submitted).toEqual([]);
    expect(engine.errors.size).toBe(0);
  });

  it('the device message is the trigger of what it raises', () => {
    const { signal, submitted } = setup([sosRule]);
    signal('bracelet', 'brc-1', { type: 'sos', seq: 7, ts: 1_768_471_200_000 });
    expect(submitted[0]?.trigger).toEqual({ deviceId: 'brc-1', eventType: 'sos', at: '2026-01-15T10:00:00.000Z', seq: 7, ts: 1_768_471_200_000 });
  });

  it('wakes a rule at the time it asked for, not a millisecond before', () => {
    const { clock, signal, submitted } = setup([doorLeftOpenRule]);
    signal('door_sensor', 'dor-1', { type: 'open' });
    expect(clock.pending).toBe(1);
    clock.advance(30 * MIN - 1);
    expect(submitted).toEqual([]);
    clock.advance(1);
    expect(submitted.map((s) => s.draft.kind)).toEqual(['door_open']);
    // A wake-up has no device message: the engine names the rule in the trigger.
    expect(submitted[0]?.trigger).toEqual({ deviceId: 'dor-1', eventType: 'timer:door_left_open', at: '2026-01-15T10:30:00.000Z' });
    expect(clock.pending).toBe(0);
  });

  it('a new wakeAt replaces the old one; null cancels it', () => {
    const { clock, signal, submitted } = setup([doorLeftOpenRule]);
    signal('door_sensor', 'dor-1', { type: 'open' }); // wake 10:30
    clock.advance(10 * MIN);
    signal('door_sensor', 'dor-2', { type: 'open' }); // earliest is still 10:30
    clock.advance(5 * MIN);
    signal('door_sensor', 'dor-1', { type: 'close' }); // now 10:40 (dor-2)
    expect(clock.pending).toBe(1);
    clock.advance(15 * MIN); // 10:30 passes: nothing
    expect(submitted).toEqual([]);
    clock.advance(10 * MIN); // 10:40
    expect(submitted.map((s) => s.draft.deviceId)).toEqual(['dor-2']);

    signal('door_sensor', 'dor-3', { type: 'open' });
    expect(clock.pending).toBe(1);
    signal('door_sensor', 'dor-3', { type: 'close' });
    expect(clock.pending).toBe(0);
  });

  it('keeps state per home: a cancel in another home does not touch this fall', () => {
    const { clock, signal, kinds } = setup([fallRule], { homes: [{ id: 'home-1' }, { id: 'home-2' }] });
    signal('bracelet', 'brc-1', { type: 'fall' }, 'home-1');
    clock.advance(5_000);
    signal('bracelet', 'brc-1', { type: 'fall_cancelled' }, 'home-2');
    signal('bracelet', 'brc-1', { type: 'fall_cancelled' }, 'home-1');
    expect(kinds()).toEqual(['raise critical fall home-1', 'attach critical fall home-2', 'set_severity medium fall home-1']);
  });

  it('parameters: the resident\'s settings win over the home\'s, which win over the defaults', () => {
    const { signal, kinds } = setup([heartRateRule], {
      homes: [
        { id: 'defaults' },
        { id: 'home-set', settings: { heart_rate: { max: 140, readings: 1 } } },
        { id: 'resident-set', settings: { heart_rate: { max: 140, readings: 1 } }, residentSettings: { heart_rate: { max: 130 } } },
      ],
    });
    for (const homeId of ['defaults', 'home-set', 'resident-set']) signal('bracelet', `brc-${homeId}`, { heartRate: 135 }, homeId);
    // defaults: 3 readings needed; home: max 140 → 135 normal; resident: max 130 (its own) with the home's readings: 1.
    expect(kinds()).toEqual(['raise high heart_rate resident-set']);
    signal('bracelet', 'brc-home-set', { heartRate: 141 }, 'home-set');
    expect(kinds()).toEqual(['raise high heart_rate resident-set', 'raise high heart_rate home-set']);
  });

  it('stored settings that do not validate fall back to the defaults', () => {
    const { signal, kinds } = setup([heartRateRule], { homes: [{ id: 'home-1', residentSettings: { heart_rate: { max: 'high', readings: 1 } } }] });
    signal('bracelet', 'brc-1', { heartRate: 121 });
    expect(kinds()).toEqual([]); // readings: 1 was not applied either
    signal('bracelet', 'brc-1', { heartRate: 121 });
    signal('bracelet', 'brc-1', { heartRate: 121 });
    expect(kinds()).toEqual(['raise high heart_rate home-1']);
  });

  it('presence changes reach presence rules, with the device kind from the registry', () => {
    const { bus, clock, addDevice, submitted, engine } = setup([deviceOfflineRule, sosRule]);
    addDevice('smk-1', 'smoke_sensor');
    bus.emit('device.status', { deviceId: 'smk-1', homeId: 'home-1', online: false, at: clock.now(), reason: 'watchdog' });
    expect(submitted.map((s) => [s.draft.severity, s.draft.title, s.trigger.eventType])).toEqual([['low', 'Smoke sensor offline', 'offline']]);
    expect(engine.stateOf('device_offline', 'home-1')).toMatchObject({ offline: { 'smk-1': { kind: 'smoke_sensor' } } });
    clock.advance(24 * 60 * MIN);
    expect(submitted.map((s) => s.draft.severity)).toEqual(['low', 'medium']);
    bus.emit('device.status', { deviceId: 'smk-1', homeId: 'home-1', online: true, at: clock.now(), reason: 'message' });
    expect(submitted.map((s) => s.draft.effect ?? 'raise')).toEqual(['raise', 'raise', 'attach']);
    // A device the registry does not know reaches no rule.
    bus.emit('device.status', { deviceId: 'ghost', homeId: 'home-1', online: false, at: clock.now(), reason: 'watchdog' });
    expect(submitted).toHaveLength(3);
  });

  it('signals for an unknown home are dropped', () => {
    const { signal, submitted } = setup([sosRule]);
    signal('bracelet', 'brc-1', { type: 'sos' }, 'no-such-home');
    expect(submitted).toEqual([]);
  });

  it('stop() unsubscribes and clears the timers', () => {
    const { clock, signal, engine, submitted } = setup([doorLeftOpenRule, sosRule]);
    signal('door_sensor', 'dor-1', { type: 'open' });
    engine.stop();
    expect(clock.pending).toBe(0);
    signal('bracelet', 'brc-1', { type: 'sos' });
    clock.advance(60 * MIN);
    expect(submitted).toEqual([]);
  });
});
